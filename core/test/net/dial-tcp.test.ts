import net from 'node:net';
import { once } from 'node:events';
import { TfgwError, dialTcp } from '@tfgw/core';
import { freePort } from '../../../test/helpers/net';
import { PROXY_OUTGOING_ADDRESS, startMicrosocks, startTinyproxy, type RunningProxy } from '../../../test/compliance/proxies';

// Real proxies (microsocks, tinyproxy) for the normal paths; a few test-local fake proxies
// (plain net servers below) for what a real proxy cannot be made to do on demand: coalesce
// its answer with tunnel bytes, never answer, or answer garbage.

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

/** A TCP server on 127.0.0.1:0 running `onSocket` per connection; closed after each test. */
async function server(onSocket: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  servers.push(srv);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return (srv.address() as net.AddressInfo).port;
}

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function readN(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= n) {
        s.off('data', onData);
        resolve(buf);
      }
    };
    s.on('data', onData);
  });
}

/** Resolves when the peer closed its side (these servers allow half-open, so 'end' is the signal). */
function gone(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
    s.resume();
  });
}

async function codeOf(p: Promise<net.Socket>): Promise<string> {
  try {
    (await p).destroy();
    return 'resolved';
  } catch (err) {
    return err instanceof TfgwError ? err.code : `not a TfgwError: ${String(err)}`;
  }
}

/** A target that speaks first: a banner on accept, then echo. Catches bytes lost after a proxy handshake. */
async function bannerEcho(peers: string[]): Promise<number> {
  return server((s) => {
    peers.push(s.remoteAddress ?? '');
    s.write('BANNER\n');
    s.pipe(s);
  });
}

describe('dialTcp direct', () => {
  test('connects with Nagle off, keepalive on and half-close allowed', async () => {
    const peers: string[] = [];
    const port = await bannerEcho(peers);
    const s = await dialTcp({ host: '127.0.0.1', port });
    expect(s.allowHalfOpen).toBe(true);
    expect((await readN(s, 7)).toString()).toBe('BANNER\n');
    s.destroy();
  });

  test('a refused connection is TFGW_ERR_CONNECT with the errno', async () => {
    const port = await freePort();
    const err = await dialTcp({ host: '127.0.0.1', port }).catch((e: TfgwError) => e);
    expect(err).toBeInstanceOf(TfgwError);
    expect((err as TfgwError).code).toBe('TFGW_ERR_CONNECT');
    expect((err as TfgwError).details?.errno).toBe('ECONNREFUSED');
  });

  test('bad hosts, ports and proxy URLs are TFGW_ERR_CONFIG', async () => {
    await expect(codeOf(dialTcp({ host: 'a b', port: 1 }))).resolves.toBe('TFGW_ERR_CONFIG');
    await expect(codeOf(dialTcp({ host: 'h', port: 0 }))).resolves.toBe('TFGW_ERR_CONFIG');
    await expect(codeOf(dialTcp({ host: 'h', port: 1, proxy: 'gopher://x' }))).resolves.toBe('TFGW_ERR_CONFIG');
  });
});

describe('dialTcp through real proxies', () => {
  let socks: RunningProxy;
  let http: RunningProxy;
  beforeAll(async () => {
    [socks, http] = await Promise.all([startMicrosocks(), startTinyproxy()]);
  });
  afterAll(async () => {
    await Promise.all([socks?.stop(), http?.stop()]);
  });

  test.each(['socks', 'http'])('%s: tunnel works, nothing the target sent first is lost', async (kind) => {
    const peers: string[] = [];
    const port = await bannerEcho(peers);
    const s = await dialTcp({ host: '127.0.0.1', port, proxy: kind === 'socks' ? socks.url : http.url });
    expect((await readN(s, 7)).toString()).toBe('BANNER\n');
    s.write('ping');
    expect((await readN(s, 4)).toString()).toBe('ping');
    expect(peers).toEqual([PROXY_OUTGOING_ADDRESS]);
    s.destroy();
  });

  test.each(['socks', 'http'])('%s: a host name is resolved by the proxy', async (kind) => {
    const port = await bannerEcho([]);
    const s = await dialTcp({ host: 'localhost', port, proxy: kind === 'socks' ? socks.url : http.url });
    expect((await readN(s, 7)).toString()).toBe('BANNER\n');
    s.destroy();
  });

  test('socks: wrong or missing credentials, and a refused target, are TFGW_ERR_PROXY', async () => {
    const port = await bannerEcho([]);
    const closed = await freePort();
    await expect(codeOf(dialTcp({ host: '127.0.0.1', port, proxy: socks.url.replace(/:[^:@/]+@/, ':nope@') }))).resolves.toBe('TFGW_ERR_PROXY');
    await expect(codeOf(dialTcp({ host: '127.0.0.1', port, proxy: socks.bareUrl }))).resolves.toBe('TFGW_ERR_PROXY');
    const err = await dialTcp({ host: '127.0.0.1', port: closed, proxy: socks.url }).catch((e: TfgwError) => e);
    expect((err as TfgwError).code).toBe('TFGW_ERR_PROXY');
    expect((err as TfgwError).details?.stage).toBe('connect');
  });

  test('http: wrong credentials are TFGW_ERR_PROXY with status 407; a refused target is TFGW_ERR_PROXY', async () => {
    const port = await bannerEcho([]);
    const err = await dialTcp({ host: '127.0.0.1', port, proxy: http.bareUrl }).catch((e: TfgwError) => e);
    expect((err as TfgwError).code).toBe('TFGW_ERR_PROXY');
    expect((err as TfgwError).details?.status).toBe(407);
    await expect(codeOf(dialTcp({ host: '127.0.0.1', port: await freePort(), proxy: http.url }))).resolves.toBe('TFGW_ERR_PROXY');
  });
});

