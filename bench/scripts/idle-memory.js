#!/usr/bin/env node
/**
 * Memory of idle tunnelled connections, per process, measured inside the processes: a tfgw
 * gateway and agent (the real CLI, tcp transport, protocol-tcp) and an echo server; the
 * bench's scale worker opens N connections, then N more. After each batch both tfgw
 * processes run a full GC and report heap and RSS, so the second batch shows what one more
 * idle connection costs (the first also pays one-off growth such as V8's young generation).
 * With --snapshots, V8 heap snapshots after each batch are diffed by constructor: what an
 * idle connection keeps alive, object by object.
 *
 * Usage (after `npx tsc -b`): node bench/scripts/idle-memory.js [N=5000] [--snapshots]
 * Extra node flags for the tfgw processes: TFGW_NODE_FLAGS="--max-semi-space-size=2"
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'core/bin/tfgw.js');
const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5000);
const SNAPSHOTS = process.argv.includes('--snapshots');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-idle-memory-'));
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process with a raised open-files limit; `waitFor(re)` matches its output so far. */
function start(args, preload) {
  const env = { ...process.env, ...(preload ? { TFGW_PROBE: '1' } : {}) };
  const child = spawn('bash', ['-c', 'ulimit -n 65536 2>/dev/null; exec "$@"', 'tfgw-idle-memory', ...args], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const onOut = (d) => {
    out += d;
    if (/^half /m.test(String(d))) child.stdin.write('continue\n');
  };
  child.stdout.on('data', onOut);
  child.stderr.on('data', onOut);
  child.waitFor = (re, ms = 180_000, from = 0) =>
    new Promise((resolve, reject) => {
      const t0 = Date.now();
      const tick = setInterval(() => {
        const m = re.exec(out.slice(from));
        if (m) {
          clearInterval(tick);
          resolve(m);
        } else if (Date.now() - t0 > ms || child.exitCode !== null) {
          clearInterval(tick);
          reject(new Error(`${args.join(' ')}: no ${re} (${child.exitCode === null ? 'timeout' : `exit ${child.exitCode}`})\n${out.slice(-2000)}`));
        }
      }, 50);
    });
  child.outLength = () => out.length;
  children.push(child);
  return child;
}

/** In the tfgw processes: SIGWINCH runs a full GC and prints heap and RSS (no other effect). */
const PROBE = path.join(dir, 'probe.js');
fs.writeFileSync(
  PROBE,
  `const v8 = require('v8');
process.on('SIGWINCH', () => {
  global.gc();
  const m = process.memoryUsage();
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stderr.write('MEMORY ' + JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, young: young ? young.space_size : 0 }) + '\\n');
});
// SIGURG is ignored by default; writeHeapSnapshot is synchronous, so the file is whole when named.
process.on('SIGURG', () => process.stderr.write('SNAPSHOT ' + v8.writeHeapSnapshot(${JSON.stringify(dir)} + '/' + process.pid + '-' + Date.now() + '.heapsnapshot') + '\\n'));\n`,
);

async function probe(p) {
  const from = p.outLength();
  process.kill(p.pid, 'SIGWINCH');
  return JSON.parse((await p.waitFor(/MEMORY (.*)/, 30_000, from))[1]);
}

async function snapshot(p) {
  const from = p.outLength();
  process.kill(p.pid, 'SIGURG');
  return (await p.waitFor(/SNAPSHOT (.*)/, 120_000, from))[1];
}

/** Self size and count per constructor (or node type) of a heap snapshot. */
function heapByKind(file) {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => fields.indexOf(k));
  const by = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + iType]];
    const key = ['object', 'native', 'closure'].includes(type) ? `${type} ${snap.strings[snap.nodes[i + iName]].slice(0, 60) || '(anonymous)'}` : type;
    const e = by.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + iSize];
    by.set(key, e);
  }
  return by;
}

async function batch(scale, gw, ag, label) {
  scale.stdin.write('check\n');
  const checked = JSON.parse((await scale.waitFor(/checked (.*)/))[1]);
  if (checked.ok !== checked.of) throw new Error(`${label}: only ${checked.ok} of ${checked.of} connections echoed`);
  const mem = { gateway: await probe(gw), agent: await probe(ag) };
  const snaps = SNAPSHOTS ? { gateway: await snapshot(gw), agent: await snapshot(ag) } : undefined;
  return { mem, snaps };
}

