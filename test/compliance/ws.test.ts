import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';
import { TfgwError, type ConnectionInfo, type TransportListener } from '@tfgw/core';
import wsTransport, { WsTransport, WebSocketDuplex } from '@tfgw/transport-ws';
import { describeTransportCompliance } from './transport-suite';
import { makePki, removePki, type TestPki } from './pki';

const pki: TestPki = makePki();
afterAll(() => removePki(pki));

describeTransportCompliance('ws', () => ({
  transport: new WsTransport(),
  listenUrl: new URL('ws://127.0.0.1:0/_tfgw'),
}));

describeTransportCompliance('wss (self-signed identity, pinned by the URL fragment)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-wss-'));
  return {
    transport: new WsTransport({ dataDir }),
    listenUrl: new URL('wss://127.0.0.1:0/_tfgw'),
    cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
});

describe('ws: endpoint behaviour', () => {
  const transport = new WsTransport();
  let listener: TransportListener | undefined;
  let accepted: ConnectionInfo[] = [];
  const open: Array<{ destroy(): void } | { terminate(): void }> = [];

  afterEach(async () => {
    await listener?.close();
    listener = undefined;
    for (const o of open.splice(0)) ('destroy' in o ? o.destroy() : o.terminate());
    accepted = [];
  });

  async function serve(url: string, options: Record<string, unknown> = {}): Promise<TransportListener> {
    listener = await transport.listen({ url: new URL(url), options }, (conn) => {
      accepted.push(conn.info);
      conn.duplex!.on('error', () => undefined);
      open.push(conn.duplex!);
      conn.duplex!.pipe(conn.duplex!);
    });
    return listener;
  }

  function httpGet(port: number, p: string): Promise<number> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
  }

  test('a dial to the wrong path is TFGW_ERR_CONNECT with status 404, and nothing is accepted', async () => {
    const l = await serve('ws://127.0.0.1:0/_tfgw');
    const err = await transport.dial({ url: new URL(`ws://127.0.0.1:${l.address.port}/elsewhere`), options: {} }).then(
      () => undefined,
      (e: unknown) => e as TfgwError,
    );
    expect(err).toBeInstanceOf(TfgwError);
    expect(err?.code).toBe('TFGW_ERR_CONNECT');
    expect(err?.details?.status).toBe(404);
    expect(accepted).toHaveLength(0);
  });

  test('plain HTTP gets 404 elsewhere and 426 on the endpoint path', async () => {
    const l = await serve('ws://127.0.0.1:0/tunnel');
    await expect(httpGet(l.address.port, '/')).resolves.toBe(404);
    await expect(httpGet(l.address.port, '/tunnel')).resolves.toBe(426);
    await expect(httpGet(l.address.port, '/tunnel?x=1')).resolves.toBe(426);
  });

  test.each([
    [false, /^127\.0\.0\.1:\d+$/],
    [true, /^203\.0\.113\.7$/],
  ])('X-Forwarded-For is used only with trustProxy=%s', async (trustProxy, expected) => {
    const l = await serve('ws://127.0.0.1:0/_tfgw', { trustProxy });
    // A real `ws` client, sending the header a reverse proxy would add.
    const ws = new WebSocket(l.address.url, { headers: { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' }, perMessageDeflate: false });
    open.push(ws);
    await once(ws, 'open');
    expect(accepted).toHaveLength(1);
    expect(accepted[0].remoteAddress).toMatch(expected);
  });

  test('a plain ws client sees binary echo and the empty end-of-stream message', async () => {
    const l = await serve('ws://127.0.0.1:0/_tfgw');
    const ws = new WebSocket(l.address.url, { perMessageDeflate: false });
    open.push(ws);
    await once(ws, 'open');
    const got: Buffer[] = [];
    const ended = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        if (data.length === 0) resolve();
        else got.push(data);
      }),
    );
    ws.send(Buffer.from('abc'));
    ws.send(Buffer.alloc(0));
    await ended;
    expect(Buffer.concat(got).toString()).toBe('abc');
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1000);
  });

  test('a peer that drops the socket without ending is TFGW_ERR_CONNECTION_RESET', async () => {
    let serverSide: WebSocketDuplex | undefined;
    const errors: unknown[] = [];
    listener = await transport.listen({ url: new URL('ws://127.0.0.1:0/_tfgw'), options: {} }, (conn) => {
      serverSide = conn.duplex as WebSocketDuplex;
      serverSide.on('error', (e) => errors.push(e));
    });
    const ws = new WebSocket(listener.address.url, { perMessageDeflate: false });
    open.push(ws);
    await once(ws, 'open');
    const closed = new Promise((resolve) => serverSide!.once('close', resolve));
    ws.terminate();
    await closed;
    expect(errors).toHaveLength(1);
    expect((errors[0] as TfgwError).code).toBe('TFGW_ERR_CONNECTION_RESET');
  });

  test('wss with a CA-issued certificate: CA verification, pinning, mismatch, and mTLS fingerprint', async () => {
    const l = await serve('wss://127.0.0.1:0/_tfgw', { cert: pki.server.certFile, key: pki.server.keyFile, ca: pki.ca.cert, requestClientCert: true });
    const url = new URL(l.address.url);
    expect(url.hash).toBe('');
    const client = { cert: pki.client.cert, key: pki.client.key };
    const viaCa = await transport.dial({ url, options: { ca: pki.ca.cert, ...client } });
    open.push(viaCa.duplex!);
    expect(viaCa.info.peerFingerprint).toBe(pki.server.fingerprint);
    const pinned = await transport.dial({ url: new URL(`${url.href}#${pki.server.fingerprint}`), options: client });
    open.push(pinned.duplex!);
    pinned.duplex!.write('x');
    await once(pinned.duplex!, 'data');
    expect(accepted.map((a) => a.peerFingerprint)).toEqual([pki.client.fingerprint, pki.client.fingerprint]);
    await expect(transport.dial({ url, options: { fingerprint: pki.ca.fingerprint, ...client } })).rejects.toMatchObject({ code: 'TFGW_ERR_TRUST' });
    await expect(transport.dial({ url, options: { ca: pki.otherCa.cert, ...client } })).rejects.toMatchObject({ code: 'TFGW_ERR_TRUST' });
  });
});

describe('ws: plugin options', () => {
  test.each([
    [{ listen: 'nope' }, 'listen'],
    [{ path: 'no-slash' }, 'path'],
    [{ trustProxy: 'yes' }, 'trustProxy'],
    [{ headers: { a: 1 } }, 'headers'],
    [{ maxPayload: 10 }, 'maxPayload'],
    [{ secure: true, cert: 'x' }, 'key'],
  ])('%j is TFGW_ERR_CONFIG at %s', (options, key) => {
    let err: unknown;
    try {
      wsTransport(options as never);
    } catch (e) {
      err = e;
    }
    expect((err as TfgwError).code).toBe('TFGW_ERR_CONFIG');
    expect((err as TfgwError).details?.path).toBe(key);
  });

  test('listen URLs carry the path and the scheme', () => {
    const added: Array<{ listen: URL[] }> = [];
    const node = { baseDir: process.cwd(), config: {}, transports: { add: (e: { listen: URL[] }) => added.push(e) } };
    wsTransport({ listen: '127.0.0.1:7080' }).apply(node as never);
    wsTransport({ listen: ['0.0.0.0:443'], path: '/t', secure: true }).apply(node as never);
    expect(added.map((e) => e.listen.map((u) => u.href))).toEqual([['ws://127.0.0.1:7080/_tfgw'], ['wss://0.0.0.0/t']]);
  });
});
