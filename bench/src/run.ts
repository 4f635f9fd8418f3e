/**
 * `npm run bench -- [scenario...] [--quick] [--write] [--reps N] [--seconds N] [--profile S]`
 * Runs tfgw and its rivals side by side on loopback and prints a table per scenario.
 */
import fs from 'node:fs';
import { parseArgs, USAGE, UsageError } from './args';
import { runScenario, makeRunDir } from './harness';
import { machineInfo, machineLine } from './machine';
import { writeReport } from './report';
import { SCENARIOS } from './scenarios';
import { footnotes, ratioTable, renderConsole, valuesTable } from './table';
import { cliProblem } from './tfgw';
import type { ScenarioResult } from './types';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let opts;
  try {
    opts = parseArgs(argv, SCENARIOS.map((s) => s.name));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    console.log(`${USAGE}\n\nscenarios:\n${SCENARIOS.map((s) => `  ${s.name.padEnd(15)} ${s.title}`).join('\n')}`);
    return 0;
  }
  const machine = machineInfo();
  const log = (m: string): void => console.error(m);
  console.log(`tfgw bench: ${machineLine(machine)}`);
  console.log(`${opts.reps} repetition(s), ${opts.seconds} s per timed measurement${opts.quick ? ' (quick)' : ''}`);
  const cli = cliProblem();
  if (cli) console.log(`tfgw: not available (${cli}); running the rivals only`);
  const runDir = makeRunDir();
  // Also on Ctrl-C and errors: the 'exit' handlers run after the children are killed.
  if (!opts.keep) process.on('exit', () => fs.rmSync(runDir, { recursive: true, force: true }));
  const selected = opts.scenarios.length ? SCENARIOS.filter((s) => opts.scenarios.includes(s.name)) : SCENARIOS;
  const results: ScenarioResult[] = [];
  try {
    for (const s of selected) {
      console.error(`\n== ${s.name}: ${s.title}`);
      const r = await runScenario(s, opts, runDir, log);
      results.push(r);
      console.log(`\n## ${s.title}  [${s.name}, ${Math.round(r.wallSeconds)} s, load ${r.load[0].toFixed(1)} -> ${r.load[1].toFixed(1)}]`);
      if (r.skipped) {
        console.log(`skipped: ${r.skipped}`);
        continue;
      }
      console.log(renderConsole(valuesTable(r)));
      const ratios = ratioTable(r);
      if (ratios) console.log('\ntfgw ÷ rival, the median of the per-repetition ratios (↑ figures: >1× means tfgw is ahead; ↓ figures: <1× means tfgw is ahead)\n' + renderConsole(ratios));
      for (const n of footnotes(r)) console.log(n);
    }
  } finally {
    if (!opts.keep) fs.rmSync(runDir, { recursive: true, force: true });
    else console.log(`\ntemp dir kept: ${runDir}`);
  }
  if (opts.write) console.log(`\nwrote ${writeReport(results, machine, opts, argv.filter((a) => a !== '--keep' && a !== '--no-install'))}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
