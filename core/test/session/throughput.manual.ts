/**
 * Manual throughput measurement of the yamux session (not a jest test).
 *
 *   npx tsc --outDir /tmp/tfgw-tp --module commonjs --target es2022 --esModuleInterop --skipLibCheck --types node core/test/session/throughput.manual.ts
 *   node /tmp/tfgw-tp/throughput.manual.js [yamux|tcp|relay] [MB=1024] [streams=1]
 *
 * The receiver runs in a child process (as the agent and the gateway do), so both ends
 * get their own CPU. `tcp` is the same transfer over a plain socket (the limit), `relay`
 * adds a plain `socket.pipe` hop in the middle (what socat does), `yamux` sends the bytes
 * as stream(s) of one yamux session over one TCP connection.
 */
import net from 'node:net';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createSession, type MuxedStream, type YamuxStream } from '@tfgw/core';

type Mode = 'yamux' | 'tcp' | 'relay';
interface Ready { port: number }
interface Done { bytes: number; ms: number; cpuMs: number; window?: number }

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

async function writeAll(w: NodeJS.WritableStream & { write(b: Buffer): boolean }, total: number): Promise<void> {
  let left = total;
  while (left > 0) {
    const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    left -= piece.length;
    if (!w.write(piece)) await once(w as unknown as NodeJS.EventEmitter, 'drain');
  }
  w.end();
}

/** Child: accept one connection, count bytes until every stream ended, report. */
async function receiver(mode: Mode, streams: number): Promise<void> {
  let bytes = 0;
  let start = 0;
  let ended = 0;
  let window = 0;
  const count = (chunk: Buffer) => {
    if (start === 0) start = performance.now();
    bytes += chunk.length;
  };
  const finish = () => {
    if (++ended < streams) return;
    const cpu = process.cpuUsage();
    process.send!({ bytes, ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, window } satisfies Done, () => process.exit(0));
  };
  const srv = net.createServer((sock) => {
    sock.setNoDelay(true);
    if (mode === 'yamux') {
      createSession(sock, {
        client: false,
        onStream: (s: MuxedStream) => {
          s.on('data', (c: Buffer) => {
            count(c);
            window = Math.max(window, (s as YamuxStream).receiveWindow);
          });
          s.on('end', finish);
          s.on('error', (e) => console.error('stream error', e));
        },
      });
    } else {
      sock.on('data', count);
      sock.on('end', finish);
    }
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  process.send!({ port: (srv.address() as net.AddressInfo).port } satisfies Ready);
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await once(s, 'connect');
  s.setNoDelay(true);
  return s;
}

async function run(mode: Mode, mb: number, streams: number): Promise<void> {
  const total = mb * 1024 * 1024;
  const child = fork(__filename, ['--receiver', mode === 'relay' ? 'tcp' : mode, String(mode === 'yamux' ? streams : 1)], { stdio: 'inherit', execArgv: process.env.TP_CHILD_ARGS ? process.env.TP_CHILD_ARGS.split(' ') : [] });
  const [ready] = (await once(child, 'message')) as [Ready];
  const donePromise = once(child, 'message') as Promise<[Done]>;
  const t0 = performance.now();
  if (mode === 'tcp') {
    await writeAll(await connect(ready.port), total);
  } else if (mode === 'relay') {
    // sender -> relay (plain socket.pipe both ways) -> receiver, all on loopback.
    const relay = net.createServer((inSock) => {
      inSock.setNoDelay(true);
      const out = net.connect(ready.port, '127.0.0.1', () => out.setNoDelay(true));
      inSock.pipe(out);
      out.pipe(inSock);
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    await writeAll(await connect((relay.address() as net.AddressInfo).port), total);
    relay.close();
  } else {
    const session = createSession(await connect(ready.port), { client: true });
    const per = Math.floor(total / streams);
    await Promise.all(Array.from({ length: streams }, () => writeAll(session.open(), per)));
  }
  const [done] = await donePromise;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage();
  const perGiB = (cpuMs: number) => ((cpuMs / done.bytes) * 2 ** 30).toFixed(0);
  const mbps = done.bytes / 1e6 / (ms / 1000);
  console.log(`${mode.padEnd(6)} streams=${mode === 'yamux' ? streams : 1} ${(done.bytes / 2 ** 20).toFixed(0)} MiB in ${ms.toFixed(0)} ms: ${mbps.toFixed(0)} MB/s = ${((mbps * 8) / 1000).toFixed(2)} Gbit/s; CPU ms per GiB: sender ${perGiB((cpu.user + cpu.system) / 1000)}, receiver ${perGiB(done.cpuMs)}${done.window ? `, receive window grew to ${done.window / 1024} KiB` : ''}`);
  process.exit(0);
}

if (process.argv[2] === '--receiver') {
  void receiver(process.argv[3] as Mode, Number(process.argv[4]));
} else {
  const mode = (process.argv[2] ?? 'yamux') as Mode;
  const mb = Number(process.argv[3] ?? 1024);
  const streams = Number(process.argv[4] ?? 1);
  void run(mode, mb, streams);
}
