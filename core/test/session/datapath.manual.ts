/**
 * Manual measurement of the JavaScript cost of the tunnel data path (not a jest test):
 * one-way 64-byte messages, sent one after the other, through
 * `splice(visitor, stream)` -> yamux session -> yamux session -> `splice(stream, service)`,
 * the path a visitor's bytes take through gateway and agent. The transports are in-memory
 * duplexes that deliver on the next tick, so no syscall is counted: what is left is what
 * our code and Node's streams cost per message, which is what changes in this folder move.
 *
 *   npx tsc --outDir /tmp/tfgw-dp --module commonjs --target es2022 --esModuleInterop --skipLibCheck --types node core/test/session/datapath.manual.ts
 *   NODE_PATH=$PWD/node_modules node /tmp/tfgw-dp/datapath.manual.js [CORE_DIR,...] [size=64] [messages=3000] [runs=41]
 *
 * CORE_DIR is a folder with a built `dist/` of @tfgw/core (default: this checkout's core).
 * Several, comma-separated, are measured in one process with their runs interleaved, so
 * a build from before a change can be compared with the current one on a busy machine:
 * `cp -r core/dist /tmp/core-before/dist` before the change. The minimum over runs is the
 * figure to compare; medians move with the machine's load.
 */
import path from 'node:path';
import { Duplex } from 'node:stream';

type Core = typeof import('@tfgw/core');
interface Mem extends Duplex {
  peer: Mem;
  q: Array<Buffer | null>;
  sched: boolean;
}

const deliver = (d: Mem): void => {
  const q = d.q;
  d.q = [];
  d.sched = false;
  for (const c of q) d.peer.push(c);
};
const send = (d: Mem, c: Buffer | null): void => {
  d.q.push(c);
  if (!d.sched) {
    d.sched = true;
    process.nextTick(deliver, d);
  }
};

/** Two connected in-memory duplexes; a write arrives at the other end on the next tick. */
function pair(): [Mem, Mem] {
  const mk = (): Mem => {
    const d = new Duplex({
      allowHalfOpen: true,
      read() {},
      write(c: Buffer, _e, cb) {
        send(this as Mem, c);
        cb();
      },
      writev(cs, cb) {
        for (const c of cs) send(this as Mem, c.chunk as Buffer);
        cb();
      },
      final(cb) {
        send(this as Mem, null);
        cb();
      },
    }) as Mem;
    d.q = [];
    d.sched = false;
    return d;
  };
  const a = mk();
  const b = mk();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

interface Chain {
  name: string;
  times: number[];
  run(): Promise<void>;
}

async function chain(coreDir: string, size: number, messages: number): Promise<Chain> {
  const core = require(path.resolve(coreDir, 'dist/index.js')) as Core;
  const [c1, c2] = pair();
  let inbound: Duplex | undefined;
  const client = core.createSession(c1, { client: true, keepaliveMs: 0 });
  core.createSession(c2, { client: false, keepaliveMs: 0, onStream: (s) => (inbound = s) });
  const [visitor, visitorEnd] = pair();
  const [serviceEnd, service] = pair();
  const stream = client.open();
  await new Promise((r) => setImmediate(r));
  void core.splice(visitorEnd, stream);
  void core.splice(inbound!, serviceEnd);
  const payload = Buffer.alloc(size, 0x61);
  let got = 0;
  let left = 0;
  let done: () => void = () => undefined;
  service.on('data', (d: Buffer) => {
    got += d.length;
    if (got % size !== 0) return;
    if (--left > 0) visitor.write(payload);
    else done();
  });
  return {
    name: coreDir,
    times: [],
    run: () =>
      new Promise<void>((resolve) => {
        done = resolve;
        left = messages;
        visitor.write(payload);
      }),
  };
}

async function main(): Promise<void> {
  const dirs = (process.argv[2] || path.resolve(__dirname, '../../../core')).split(',');
  const size = Number(process.argv[3] ?? 64);
  const messages = Number(process.argv[4] ?? 3000);
  const runs = Number(process.argv[5] ?? 41);
  const chains: Chain[] = [];
  for (const d of dirs) chains.push(await chain(d, size, messages));
  for (let i = 0; i < runs; i++) {
    for (const c of i % 2 ? chains : [...chains].reverse()) {
      const t0 = process.hrtime.bigint();
      await c.run();
      c.times.push(Number(process.hrtime.bigint() - t0) / messages);
    }
  }
  for (const c of chains) {
    const t = c.times.slice(2).sort((a, b) => a - b);
    console.log(`${c.name}: ${size}-byte messages, ns per message: min ${t[0].toFixed(0)}, p25 ${t[t.length >> 2].toFixed(0)}, median ${t[t.length >> 1].toFixed(0)}`);
  }
}

void main();
