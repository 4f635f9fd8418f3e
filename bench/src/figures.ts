import type { Figure, Measurement } from './types';

/** Figure key of a measurement's CPU cost. */
export function costKey(m: Measurement): string {
  return `${m.key}.cost`;
}

/** The figures of a measurement, with its CPU cost figure when it has one. */
export function figuresOf(m: Measurement): Figure[] {
  return m.cost ? [...m.figures, { key: costKey(m), label: m.cost.label, better: 'lower' }] : m.figures;
}
