#!/usr/bin/env node
/**
 * How a dialer learns that the listener's process died and came back: a listener runs in a
 * child process with a fixed identity, a dialer connects and waits on a stream read, the
 * child is SIGKILLed and a new one starts on the same port with the same identity (what a
 * restarted gateway is). Prints how the read ended and after how long. With a stateless
 * reset the read would fail right after the restart; without one, only at the idle timeout.
 * Usage (after `npx tsc -b transports/quic`):
 *   node transports/quic/scripts/restart-detection.js [idleTimeoutMs=10000] [keepaliveMs=2000]
 */
'use strict';
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { loadNative } = require('../dist/native');
const { generateIdentity, nativeConfig, resolveQuicOptions } = require('../dist');

const idleTimeoutMs = Number(process.argv[2] ?? 10000);
const keepaliveMs = Number(process.argv[3] ?? 2000);

/** Child mode: `restart-detection.js --listen PORT KEYFILE IDLE KEEPALIVE`. */
async function listen([port, keyFile, idle, keepalive]) {
  const native = loadNative();
  const identity = { privateKeyProto: new Uint8Array(fs.readFileSync(keyFile)) };
  const config = native.createConfig(nativeConfig(resolveQuicOptions({ idleTimeoutMs: Number(idle), keepaliveMs: Number(keepalive) }), identity, 'listen'));
  const server = native.createServer(config, '127.0.0.1', Number(port));
  console.log(`listening ${server.port()}`);
  for (;;) (await server.inboundConnection()).inboundStream().catch(() => undefined);
}

/** Start a listener child and resolve with it and its port once it is bound. */
async function startListener(port, keyFile) {
  const child = spawn(process.execPath, [__filename, '--listen', String(port), keyFile, String(idleTimeoutMs), String(keepaliveMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout, 'data');
  return { child, port: Number(/listening (\d+)/.exec(String(line))[1]) };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-quic-restart-'));
  const keyFile = path.join(dir, 'key');
  fs.writeFileSync(keyFile, Buffer.from(generateIdentity().privateKeyProto));
  const first = await startListener(0, keyFile);
  const native = loadNative();
  const config = native.createConfig(nativeConfig(resolveQuicOptions({ idleTimeoutMs, keepaliveMs }), generateIdentity(), 'dial'));
  const client = native.createClient(config, 4);
  const conn = await client.outboundConnection('127.0.0.1', first.port);
  const stream = await conn.outboundStream();
  await stream.write(Buffer.from('x'));
  const ended = stream.read(16).then(
    (chunk) => `read returned ${chunk === null ? 'the end of the stream' : `${chunk.length} bytes`}`,
    (err) => `read rejected: ${JSON.stringify(err.message)}`,
  );
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  const killedAt = Date.now();
  const second = await startListener(first.port, keyFile);
  const restartedAt = Date.now();
  const how = await ended;
  const t = Date.now();
  console.log(JSON.stringify({ idleTimeoutMs, keepaliveMs, restartedAfterMs: restartedAt - killedAt, endedAfterKillMs: t - killedAt, how }));
  second.child.kill('SIGKILL');
  client.abort();
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--listen') listen(process.argv.slice(3));
else
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
