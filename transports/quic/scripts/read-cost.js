#!/usr/bin/env node
/**
 * What one native `read()` costs when the data is already there: a sender writes more than
 * the reads will take, the reader waits until it has all arrived, then times COUNT reads of
 * up to KiB each. Every read is one asynchronous call into the library (a promise, a task on
 * its runtime, a call back into JavaScript), so this is the fixed cost per chunk that any
 * wrapper pays, with no network wait in it.
 * Usage (after `npx tsc -b transports/quic`):
 *   node transports/quic/scripts/read-cost.js [KiB=4] [count=5000]
 * Prints the bytes per read, wall µs per read and process CPU µs per read (all threads).
 */
'use strict';
const { loadNative } = require('../dist/native');
const { generateIdentity, nativeConfig, resolveQuicOptions } = require('../dist');

const KiB = Number(process.argv[2] ?? 4);
const count = Number(process.argv[3] ?? 5000);
const size = KiB * 1024;
const total = size * count;

async function main() {
  const native = loadNative();
  // Windows larger than the whole transfer, so the sender never waits for the reader.
  const window = 2 * total + (1 << 20);
  const config = native.createConfig(nativeConfig(resolveQuicOptions({ streamWindow: window, connectionWindow: window }), generateIdentity(), 'listen'));
  const server = native.createServer(config, '127.0.0.1', 0);
  const client = native.createClient(config, 4);
  const accepted = server.inboundConnection();
  const dialed = await client.outboundConnection('127.0.0.1', server.port());
  const served = await accepted;
  const out = await dialed.outboundStream();
  await out.write(Buffer.alloc(total + 1, 0x61));
  out.finishWrite();
  const inbound = await served.inboundStream();
  await inbound.read(1);
  // Poll without reading until the sender's side is done: wait for the whole transfer.
  await new Promise((resolve) => setTimeout(resolve, Math.max(500, total / 100_000)));
  let got = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const chunk = await inbound.read(size);
    if (chunk === null) throw new Error('stream ended early');
    got += chunk.length;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  console.log(
    JSON.stringify({ readKiB: KiB, reads: count, bytesPerRead: Math.round(got / count), wallUsPerRead: +(wall / count).toFixed(1), cpuUsPerRead: +((cpu.user + cpu.system) / count).toFixed(1) }),
  );
  dialed.abort();
  client.abort();
  await server.abort();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
