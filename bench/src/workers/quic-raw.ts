/**
 * The QUIC library on its own: the native (quinn) layer of @chainsafe/libp2p-quic, as tfgw's
 * transport loads it (transports/quic/dist/native.js), with no tfgw stream or session code.
 * Two processes, like a gateway and an agent:
 *   node quic-raw.js listen        binds 127.0.0.1:0, prints `listening PORT`, then takes
 *                                  commands on stdin for the connection it accepts:
 *     tput ID SECONDS STREAMS [MBPS]
 *                                  STREAMS streams at once, each writing 128 KiB chunks for
 *                                  1 + SECONDS s; prints `result ID {"gbps","bytes"}` (Gbit/s
 *                                  over the SECONDS after a 1 s warm-up, like iperf3 -O 1;
 *                                  bytes of the whole run). MBPS > 0 paces the writes of all
 *                                  streams together to that many Mbit/s, like iperf3 -b, so the
 *                                  library's cost per byte can be read at a tunnel's rate
 *                                  (bench/scripts/quic-raw-cost.js)
 *     ping ID COUNT SIZE           COUNT sequential SIZE-byte round trips on one stream after
 *                                  a warm-up; prints `result ID {"p50","p99","p999","total"}` (µs)
 *   node quic-raw.js dial PORT     connects, prints `connected`, and serves the streams the
 *                                  listener opens: first byte `S` = sink (reads to the end,
 *                                  answers the byte count), `E` = echo.
 * Reads ask for 256 KiB, writes wait for the library: its best case on loopback.
 */
import path from 'node:path';
import readline from 'node:readline';
import { quantileSorted } from '../stats';

/** The members of the native layer used here (typed in transports/quic/src/native.ts). */
interface RawStream {
  read(max: number): Promise<Uint8Array | null>;
  write(data: Uint8Array): Promise<void>;
  finishWrite(): void;
}
interface RawConnection {
  inboundStream(): Promise<RawStream>;
  outboundStream(): Promise<RawStream>;
}
interface RawNative {
  createConfig(init: Record<string, unknown>): object;
  createServer(config: object, ip: string, port: number): { port(): number; inboundConnection(): Promise<RawConnection> };
  createClient(config: object, family: 4 | 6): { outboundConnection(ip: string, port: number): Promise<RawConnection> };
}

/** transports/quic/dist, from bench/dist/workers. */
const QUIC_DIST = path.resolve(__dirname, '../../../transports/quic/dist');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadNative } = require(path.join(QUIC_DIST, 'native.js')) as { loadNative(): RawNative };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generateIdentity, nativeConfig, resolveQuicOptions } = require(path.join(QUIC_DIST, 'index.js')) as {
  generateIdentity(): { privateKeyProto: Uint8Array };
  nativeConfig(o: unknown, identity: { privateKeyProto: Uint8Array }, side: 'listen' | 'dial'): Record<string, unknown>;
  resolveQuicOptions(o: Record<string, unknown>): unknown;
};

const READ = 256 * 1024;
const CHUNK = Buffer.alloc(128 * 1024, 0x61);
const WARMUP_MS = 1000;
const native = loadNative();

/** tfgw's defaults: windows, socket buffers, a listener's stream limit (1024: 16 streams never wait). */
function config(): object {
  return native.createConfig(nativeConfig(resolveQuicOptions({}), generateIdentity(), 'listen'));
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

async function tput(conn: RawConnection, seconds: number, streams: number, mbps = 0): Promise<{ gbps: number; bytes: number }> {
  const start = now();
  const bytesPerMs = mbps > 0 ? (mbps * 1e6) / 8 / 1000 : 0;
  let written = 0;
  let mark: { t: number; written: number } | undefined;
  let stop = false;
  const warm = setTimeout(() => (mark = { t: now(), written }), WARMUP_MS);
  const end = setTimeout(() => (stop = true), WARMUP_MS + seconds * 1000);
  const one = async (): Promise<number> => {
    const s = await conn.outboundStream();
    await s.write(Buffer.from('S'));
    while (!stop) {
      const early = bytesPerMs > 0 ? start + written / bytesPerMs - now() : 0;
      if (early >= 1) await new Promise((resolve) => setTimeout(resolve, early));
      await s.write(CHUNK);
      written += CHUNK.length;
    }
    s.finishWrite();
    let answer = '';
    for (let c = await s.read(64); c !== null; c = await s.read(64)) answer += Buffer.from(c).toString();
    return Number(answer);
  };
  const received = (await Promise.all(Array.from({ length: streams }, one))).reduce((a, b) => a + b, 0);
  const t = now();
  clearTimeout(warm);
  clearTimeout(end);
  const from = mark ?? { t: start, written: 0 };
  return { gbps: ((received - from.written) * 8) / ((t - from.t) / 1000) / 1e9, bytes: received };
}

async function ping(conn: RawConnection, count: number, size: number): Promise<{ p50: number; p99: number; p999: number; total: number }> {
  const warmup = Math.min(200, Math.max(20, Math.floor(count / 20)));
  const s = await conn.outboundStream();
  await s.write(Buffer.from('E'));
  const payload = Buffer.alloc(size, 0x61);
  const samples = new Float64Array(count);
  for (let i = -warmup; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await s.write(payload);
    for (let got = 0; got < size; ) {
      const c = await s.read(READ);
      if (c === null) throw new Error('echo stream ended early');
      got += c.length;
    }
    if (i >= 0) samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  s.finishWrite();
  while ((await s.read(READ)) !== null);
  const sorted = Float64Array.from(samples).sort();
  return { p50: quantileSorted(sorted, 0.5), p99: quantileSorted(sorted, 0.99), p999: quantileSorted(sorted, 0.999), total: count + warmup };
}

async function serve(s: RawStream): Promise<void> {
  const kind = await s.read(1);
  if (!kind) return;
  if (kind[0] === 0x53 /* S */) {
    let n = 0;
    for (let c = await s.read(READ); c !== null; c = await s.read(READ)) n += c.length;
    await s.write(Buffer.from(String(n)));
    s.finishWrite();
  } else {
    for (let c = await s.read(READ); c !== null; c = await s.read(READ)) await s.write(c);
    s.finishWrite();
  }
}

async function listen(): Promise<void> {
  const server = native.createServer(config(), '127.0.0.1', 0);
  console.log(`listening ${server.port()}`);
  const conn = await server.inboundConnection();
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, id, a, b, c] = line.trim().split(/\s+/);
    try {
      const r = cmd === 'tput' ? await tput(conn, Number(a), Number(b), Number(c ?? 0)) : cmd === 'ping' ? await ping(conn, Number(a), Number(b)) : { error: `unknown command ${cmd}` };
      console.log(`result ${id} ${JSON.stringify(r)}`);
    } catch (e) {
      console.log(`result ${id} ${JSON.stringify({ error: (e as Error).message })}`);
    }
  }
  process.exit(0);
}

async function dial(port: number): Promise<void> {
  const conn = await native.createClient(config(), 4).outboundConnection('127.0.0.1', port);
  console.log('connected');
  for (;;) {
    let s: RawStream;
    try {
      s = await conn.inboundStream();
    } catch {
      process.exit(0); // the listener went away
    }
    serve(s).catch(() => undefined);
  }
}

(process.argv[2] === 'listen' ? listen() : dial(Number(process.argv[3]))).catch((e) => {
  console.error(e);
  process.exit(1);
});
