import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MachineInfo } from './machine';
import { footnotes, ratioTable, renderMarkdown, valuesTable } from './table';
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
  if (ratios) out.push('Ratios (medians; ↑ figures: above 1× tfgw is ahead, ↓ figures: below 1× tfgw is ahead):', '', renderMarkdown(ratios), '');
  const notes = footnotes(r);
  if (notes.length) out.push(...notes.map((n) => `- ${n}`), '');
  if (r.commands.length) out.push('<details><summary>Commands</summary>', '', '```sh', ...r.commands, '```', '', '</details>', '');
  return out.join('\n');
}

/** Writes docs/BENCHMARKS.md from the results of this run. */
export function writeReport(results: ScenarioResult[], machine: MachineInfo, opts: RunOptions, argv: string[]): string {
  const cmd = `npm run bench -- ${argv.join(' ')}`.trim();
  const md = [
    '# Benchmarks',
    '',
    'Written by `npm run bench -- --write` (bench/, see bench/README.md). Everything runs on loopback on one machine, tfgw and its',
    'rivals side by side in the same run. Absolute numbers on a shared machine drift from run to run; the **ratios** between',
    'columns of the same run are the figures to read. Cells are the median of the repetitions with (min–max); CPU rows are',
    'the median CPU time of each process (with its children) over the measurement, in % of one core',
    '(gw = tfgw gateway, ag = tfgw agent, cl = tfgw client). "CPU per …" rows divide the CPU seconds of all the processes of a',
    'column by the work done (bytes, requests, round trips): the cost of each path, which unlike % of a core does not shrink',
    'when other work on the machine starves the path. The load generators run on the same cores.',
    '',
    '## Machine and run',
    '',
    `- ${machine.cores} cores, ${machine.cpu}, ${machine.memoryGiB} GiB RAM, ${machine.kernel}`,
    `- Node ${machine.node}; ${Object.entries(machine.tools).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- ${machine.date}; \`${cmd}\` (${opts.reps} repetition${opts.reps > 1 ? 's' : ''}, ${opts.seconds} s per timed measurement${opts.quick ? ', quick smoke run' : ''})`,
    '',
    ...results.map(scenarioMarkdown),
  ].join('\n');
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, md.trimEnd() + '\n');
  return REPORT;
}
