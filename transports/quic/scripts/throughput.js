#!/usr/bin/env node
/**
 * Loopback throughput and ping of the QUIC transport: the raw native layer vs the wrapper.
 * Usage (after `npx tsc -b transports/quic`):
 *   node transports/quic/scripts/throughput.js [MiB=512] [chunkKiB=64] [rounds=3]
 * Prints MB/s (10^6 bytes/s) and process CPU seconds per GB for each round and the median, and ping p50/p99 over 2000 pings,
 * raw (same round trip on the native layer) and through session.ping().
 */
'use strict';
const crypto = require('node:crypto');
const { once } = require('node:events');
const { finished } = require('node:stream/promises');
const { QuicTransport, generateIdentity, nativeConfig: tfgwNativeConfig, resolveQuicOptions } = require('../dist');
const { loadNative } = require('../dist/native');
const { READ_CHUNK } = require('../dist/stream');

const MiB = Number(process.argv[2] ?? 512);
const chunkKiB = Number(process.argv[3] ?? 64);
const rounds = Number(process.argv[4] ?? 3);
const total = MiB * 1024 * 1024;
const chunk = crypto.randomBytes(chunkKiB * 1024);

function nativeConfig(native) {
  return native.createConfig(tfgwNativeConfig(resolveQuicOptions({}), generateIdentity(), 'listen'));
}

async function raw() {
  const native = loadNative();
  const server = native.createServer(nativeConfig(native), '127.0.0.1', 0);
  const client = native.createClient(nativeConfig(native), 4);
  const accepted = server.inboundConnection();
  const cc = await client.outboundConnection('127.0.0.1', server.port());
  const sc = await accepted;
  const t0 = process.hrtime.bigint();
  const s = await cc.outboundStream();
  const inbound = sc.inboundStream();
  const writer = (async () => {
    for (let left = total; left > 0; ) {
      const c = left >= chunk.length ? chunk : chunk.subarray(0, left);
      await s.write(c);
      left -= c.length;
    }
    s.finishWrite();
  })();
  const r = await inbound;
  let got = 0;
  for (;;) {
    const c = await r.read(READ_CHUNK);
    if (c === null) break;
    got += c.length;
  }
  await writer;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  cc.abort();
  client.abort();
  await server.abort();
  if (got !== total) throw new Error(`raw: got ${got} of ${total}`);
  return total / secs / 1e6;
}

async function pair() {
  const t = new QuicTransport({ insecure: true });
  let resolveServer;
  const serverSession = new Promise((r) => (resolveServer = r));
  const listener = await t.listen({ url: new URL('quic://127.0.0.1:0'), options: {} }, (c) => resolveServer(c.session));
  const dialed = await t.dial({ url: new URL(listener.address.url), options: {} });
  return { listener, client: dialed.session, server: await serverSession };
}

async function wrapped() {
  const { listener, client, server } = await pair();
  const t0 = process.hrtime.bigint();
  const done = new Promise((resolve, reject) => {
    server.once('stream', (s) => {
      let got = 0;
      s.on('data', (d) => (got += d.length));
      s.on('end', () => {
        s.end();
        resolve(got);
      });
      s.on('error', reject);
    });
  });
  const s = client.open();
  for (let left = total; left > 0; ) {
    const c = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= c.length;
    if (!s.write(c)) await once(s, 'drain');
  }
  s.end();
  s.resume();
  const got = await done;
  await finished(s);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  client.close();
  await listener.close();
  if (got !== total) throw new Error(`wrapper: got ${got} of ${total}`);
  return total / secs / 1e6;
}

async function pings() {
  const { listener, client } = await pair();
  for (let i = 0; i < 100; i++) await client.ping();
  const rtts = [];
  for (let i = 0; i < 2000; i++) rtts.push(await client.ping());
  rtts.sort((a, b) => a - b);
  client.close();
  await listener.close();
  return { p50: rtts[1000], p99: rtts[1980] };
}

/** The same round trip on the raw layer: open a stream, 1 byte there, 1 byte back. */
async function rawPings() {
  const native = loadNative();
  const server = native.createServer(nativeConfig(native), '127.0.0.1', 0);
  const client = native.createClient(nativeConfig(native), 4);
  const accepted = server.inboundConnection();
  const cc = await client.outboundConnection('127.0.0.1', server.port());
  const sc = await accepted;
  let serving = true;
  (async () => {
    while (serving) {
      const s = await sc.inboundStream().catch(() => undefined);
      if (!s) return;
      s.read(1).then(async () => {
        await s.write(Buffer.of(3));
        s.finishWrite();
        s.stopRead();
      }, () => undefined);
    }
  })();
  const one = async () => {
    const t0 = process.hrtime.bigint();
    const s = await cc.outboundStream();
    await s.write(Buffer.of(1));
    s.finishWrite();
    await s.read(1);
    s.stopRead();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (let i = 0; i < 100; i++) await one();
  const rtts = [];
  for (let i = 0; i < 2000; i++) rtts.push(await one());
  rtts.sort((a, b) => a - b);
  serving = false;
  cc.abort();
  client.abort();
  await server.abort();
  return { p50: rtts[1000], p99: rtts[1980] };
}

/** Runs `fn` (which returns MB/s) and also reports process CPU seconds (all threads) per GB moved. */
async function withCpu(fn) {
  const c0 = process.cpuUsage();
  const mbps = await fn();
  const c = process.cpuUsage(c0);
  return { mbps, cpuPerGB: (c.user + c.system) / 1e6 / (total / 1e9) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  console.log(`node ${process.version}, ${MiB} MiB per run, app chunk ${chunkKiB} KiB, ${rounds} rounds (alternating)`);
  const r = [];
  const w = [];
  for (let i = 0; i < rounds; i++) {
    r.push(await withCpu(raw));
    w.push(await withCpu(wrapped));
    console.log(
      `round ${i + 1}: raw ${r[i].mbps.toFixed(1)} MB/s (${r[i].cpuPerGB.toFixed(2)} CPU s/GB), wrapper ${w[i].mbps.toFixed(1)} MB/s (${w[i].cpuPerGB.toFixed(2)} CPU s/GB)`,
    );
  }
  const mr = median(r.map((x) => x.mbps));
  const mw = median(w.map((x) => x.mbps));
  const cr = median(r.map((x) => x.cpuPerGB));
  const cw = median(w.map((x) => x.cpuPerGB));
  console.log(`median: raw ${mr.toFixed(1)} MB/s, wrapper ${mw.toFixed(1)} MB/s, wrapper/raw ${((mw / mr) * 100).toFixed(0)}%`);
  console.log(`median CPU per GB (lower is better, robust to machine load): raw ${cr.toFixed(2)} s, wrapper ${cw.toFixed(2)} s, raw/wrapper ${((cr / cw) * 100).toFixed(0)}%`);
  const rp = await rawPings();
  console.log(`ping raw (new stream, 1 byte each way): p50 ${(rp.p50 * 1000).toFixed(0)} us, p99 ${(rp.p99 * 1000).toFixed(0)} us`);
  const p = await pings();
  console.log(`ping wrapper (session.ping(), PING stream): p50 ${(p.p50 * 1000).toFixed(0)} us, p99 ${(p.p99 * 1000).toFixed(0)} us`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