async function main() {
  const [transportPort, echoPort, publicPort] = await Promise.all([freePort(), freePort(), freePort()]);
  start([process.execPath, path.join(ROOT, 'bench/dist/workers/echo-server.js'), String(echoPort)]);
  const config = {
    dataDir: path.join(dir, 'data'),
    log: { level: 'warn' },
    gateway: { publicAddresses: ['127.0.0.1'], tokens: [{ token: 'idle-memory', role: 'agent' }], ports: { tcp: `${publicPort}-${publicPort}` } },
    transports: [['tcp', { listen: `127.0.0.1:${transportPort}` }]],
    plugins: [['protocol-tcp', {}]],
  };
  fs.writeFileSync(path.join(dir, 'gateway.config.js'), `module.exports = ${JSON.stringify(config)};\n`);
  const flags = ['--expose-gc', '-r', PROBE, ...(process.env.TFGW_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  const gw = start([process.execPath, ...flags, CLI, '--config', path.join(dir, 'gateway.config.js')]);
  const ag = start([process.execPath, ...flags, CLI, 'agent', '--server', `tcp://127.0.0.1:${transportPort}`, '--token', 'idle-memory', '--name', 'echo', '--tcp', `127.0.0.1:${echoPort}`, '--log-level', 'info']);
  await ag.waitFor(/tcp:\/\/[^\s"]+:(\d+)/, 30_000);
  const base = { gateway: await probe(gw), agent: await probe(ag) };
  // Each worker pauses half-way ('half'); start() answers 'continue'.
  const first = start([process.execPath, path.join(ROOT, 'bench/dist/workers/scale.js'), '127.0.0.1', String(publicPort), String(N), '200']);
  await first.waitFor(/opened (.*)/);
  const a = await batch(first, gw, ag, 'first batch');
  const second = start([process.execPath, path.join(ROOT, 'bench/dist/workers/scale.js'), '127.0.0.1', String(publicPort), String(N), '200']);
  await second.waitFor(/opened (.*)/);
  const b = await batch(second, gw, ag, 'second batch');
  const kb = (x) => (x / 1024 / N).toFixed(2);
  console.log(`idle tunnelled connections: ${N}, then ${N} more (tcp transport); KB per connection after a full GC`);
  if (SNAPSHOTS) console.log('(with --snapshots the RSS of the second batch and heap total include what writing the first snapshot took: read the heap diff below)');
  console.log('process   batch    RSS  heap used  heap total  young generation');
  for (const side of ['gateway', 'agent']) {
    for (const [label, from, to] of [['first', base, a.mem], ['second', a.mem, b.mem]]) {
      const d = (k) => kb(to[side][k] - from[side][k]).padStart(9);
      console.log(`${side.padEnd(9)} ${label.padEnd(6)} ${d('rss')} ${d('heapUsed')} ${d('heapTotal')} ${d('young')}`);
    }
    console.log(`${side.padEnd(9)} total RSS ${(b.mem[side].rss / 2 ** 20).toFixed(1)} MB with ${2 * N} connections (${(base[side].rss / 2 ** 20).toFixed(1)} MB before)`);
  }
  if (SNAPSHOTS) {
    for (const side of ['gateway', 'agent']) {
      const [x, y] = [heapByKind(a.snaps[side]), heapByKind(b.snaps[side])];
      const rows = [...y].map(([k, e]) => [k, (e.count - (x.get(k)?.count ?? 0)) / N, (e.bytes - (x.get(k)?.bytes ?? 0)) / N]).sort((p, q) => q[2] - p[2]);
      console.log(`\n${side}: heap kept per idle connection (snapshot diff of the second batch), ${rows.reduce((s, r) => s + r[2], 0).toFixed(0)} B in all`);
      for (const [k, count, bytes] of rows.filter((r) => r[2] >= 1).slice(0, 25)) console.log(`${count.toFixed(2).padStart(7)} × ${bytes.toFixed(0).padStart(5)} B  ${k}`);
    }
  }
}

main()
  .catch((err) => {
    console.error(err.message ?? err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
