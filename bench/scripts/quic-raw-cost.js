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
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const WORKER = path.join(__dirname, '../dist/workers/quic-raw.js');
const CLK_TCK = 100;
const [mbps, seconds, streams] = [process.argv[2] ?? '1500', process.argv[3] ?? '10', process.argv[4] ?? '1'].map(Number);
if (![mbps, seconds, streams].every((n) => Number.isFinite(n) && n >= 0) || seconds === 0 || streams === 0) {
  console.error('usage: quic-raw-cost.js [MBPS (0: unpaced)] [SECONDS > 0] [STREAMS > 0]');
  process.exit(2);
}
if (!fs.existsSync(WORKER)) {
  console.error(`${WORKER} is missing: run npx tsc -b first`);
  process.exit(2);
}

/** Ticks per kind of thread (main, library, other) of one process, from /proc/PID/task. */
function threadTicks(pid) {
  const out = { main: 0, library: 0, other: 0 };
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const kind = tid === String(pid) ? 'main' : name === 'tokio-rt-worker' ? 'library' : 'other';
    out[kind] += Number(f[11]) + Number(f[12]);
  }
  return out;
}

/** The first stdout line of `child` that matches `re`. */
function line(child, re) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.on('line', (l) => {
      const m = re.exec(l);
      if (m) {
        rl.close();
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`quic-raw worker exited (${code}) before printing ${re}`)));
  });
}

async function main() {
  const children = [];
  const stop = () => children.forEach((c) => c.exitCode === null && c.kill());
  process.on('exit', stop);
  try {
    const listener = spawn(process.execPath, [WORKER, 'listen'], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(listener);
    const [, port] = await line(listener, /^listening (\d+)$/);
    const dialer = spawn(process.execPath, [WORKER, 'dial', port], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(dialer);
    await line(dialer, /^connected$/);
    const procs = { listener: listener.pid, dialer: dialer.pid };
    const before = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, threadTicks(pid)]));
    const t0 = process.hrtime.bigint();
    const result = line(listener, /^result 1 (.*)$/);
    listener.stdin.write(`tput 1 ${seconds} ${streams} ${mbps}\n`);
    const r = JSON.parse((await result)[1]);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.error) throw new Error(r.error);
    const gb = r.bytes / 1e9;
    console.log(`gbps=${r.gbps.toFixed(2)} asked_mbps=${mbps || 'unpaced'} streams=${streams}`);
    for (const [name, pid] of Object.entries(procs)) {
      const after = threadTicks(pid);
      for (const kind of ['library', 'main', 'other']) {
        const s = (after[kind] - before[name][kind]) / CLK_TCK;
        console.log(`${name} ${kind} s_per_gb=${(s / gb).toFixed(2)} core_pct=${((100 * s) / wall).toFixed(0)}`);
      }
    }
  } finally {
    stop();
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
