import type { Measurement } from './types';

/**
 * An iperf3-style throughput measurement over `streams` parallel streams: key `p<streams>`,
 * figure `gbps<streams>` (Gbit/s), and CPU per GB (`measure` reports bytes as `work`).
 */
export function throughputMeasurement(streams: number): Measurement {
  const what = streams === 1 ? '1 stream' : `${streams} streams`;
  return {
    key: `p${streams}`,
    label: what,
    figures: [{ key: `gbps${streams}`, label: `${what}, Gbit/s`, better: 'higher' }],
    cost: { label: `CPU per GB, s (${what})`, scale: 1e9 },
  };
}

/** Streams of a measurement made by {@link throughputMeasurement}: its key without the `p`. */
export function streamsOf(m: Measurement): number {
  return Number(m.key.slice(1));
}

/** 64-byte ping-pong: p50 and p99 in µs, and CPU per round trip (`work` = round trips). */
export const PING_MEASUREMENT: Measurement = {
  key: 'rtt',
  label: 'ping-pong',
  figures: [
    { key: 'p50', label: 'ping p50, µs', better: 'lower' },
    { key: 'p99', label: 'ping p99, µs', better: 'lower' },
  ],
  cost: { label: 'CPU per round trip, µs', scale: 1e6 },
};
