/**
 * V8 flags the `tfgw` command starts Node with (core/bin/tfgw.js execs `node` with them;
 * `npm start` runs that stub and the bench passes the same). Node does not accept the first
 * in NODE_OPTIONS, and V8 reads both only when the heap is created, so the CLI cannot set
 * them from inside. Measured with `bench/scripts/gc-under-load.sh` and `npm run bench -- scale`
 * (docs/BENCHMARKS.md, "Full GCs under load").
 *
 * - `--initial-old-space-size=64`: a gateway's heap is small (about 9 MB with the example
 *   config), so V8's first old-generation limit is small too (17 MB), and under steady
 *   traffic it ran a full mark-compact every 70-100 ms although almost nothing was promoted.
 *   iperf3 over the tcp transport through the example gateway: 70 full GCs per 5 s without
 *   the flag, none with it; gateway CPU per GB 1.72-1.95 s without, 0.82-1.29 s with it.
 *   Alone, it let old-generation garbage gather: 10,000 idle connections took 149 / 130 MB
 *   (gateway / agent) instead of 137 / 120 MB.
 * - `--max-semi-space-size=2`: caps V8's young generation at 2 MB per semi-space instead of
 *   16, which takes back more than that: 127 / 110 MB for the same 10,000 connections, with
 *   still no full GC under traffic.
 */
export const NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64', '--max-semi-space-size=2'];
