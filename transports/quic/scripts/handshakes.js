#!/usr/bin/env node
/**
 * Cost of the concurrent-stream limit a QUIC endpoint grants (`maxConcurrentStreamLimit`):
 * handshake time, CPU and RSS per connection, on the native layer over 127.0.0.1.
 * Usage (after `npx tsc -b transports/quic`):
 *   node --expose-gc transports/quic/scripts/handshakes.js [serverLimit=1024] [clientLimit=1024] [connections=200]
 * One server endpoint and `connections` client endpoints (one each, as every tfgw dial has
 * its own) live in this process, so RSS and CPU are both sides' together. Prints one JSON
 * line: time of all handshakes at once (total, p50, max), process CPU (all threads) per
 * handshake, RSS growth per connection while all are up, and the p50 of 20 handshakes one
 * after the other.
 */
'use strict';
const { generateIdentity, nativeConfig, resolveQuicOptions } = require('../dist');
const { loadNative } = require('../dist/native');

const [serverLimit, clientLimit, conns] = [1024, 1024, 200].map((d, i) => Number(process.argv[2 + i] ?? d));
const native = loadNative();
const config = (limit) => native.createConfig(nativeConfig(resolveQuicOptions({ maxStreams: limit }), generateIdentity(), 'listen'));
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Dial on a fresh client endpoint; resolves with the handshake's time and the endpoint. */
async function dial(server, clientConfig) {
  const client = native.createClient(clientConfig, 4);
  const t0 = process.hrtime.bigint();
  const dialed = await client.outboundConnection('127.0.0.1', server.port());
  return { took: ms(t0), client, dialed };
}

/** `n` dials at once, accepted by one loop as ServerEndpoint does. */
async function handshakes(server, clientConfig, n) {
  const accepted = [];
  const accepting = (async () => {
    while (accepted.length < n) accepted.push(await server.inboundConnection());
  })();
  const dials = await Promise.all(Array.from({ length: n }, () => dial(server, clientConfig)));
  await accepting;
  return { dials, accepted };
}

function closeAll({ dials, accepted }) {
  for (const d of dials) {
    d.dialed.abort();
    d.client.abort();
  }
  for (const a of accepted) a.abort();
}

(async () => {
  const server = native.createServer(config(serverLimit), '127.0.0.1', 0);
  const clientConfig = config(clientLimit);
  closeAll(await handshakes(server, clientConfig, 1)); // warm-up
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const all = await handshakes(server, clientConfig, conns);
  const total = ms(t0);
  const cpu = process.cpuUsage(cpu0);
  global.gc?.();
  const rss1 = process.memoryUsage().rss;
  const times = all.dials.map((d) => d.took).sort((a, b) => a - b);
  closeAll(all);
  const seq = [];
  for (let i = 0; i < 20; i++) {
    const h = await handshakes(server, clientConfig, 1);
    seq.push(h.dials[0].took);
    closeAll(h);
  }
  seq.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      serverLimit,
      clientLimit,
      connections: conns,
      parallelTotalMs: Math.round(total),
      parallelP50Ms: Math.round(times[conns >> 1]),
      parallelMaxMs: Math.round(times[conns - 1]),
      cpuPerHandshakeMs: +((cpu.user + cpu.system) / 1000 / conns).toFixed(2),
      rssPerConnectionKiB: Math.round((rss1 - rss0) / conns / 1024),
      sequentialP50Ms: +seq[10].toFixed(2),
    }),
  );
  await server.abort();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
