import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Writable, type Duplex } from 'node:stream';
import pino from 'pino';
import { TfgwError, type ConnectionInfo, type TransportConnection, type TransportListener } from '@tfgw/core';
import tlsTransport, { TlsTransport } from '@tfgw/transport-tls';
import { describeTransportCompliance } from './transport-suite';
import { makePki, removePki, type TestPki } from './pki';

// Certificates come from the real openssl CLI (pki.ts); the self-signed identity is tfgw's own.

const pki: TestPki = makePki();
afterAll(() => removePki(pki));

describeTransportCompliance('tls (self-signed identity, pinned by the URL fragment)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-tls-'));
  return {
    transport: new TlsTransport({ dataDir }),
    listenUrl: new URL('tls://127.0.0.1:0'),
    cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
});

describeTransportCompliance('tls (CA-issued certificate, verified by CA)', () => ({
  transport: new TlsTransport(),
  listenUrl: new URL('tls://127.0.0.1:0'),
  listenOptions: { cert: pki.server.certFile, key: pki.server.keyFile },
  dialOptions: { ca: pki.ca.cert },
}));

describe('tls: trust', () => {
  const transport = new TlsTransport();
  const open: Array<{ destroy(): void }> = [];
  let listener: TransportListener | undefined;
  let accepted: ConnectionInfo[] = [];

  afterEach(async () => {
    await listener?.close();
    listener = undefined;
    for (const d of open.splice(0)) d.destroy();
    accepted = [];
  });

  async function serve(options: Record<string, unknown>): Promise<TransportListener> {
    listener = await transport.listen({ url: new URL('tls://127.0.0.1:0'), options }, (conn) => {
      accepted.push(conn.info);
      conn.duplex!.on('error', () => undefined);
      open.push(conn.duplex!);
      conn.duplex!.pipe(conn.duplex!);
    });
    return listener;
  }

  async function dial(url: string, options: Record<string, unknown>): Promise<TransportConnection> {
    const conn = await transport.dial({ url: new URL(url), options });
    conn.duplex!.on('error', () => undefined);
    open.push(conn.duplex!);
    return conn;
  }

  async function echoes(duplex: Duplex): Promise<string> {
    duplex.write('ping');
    const [chunk] = (await once(duplex, 'data')) as [Buffer];
    return chunk.toString();
  }

  const codeOf = (p: Promise<unknown>): Promise<string | undefined> =>
    p.then(
      () => undefined,
      (e: unknown) => (e instanceof TfgwError ? e.code : `not a TfgwError: ${String(e)}`),
    );

  const hostUrl = (l: TransportListener, host = '127.0.0.1'): string => `tls://${host}:${l.address.port}`;

  test('a pinned fingerprint (any spelling) is accepted and reported', async () => {
    const l = await serve({ cert: pki.server.cert, key: pki.server.key });
    const spelled = pki.server.fingerprint.replace(/:/g, '').toLowerCase();
    const conn = await dial(hostUrl(l), { fingerprint: spelled });
    expect(conn.info.peerFingerprint).toBe(pki.server.fingerprint);
    expect(await echoes(conn.duplex!)).toBe('ping');
  });

  test('a pin in the URL fragment wins over options.fingerprint', async () => {
    const l = await serve({ cert: pki.server.cert, key: pki.server.key });
    const conn = await dial(`${hostUrl(l)}#${pki.server.fingerprint}`, { fingerprint: pki.ca.fingerprint });
    expect(await echoes(conn.duplex!)).toBe('ping');
  });

  test('a fingerprint mismatch is TFGW_ERR_TRUST', async () => {
    const l = await serve({ cert: pki.server.cert, key: pki.server.key });
    await expect(codeOf(dial(hostUrl(l), { fingerprint: pki.ca.fingerprint }))).resolves.toBe('TFGW_ERR_TRUST');
  });

  test('pin plus CA requires both', async () => {
    const l = await serve({ cert: pki.server.cert, key: pki.server.key });
    await expect(codeOf(dial(hostUrl(l), { fingerprint: pki.server.fingerprint, ca: pki.otherCa.cert }))).resolves.toBe('TFGW_ERR_TRUST');
    const conn = await dial(hostUrl(l), { fingerprint: pki.server.fingerprint, ca: pki.ca.certFile });
    expect(await echoes(conn.duplex!)).toBe('ping');
  });

  test('CA verification accepts the right CA and host name, by IP or by servername', async () => {
    const l = await serve({ cert: pki.server.certFile, key: pki.server.keyFile });
    expect(await echoes((await dial(hostUrl(l), { ca: pki.ca.certFile })).duplex!)).toBe('ping');
    expect(await echoes((await dial(hostUrl(l, 'localhost'), { ca: pki.ca.cert })).duplex!)).toBe('ping');
    expect(await echoes((await dial(hostUrl(l), { ca: [pki.otherCa.cert, pki.ca.cert], servername: 'localhost' })).duplex!)).toBe('ping');
  });

  test('a wrong CA, a wrong name, or no trust anchor at all is TFGW_ERR_TRUST', async () => {
    const l = await serve({ cert: pki.server.cert, key: pki.server.key });
    await expect(codeOf(dial(hostUrl(l), { ca: pki.otherCa.cert }))).resolves.toBe('TFGW_ERR_TRUST');
    await expect(codeOf(dial(hostUrl(l), { ca: pki.ca.cert, servername: 'elsewhere.example' }))).resolves.toBe('TFGW_ERR_TRUST');
    await expect(codeOf(dial(hostUrl(l), {}))).resolves.toBe('TFGW_ERR_TRUST');
  });

  test('mTLS: a client certificate from the CA is accepted and its fingerprint reported', async () => {
    const l = await serve({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestClientCert: true });
    const conn = await dial(hostUrl(l), { ca: pki.ca.cert, cert: pki.client.certFile, key: pki.client.keyFile });
    expect(await echoes(conn.duplex!)).toBe('ping');
    expect(accepted).toHaveLength(1);
    expect(accepted[0].peerFingerprint).toBe(pki.client.fingerprint);
  });

  test.each([
    ['without a client certificate', {}],
    ['with a certificate from another CA', { cert: pki.strangerClient.cert, key: pki.strangerClient.key }],
  ])('mTLS: a client %s gets no connection', async (_label, clientCert) => {
    const l = await serve({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestClientCert: true });
    // With TLS 1.3 the client may finish its side before the server refuses, so the refusal
    // shows either as a rejected dial or as the connection dying before any byte comes back.
    const outcome = await dial(hostUrl(l), { ca: pki.ca.cert, ...clientCert }).then(
      async (conn) => {
        const d = conn.duplex!;
        const gone = new Promise<string>((resolve) => {
          let got = '';
          d.on('data', (c: Buffer) => (got += c.toString()));
          const done = (): void => resolve(got === '' ? 'closed' : `echoed ${got}`);
          d.once('end', done);
          d.once('close', done);
          d.once('error', done);
        });
        d.write('ping');
        return gone;
      },
      (e: TfgwError) => e.code,
    );
    expect(['closed', 'TFGW_ERR_TRUST', 'TFGW_ERR_CONNECT']).toContain(outcome);
    expect(accepted).toHaveLength(0);
  });
});

