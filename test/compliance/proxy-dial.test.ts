import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo, Transport, TransportListener } from '@tfgw/core';
import { TcpTransport } from '@tfgw/transport-tcp';
import { TlsTransport } from '@tfgw/transport-tls';
import { WsTransport } from '@tfgw/transport-ws';
import crypto from 'node:crypto';
import { patternChunk, writePattern } from '../helpers/net';
import { PROXY_OUTGOING_ADDRESS, startMicrosocks, startTinyproxy, type RunningProxy } from './proxies';

// Every byte transport dialed through real upstream proxies: microsocks (SOCKS5) and
// tinyproxy (HTTP CONNECT), both from Debian. They dial out from 127.0.0.2, so the
// listener seeing that address proves the connection really went through the proxy.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-proxy-dial-'));
const proxies: Record<string, RunningProxy> = {};

beforeAll(async () => {
  [proxies.socks5, proxies.http] = await Promise.all([startMicrosocks(), startTinyproxy()]);
});
afterAll(async () => {
  await Promise.all(Object.values(proxies).map((p) => p.stop()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** sha256 of the first `total` bytes the stream yields. */
function hashFirst(stream: Duplex, total: number): Promise<{ hash: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash('sha256');
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      h.update(chunk);
      bytes += chunk.length;
      if (bytes >= total) resolve({ hash: h.digest('hex'), bytes });
    });
    stream.once('error', reject);
    stream.once('end', () => reject(new Error(`stream ended after ${bytes} of ${total} bytes`)));
  });
}

const transports: Array<[string, () => Transport, string]> = [
  ['tcp', () => new TcpTransport(), 'tcp://127.0.0.1:0'],
  ['tls', () => new TlsTransport({ dataDir }), 'tls://127.0.0.1:0'],
  ['ws', () => new WsTransport(), 'ws://127.0.0.1:0/_tfgw'],
  ['wss', () => new WsTransport({ dataDir }), 'wss://127.0.0.1:0/_tfgw'],
];

describe.each(['socks5', 'http'])('dialing through a real %s proxy', (proxyKind) => {
  let listener: TransportListener | undefined;
  const open: Duplex[] = [];
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
    for (const d of open.splice(0)) d.destroy();
  });

  test.each(transports)('%s carries 4 MB each way via the proxy', async (_name, make, url) => {
    const transport = make();
    const accepted: ConnectionInfo[] = [];
    listener = await transport.listen({ url: new URL(url), options: {} }, (conn) => {
      accepted.push(conn.info);
      conn.duplex!.on('error', () => undefined);
      open.push(conn.duplex!);
      conn.duplex!.pipe(conn.duplex!);
    });
    const conn = await transport.dial({ url: new URL(listener.address.url), options: { proxy: proxies[proxyKind].url } });
    const d = conn.duplex!;
    open.push(d);
    const total = 4 * 1024 * 1024;
    // No end() before the echo is back: SOCKS and HTTP proxies tear the whole tunnel down
    // on the first FIN, so half-close does not survive them (the session layer never needs it).
    const [sent, got] = await Promise.all([writePattern(d, total, patternChunk(32 * 1024, 3)), hashFirst(d, total)]);
    expect(got).toEqual({ hash: sent, bytes: total });
    expect(accepted).toHaveLength(1);
    expect(accepted[0].remoteAddress.startsWith(`${PROXY_OUTGOING_ADDRESS}:`)).toBe(true);
  });

  test('wrong proxy credentials are TFGW_ERR_PROXY on every transport', async () => {
    const bad = proxies[proxyKind].url.replace(/:[^:@/]+@/, ':wrong@');
    for (const [, make, url] of transports) {
      const transport = make();
      listener = await transport.listen({ url: new URL(url), options: {} }, (conn) => conn.duplex!.destroy());
      await expect(transport.dial({ url: new URL(listener.address.url), options: { proxy: bad } })).rejects.toMatchObject({ code: 'TFGW_ERR_PROXY' });
      await listener.close();
      listener = undefined;
    }
  });
});
