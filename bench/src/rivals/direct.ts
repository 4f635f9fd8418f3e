import type { System } from '../types';

/** The "direct" column: the load generator talks to the target itself - the upper bound. */
export function directSystem(data: Record<string, unknown>): System {
  return { name: 'direct', tfgw: false, procs: {}, data };
}
