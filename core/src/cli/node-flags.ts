/**
 * V8 flags the `tfgw` command starts Node with (core/bin/tfgw.js execs `node` with them;
 * `npm start` and the bench pass the same). Node does not accept them in NODE_OPTIONS, and
 * V8 reads them only when the heap is created, so they cannot be set from inside the CLI.
 *
 * `--initial-old-space-size=64`: a gateway's heap is small (about 9 MB with the example
 * config), so V8's first old-generation limit is small too (17 MB), and under steady
 * traffic it starts a full mark-compact every 70-100 ms although almost nothing is promoted.
 * Through the example gateway, iperf3 over the tcp transport, three runs each: 70 full GCs
 * per 5 s run without the flag, none with it; gateway CPU per GB 1.93 / 1.95 / 1.72 s
 * without, 1.29 / 0.82 / 1.20 s with it (docs/BENCHMARKS.md, "Full GCs under load"). The
 * cost: up to 64 MB of old-generation garbage may gather before the first full GC.
 */
export const NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];
