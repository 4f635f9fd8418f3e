#!/usr/bin/env node
/*
 * The QUIC library alone (bench's `quic raw` worker: listener and dialer in two processes)
 * at a fixed rate, to read its cost per byte where nothing is starved and compare it with
 * the tunnel's at the same rate:
 *
 *   node bench/scripts/quic-raw-cost.js [MBPS] [SECONDS] [STREAMS]      # defaults 1500 10 1
 *   IPERF_RATE=1500M bench/scripts/gc-under-load.sh quic 10 -- --initial-old-space-size=64 --max-semi-space-size=2
 *
 * MBPS 0 sends as fast as the library takes. Prints Gbit/s, then per process (listener =
 * writer, dialer = reader) the CPU per GB and % of a core of its main thread, of the
 * library's runtime threads (tokio-rt-worker) and of the rest, in gc-under-load.sh's format.
 * Needs `npx tsc -b`.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIST = path.join(__dirname, '../dist');
const [mbps, seconds, streams] = [process.argv[2] ?? '1500', process.argv[3] ?? '10', process.argv[4] ?? '1'].map(Number);
if (![mbps, seconds, streams].every((n) => Number.isFinite(n) && n >= 0) || seconds === 0 || streams === 0) {
  console.error('usage: quic-raw-cost.js [MBPS (0: unpaced)] [SECONDS > 0] [STREAMS > 0]');
  process.exit(2);
}
if (!fs.existsSync(path.join(DIST, 'quic-raw.js'))) {
  console.error(`${DIST} is not built: run npx tsc -b first`);
  process.exit(2);
}
const { Scope } = require(path.join(DIST, 'procs.js'));
const { startQuicRawPair } = require(path.join(DIST, 'quic-raw.js'));
const { cpuSecondsByThreadKind } = require(path.join(DIST, 'proc-stats.js'));

async function main() {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quic-raw-cost-'));
  const scope = new Scope(logDir);
  try {
    const pair = await startQuicRawPair(scope);
    const procs = { listener: pair.listener.pid, dialer: pair.dialer.pid };
    const cpu = () => Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuSecondsByThreadKind(pid, 'tokio-rt-worker')]));
    const before = cpu();
    const t0 = process.hrtime.bigint();
    const r = await pair.command('tput', [seconds, streams, mbps], (seconds + 30) * 1000);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = cpu();
    const gb = r.bytes / 1e9;
    console.log(`gbps=${r.gbps.toFixed(2)} asked_mbps=${mbps || 'unpaced'} streams=${streams}`);
    for (const name of Object.keys(procs)) {
      for (const kind of ['library', 'main', 'other']) {
        const s = after[name][kind] - before[name][kind];
        console.log(`${name} ${kind} s_per_gb=${(s / gb).toFixed(2)} core_pct=${((100 * s) / wall).toFixed(0)}`);
      }
    }
  } finally {
    await scope.close();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