describe('tls: self-signed identity in the data folder', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-tls-id-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  function capturingLogger(lines: string[]) {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    return pino({ level: 'info' }, sink);
  }

  test('is made once with mode 0600, logged with its fingerprint, and reused on the next start', async () => {
    const lines: string[] = [];
    const transport = new TlsTransport({ dataDir: path.join(dataDir, 'state'), log: capturingLogger(lines) });
    const first = await transport.listen({ url: new URL('tls://127.0.0.1:0'), options: {} }, (c) => c.duplex!.destroy());
    const fp1 = new URL(first.address.url).hash.slice(1);
    await first.close();
    const certFile = path.join(dataDir, 'state', 'tls-cert.pem');
    const keyFile = path.join(dataDir, 'state', 'tls-key.pem');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(certFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dataDir, 'state')).mode & 0o777).toBe(0o700);
    const logged = lines.map((l) => JSON.parse(l) as { fingerprint?: string }).find((l) => l.fingerprint);
    expect(logged?.fingerprint?.replace(/:/g, '')).toBe(fp1);

    const keyBefore = fs.readFileSync(keyFile, 'utf8');
    const second = await transport.listen({ url: new URL('tls://127.0.0.1:0'), options: {} }, (c) => c.duplex!.pipe(c.duplex!));
    try {
      expect(new URL(second.address.url).hash.slice(1)).toBe(fp1);
      expect(fs.readFileSync(keyFile, 'utf8')).toBe(keyBefore);
      const conn = await transport.dial({ url: new URL(`tls://127.0.0.1:${second.address.port}`), options: { fingerprint: fp1 } });
      conn.duplex!.end('hi');
      const [chunk] = (await once(conn.duplex!, 'data')) as [Buffer];
      expect(chunk.toString()).toBe('hi');
      conn.duplex!.destroy();
    } finally {
      await second.close();
    }
  });

  test('two listeners starting at once share one identity', async () => {
    const transport = new TlsTransport({ dataDir });
    const [a, b] = await Promise.all([
      transport.listen({ url: new URL('tls://127.0.0.1:0'), options: {} }, (c) => c.duplex!.destroy()),
      transport.listen({ url: new URL('tls://127.0.0.1:0'), options: {} }, (c) => c.duplex!.destroy()),
    ]);
    expect(new URL(a.address.url).hash).toBe(new URL(b.address.url).hash);
    await Promise.all([a.close(), b.close()]);
  });

  test('a certificate that does not match its key is a config error, never silently replaced', async () => {
    fs.writeFileSync(path.join(dataDir, 'tls-cert.pem'), pki.server.cert);
    fs.writeFileSync(path.join(dataDir, 'tls-key.pem'), pki.client.key);
    const transport = new TlsTransport({ dataDir });
    await expect(transport.listen({ url: new URL('tls://127.0.0.1:0'), options: {} }, () => undefined)).rejects.toMatchObject({ code: 'TFGW_ERR_CONFIG' });
  });
});

