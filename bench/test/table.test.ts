import { figureRatio, ratioTable } from '../src/table';
import type { ScenarioResult, System } from '../src/types';

const system = (name: string, tfgw: boolean): System => ({ name, tfgw, procs: {}, data: {} });

/** One throughput figure measured for a tfgw column and a rival, one value per repetition. */
function result(tfgw: number[], rival: number[], errors: Record<string, string> = {}): ScenarioResult {
  return {
    scenario: {
      name: 't',
      title: 'T',
      description: '',
      tools: [],
      measurements: [{ key: 'p1', label: '1 stream', figures: [{ key: 'gbps1', label: '1 stream, Gbit/s', better: 'higher' }] }],
      setup: async () => [],
      measure: async () => ({}),
    },
    systems: [system('tfgw tcp', true), system('socat', false)],
    values: { gbps1: { 'tfgw tcp': tfgw, socat: rival } },
    cpu: {},
    errors,
    commands: [],
    wallSeconds: 0,
    load: [0, 0],
  };
}

describe('ratios of tfgw to a rival', () => {
  // Per repetition 0.5, 1, 1: the median of those is 1; the ratio of the medians is 2 / 3.
  const tfgw = [2, 3, 1];
  const rival = [4, 3, 1];

  test('pair the repetitions when both columns ran every one', () => {
    expect(figureRatio(tfgw, rival, true)).toBe(1);
    expect(ratioTable(result(tfgw, rival))!.rows).toEqual([['1 stream, Gbit/s ↑ — tfgw tcp', '1.00×']]);
  });

  test('fall back to the ratio of the medians when a column failed a repetition or counts differ', () => {
    expect(figureRatio(tfgw, rival, false)).toBeCloseTo(2 / 3);
    expect(figureRatio(tfgw, [4, 3], true)).toBeCloseTo(2 / 3.5);
    expect(ratioTable(result(tfgw, rival, { socat: 'failed once' }))!.rows).toEqual([['1 stream, Gbit/s ↑ — tfgw tcp', '0.67×']]);
  });

  test('a rival at 0 gives ∞ (or 1 when tfgw is at 0 too); a column with no value gives no ratio', () => {
    expect(figureRatio([1], [0], true)).toBe(Infinity);
    expect(figureRatio([0], [0], true)).toBe(1);
    expect(figureRatio([], [1], true)).toBeUndefined();
    expect(figureRatio([1], undefined, true)).toBeUndefined();
  });
});
