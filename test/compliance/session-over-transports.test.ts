import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { createSession, type MuxedSession, type MuxedStream, type Transport, type TransportListener } from '@tfgw/core';
import { TcpTransport } from '@tfgw/transport-tcp';
import { TlsTransport } from '@tfgw/transport-tls';
import { WsTransport } from '@tfgw/transport-ws';
import { patternChunk, writePattern } from '../helpers/net';

// The byte transports under their real consumer, the core yamux session: parallel streams
// with checksums, then a graceful close that the other side sees.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-session-over-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const cases: Array<[string, () => Transport, string]> = [
  ['tcp', () => new TcpTransport(), 'tcp://127.0.0.1:0'],
  ['tls', () => new TlsTransport({ dataDir }), 'tls://127.0.0.1:0'],
  ['ws', () => new WsTransport(), 'ws://127.0.0.1:0/_tfgw'],
  ['wss', () => new WsTransport({ dataDir }), 'wss://127.0.0.1:0/_tfgw'],
];

function echoedHash(stream: MuxedStream, total: number, seed: number): Promise<[string, string]> {
  const received = new Promise<string>((resolve, reject) => {
    const h = crypto.createHash('sha256');
    stream.on('data', (c: Buffer) => h.update(c));
    stream.once('end', () => resolve(h.digest('hex')));
    stream.once('error', reject);
  });
  const sent = writePattern(stream, total, patternChunk(32 * 1024, seed)).then((hash) => {
    stream.end();
    return hash;
  });
  return Promise.all([sent, received]);
}

test.each(cases)('%s: a yamux session carries 4 parallel streams and closes gracefully', async (_name, make, url) => {
  const transport = make();
  let server: MuxedSession | undefined;
  let listener: TransportListener | undefined;
  let client: MuxedSession | undefined;
  try {
    listener = await transport.listen({ url: new URL(url), options: {} }, (conn) => {
      server = createSession(conn.duplex!, { client: false });
      server.on('stream', (s: MuxedStream) => s.pipe(s));
    });
    const conn = await transport.dial({ url: new URL(listener.address.url), options: {} });
    client = createSession(conn.duplex!, { client: true });
    const results = await Promise.all([1, 2, 3, 4].map((seed) => echoedHash(client!.open(), 8 * 1024 * 1024, seed)));
    for (const [sent, got] of results) expect(got).toBe(sent);
    const serverClosed = new Promise<unknown>((resolve) => server!.once('close', resolve));
    client.close();
    await expect(serverClosed).resolves.toBeUndefined();
  } finally {
    client?.close();
    server?.close();
    await listener?.close();
  }
});