describe('tls: plugin options', () => {
  test.each([
    [{ listen: 'abc' }, 'listen'],
    [{ listen: ['127.0.0.1:7000', 7001] }, 'listen'],
    [{ cert: '/x.pem' }, 'key'],
    [{ key: '/x.key' }, 'cert'],
    [{ fingerprint: 'zz' }, 'fingerprint'],
    [{ requestClientCert: true }, 'ca'],
    [{ proxy: 'ftp://proxy:21' }, 'proxy'],
    [{ connectTimeoutMs: -1 }, 'connectTimeoutMs'],
    [{ lisen: '127.0.0.1:1' }, 'lisen'],
  ])('%j is TFGW_ERR_CONFIG at %s', (options, key) => {
    let err: unknown;
    try {
      tlsTransport(options as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TfgwError);
    expect((err as TfgwError).code).toBe('TFGW_ERR_CONFIG');
    expect((err as TfgwError).details?.path).toBe(key);
  });

  test('registers a tls:// transport with its listen URLs', () => {
    const added: Array<{ listen: URL[] }> = [];
    const node = { log: pino({ level: 'silent' }), baseDir: process.cwd(), config: {}, transports: { add: (e: { listen: URL[] }) => added.push(e) } };
    tlsTransport({ listen: ['127.0.0.1:7443', '[::1]:7443'] }).apply(node as never);
    expect(added[0].listen.map((u) => u.href)).toEqual(['tls://127.0.0.1:7443', 'tls://[::1]:7443']);
  });
});
