import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario } from '../src/harness';
import type { RunOptions, Scenario, System } from '../src/types';

const system = (name: string): System => ({ name, tfgw: name.startsWith('tfgw'), procs: {}, data: {} });
const figure = (key: string) => ({ key, label: key, figures: [{ key, label: key, better: 'higher' as const }] });

describe('runScenario', () => {
  let runDir: string;
  beforeEach(() => {
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-bench-test-'));
  });
  afterEach(() => fs.rmSync(runDir, { recursive: true, force: true }));

  test('runs each measurement across every system before the next, rotating the systems each rep', async () => {
    const calls: string[] = [];
    const scenario: Scenario = {
      name: 'order',
      title: 'Order',
      description: '',
      tools: [],
      measurements: [figure('a'), figure('b')],
      setup: async () => [system('tfgw tcp'), system('rival')],
      measure: async (_ctx, sys, m) => {
        calls.push(`${m.key}:${sys.name}`);
        return { [m.key]: calls.length };
      },
    };
    const opts: RunOptions = { scenarios: [], quick: false, write: false, reps: 2, seconds: 1, noInstall: true, keep: false };
    const result = await runScenario(scenario, opts, runDir, () => undefined);
    expect(calls).toEqual(['a:tfgw tcp', 'a:rival', 'b:tfgw tcp', 'b:rival', 'a:rival', 'a:tfgw tcp', 'b:rival', 'b:tfgw tcp']);
    expect(result.values.a).toEqual({ 'tfgw tcp': [1, 6], rival: [2, 5] });
  });
});
