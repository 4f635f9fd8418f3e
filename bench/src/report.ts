import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MachineInfo } from './machine';
import { footnotes, ratioTable, renderMarkdown, valuesTable } from './table';
import { SCENARIOS } from './scenarios';
import { ROOT } from './tfgw';
import type { RunOptions, ScenarioResult } from './types';

/** Path of the written report. */
export const REPORT = path.join(ROOT, 'docs/BENCHMARKS.md');

/** The markdown section of one scenario. */
export function scenarioMarkdown(r: ScenarioResult): string {
  const out = [`## ${r.scenario.title}`, '', `\`npm run bench -- ${r.scenario.name}\` — ${r.scenario.description}`, ''];
  if (r.skipped) return [...out, `Skipped: ${r.skipped}.`, ''].join('\n');
  out.push(`Took ${Math.round(r.wallSeconds)} s; 1-minute load average ${r.load[0].toFixed(1)} at the start, ${r.load[1].toFixed(1)} at the end (${os.cpus().length} cores).`, '');
  out.push(renderMarkdown(valuesTable(r)), '');
  const ratios = ratioTable(r);
  if (ratios) out.push('Ratios (median of the repetitions\' ratios, each from columns measured back to back; ↑ figures: above 1× tfgw is ahead, ↓ figures: below 1× tfgw is ahead):', '', renderMarkdown(ratios), '');
  const notes = footnotes(r);
  if (notes.length) out.push(...notes.map((n) => `- ${n}`), '');
  if (r.commands.length) out.push('<details><summary>Commands</summary>', '', '```sh', ...r.commands, '```', '', '</details>', '');
  return out.join('\n');
}

/** The `## ` sections of a markdown file by heading (text before the first heading is dropped). */
function sectionsOf(md: string): Array<{ title: string; text: string }> {
  return md
    .split(/^(?=## )/m)
    .filter((part) => part.startsWith('## '))
    .map((text) => ({ title: text.slice(3, text.indexOf('\n') >>> 0).trim(), text: text.trimEnd() + '\n' }));
}

/**
 * Writes docs/BENCHMARKS.md from the results of this run. A run of some scenarios replaces
 * only their sections and adds its run line under "Machine and run"; the other scenarios'
 * sections and hand-kept sections (any heading that is not a scenario's title, such as
 * "Data path tuning") stay as they were.
 */
export function writeReport(results: ScenarioResult[], machine: MachineInfo, opts: RunOptions, argv: string[]): string {
  const cmd = `npm run bench -- ${argv.join(' ')}`.trim();
  const old = fs.existsSync(REPORT) ? sectionsOf(fs.readFileSync(REPORT, 'utf8')) : [];
  const oldByTitle = new Map(old.map((sec) => [sec.title, sec.text]));
  const ran = new Map(results.map((r) => [r.scenario.title, scenarioMarkdown(r).trimEnd() + '\n']));
  const everyScenario = SCENARIOS.every((sc) => ran.has(sc.title));
  const runLine = `- ${machine.date}; \`${cmd}\` (${opts.reps} repetition${opts.reps > 1 ? 's' : ''}, ${opts.seconds} s per timed measurement${opts.quick ? ', quick smoke run' : ''})`;
  const oldMachine = oldByTitle.get('Machine and run');
  const machineSection =
    everyScenario || !oldMachine
      ? [
          '## Machine and run',
          '',
          `- ${machine.cores} cores, ${machine.cpu}, ${machine.memoryGiB} GiB RAM, ${machine.kernel}`,
          `- Node ${machine.node}; ${Object.entries(machine.tools).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          runLine,
          '',
        ].join('\n')
      : `${oldMachine.trimEnd()}\n${runLine}: ${results.map((r) => r.scenario.name).join(', ')} only\n`;
  const scenarioTitles = new Set(SCENARIOS.map((sc) => sc.title));
  const scenarioSections = SCENARIOS.map((sc) => ran.get(sc.title) ?? oldByTitle.get(sc.title)).filter((t): t is string => !!t);
  const handKept = old.filter((sec) => sec.title !== 'Machine and run' && !scenarioTitles.has(sec.title)).map((sec) => sec.text);
  const md = [
    '# Benchmarks',
    '',
    'Written by `npm run bench -- --write` (bench/, see bench/README.md). Everything runs on loopback on one machine, tfgw and its',
    'rivals side by side in the same run. Absolute numbers on a shared machine drift from run to run; the **ratios** between',
    'columns of the same run are the figures to read. Cells are the median of the repetitions with (min–max); CPU rows are',
    'the median CPU time of each process (with its children) over the measurement, in % of one core',
    '(gw = tfgw gateway, ag = tfgw agent, cl = tfgw client). "CPU per …" rows divide the CPU seconds of all the processes of a',
    'column by the work done (bytes, requests, round trips): the cost of each path, which unlike % of a core does not shrink',
    'when other work on the machine starves the path. The load generators run on the same cores. `--write` with some',
    'scenarios replaces only their sections; each section says how long it took and under what load.',
    '',
    machineSection,
    ...scenarioSections,
    ...handKept,
  ].join('\n');
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, md.trimEnd() + '\n');
  return REPORT;
}