describe('dialTcp with test-local fake proxies', () => {
  test('an unreachable proxy is TFGW_ERR_PROXY', async () => {
    await expect(codeOf(dialTcp({ host: '127.0.0.1', port: 1, proxy: `socks5://127.0.0.1:${await freePort()}` }))).resolves.toBe('TFGW_ERR_PROXY');
  });

  test('http: tunnel bytes in the same packet as the 200 are handed on', async () => {
    const port = await server((s) => s.once('data', () => s.write('HTTP/1.1 200 Connection established\r\nX-A: b\r\n\r\nEARLY')));
    const s = await dialTcp({ host: 'target.example', port: 9, proxy: `http://127.0.0.1:${port}` });
    expect((await readN(s, 5)).toString()).toBe('EARLY');
    s.destroy();
  });

  test('socks: tunnel bytes in the same packet as the reply are handed on', async () => {
    const port = await server((s) => {
      s.once('data', () => {
        s.write(Buffer.from([5, 0]));
        s.once('data', () => s.write(Buffer.concat([Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]), Buffer.from('EARLY')])));
      });
    });
    const s = await dialTcp({ host: 'target.example', port: 9, proxy: `socks5://127.0.0.1:${port}` });
    expect((await readN(s, 5)).toString()).toBe('EARLY');
    s.destroy();
  });

  test('http: the CONNECT request names the target and carries Basic credentials', async () => {
    let request = '';
    const port = await server((s) =>
      s.on('data', (c: Buffer) => {
        request += c.toString('latin1');
        if (request.includes('\r\n\r\n')) s.write('HTTP/1.0 200 OK\r\n\r\n');
      }),
    );
    const s = await dialTcp({ host: '::1', port: 7000, proxy: `http://al%20ice:p%3Ass@127.0.0.1:${port}` });
    s.destroy();
    expect(request).toBe(`CONNECT [::1]:7000 HTTP/1.1\r\nHost: [::1]:7000\r\nProxy-Authorization: Basic ${Buffer.from('al ice:p:ss').toString('base64')}\r\n\r\n`);
  });

  test('garbage from an HTTP proxy or a proxy that hangs up is TFGW_ERR_PROXY', async () => {
    const garbage = await server((s) => s.once('data', () => s.write('SSH-2.0-OpenSSH\r\n\r\n')));
    const hangup = await server((s) => s.once('data', () => s.destroy()));
    const notSocks = await server((s) => s.once('data', () => s.write(Buffer.from([4, 0]))));
    await expect(codeOf(dialTcp({ host: 'h', port: 1, proxy: `http://127.0.0.1:${garbage}` }))).resolves.toBe('TFGW_ERR_PROXY');
    await expect(codeOf(dialTcp({ host: 'h', port: 1, proxy: `http://127.0.0.1:${hangup}` }))).resolves.toBe('TFGW_ERR_PROXY');
    await expect(codeOf(dialTcp({ host: 'h', port: 1, proxy: `socks5://127.0.0.1:${hangup}` }))).resolves.toBe('TFGW_ERR_PROXY');
    await expect(codeOf(dialTcp({ host: 'h', port: 1, proxy: `socks5://127.0.0.1:${notSocks}` }))).resolves.toBe('TFGW_ERR_PROXY');
  });

  test('a proxy that never answers is TFGW_ERR_TIMEOUT, and the socket is closed', async () => {
    const closedByUs: Array<Promise<unknown>> = [];
    let seen!: () => void;
    const accepted = new Promise<void>((resolve) => (seen = resolve));
    const port = await server((s) => {
      closedByUs.push(gone(s));
      seen();
    });
    await expect(codeOf(dialTcp({ host: 'h', port: 1, proxy: `socks5://127.0.0.1:${port}`, timeoutMs: 1000 }))).resolves.toBe('TFGW_ERR_TIMEOUT');
    // Under load the server may see the connection only after the dialer gave up.
    await accepted;
    await Promise.all(closedByUs);
    expect(closedByUs).toHaveLength(1);
  });

  test('aborting during the proxy handshake rejects with the reason and closes the socket', async () => {
    const ac = new AbortController();
    const reason = new Error('stop');
    let closed!: Promise<unknown>;
    const port = await server((s) => {
      closed = gone(s);
      s.once('data', () => ac.abort(reason));
    });
    await expect(dialTcp({ host: 'h', port: 1, proxy: `http://127.0.0.1:${port}`, signal: ac.signal })).rejects.toBe(reason);
    await closed;
  });

  test('an already aborted signal rejects before connecting', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(dialTcp({ host: '127.0.0.1', port: 1, signal: ac.signal })).rejects.toBe(ac.signal.reason);
  });
});
