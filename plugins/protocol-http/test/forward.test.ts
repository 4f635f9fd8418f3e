import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import type { Route, VisitorInfo } from '@tfgw/core';
import { forwardRequest, visitorResponseHeaders, type ForwardResult } from '../src/forward';
import { serializeRequestHead } from '../src/request-head';
import { parseResponseHead } from '../src/response-parser';
import { TunnelPool } from '../src/tunnel-pool';
import { sendPage, pageForError } from '../src/error-pages';
import { outgoingRequestHeaders } from '../src/headers';

/**
 * forwardRequest and TunnelPool in one process, over real sockets: the "tunnel streams" are
 * TCP connections to a service (a Node server or a scripted raw one), the visitor is Node's
 * HTTP client talking to a Node server whose handler forwards.
 */

interface RawService {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Request heads received, in order. */
  heads: string[];
  close(): Promise<void>;
}

/** A TCP service that calls `onRequest(socket, head, index, connIndex)` for each request head (bodies are read as Content-Length says). */
async function rawService(onRequest: (socket: net.Socket, head: string, n: number, conn: number, body: Buffer) => void): Promise<RawService> {
  const sockets = new Set<net.Socket>();
  const svc: RawService = { port: 0, connections: 0, heads: [], close: async () => undefined };
  const server = net.createServer((socket) => {
    const conn = svc.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len);
        buf = buf.subarray(end + 4 + len);
        svc.heads.push(head);
        onRequest(socket, head, svc.heads.length - 1, conn, body);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  svc.port = (server.address() as net.AddressInfo).port;
  svc.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return svc;
}

const visitor: VisitorInfo = { address: '127.0.0.1', port: 1, protocol: 'http', hostname: 'test.local' } as VisitorInfo;

/** A pool whose streams are TCP connections to `port`. */
function poolTo(port: number, maxIdleStreams = 8, idleTimeoutMs = 60_000): TunnelPool {
  const route = { hostname: 'test.local', agent: 'test', connect: async () => net.connect(port, '127.0.0.1') } as unknown as Route;
  return new TunnelPool(route, { maxIdleStreams, idleTimeoutMs });
}

interface Ingress {
  port: number;
  results: ForwardResult[];
  close(): Promise<void>;
}

/** A visitor-facing Node server that forwards every request through `pool` (pages for errors, like the ingress). */
async function ingress(pool: TunnelPool, opts: { responseTimeoutMs?: number; maxHeadBytes?: number } = {}): Promise<Ingress> {
  const results: ForwardResult[] = [];
  const server = http.createServer((req, res) => {
    void forwardRequest(req, res, {
      pool,
      visitor,
      path: req.url ?? '/',
      headers: outgoingRequestHeaders(req.headers, { address: '127.0.0.1', proto: 'http', trust: false, upgrade: false, dropAuthorization: false, changes: [] }),
      responseChanges: [],
      responseTimeoutMs: opts.responseTimeoutMs ?? 0,
      maxHeadBytes: opts.maxHeadBytes ?? 16384,
      checkHead: false,
    }).then((r) => {
      results.push(r);
      if (r.error) sendPage(req, res, pageForError(r.error, { agent: 'test', hostname: 'test.local' }));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    results,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  complete: boolean;
}

/** One visitor request; resolves with what arrived (also when the connection is cut mid-answer). */
function visit(port: number, path: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | Buffer[]; agent?: http.Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
    });
    req.on('error', reject);
    if (Array.isArray(opts.body)) {
      for (const b of opts.body) req.write(b);
      req.end();
    } else req.end(opts.body);
  });
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('forwardRequest over a TunnelPool', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function setup(onRequest: Parameters<typeof rawService>[0], opts: Parameters<typeof ingress>[1] & { maxIdle?: number; idleTimeoutMs?: number } = {}) {
    const svc = await rawService(onRequest);
    const pool = poolTo(svc.port, opts.maxIdle ?? 8, opts.idleTimeoutMs);
    const ing = await ingress(pool, opts);
    cleanups.push(() => svc.close(), () => pool.destroy(), () => ing.close());
    return { svc, pool, ing };
  }

  test('forwards the request head as one buffer and reuses the stream for the next request', async () => {
    const { svc, pool, ing } = await setup((s, head, n) => s.write(ok(`answer ${n}`, 'X-Svc: yes\r\nConnection: keep-alive, X-Hop\r\nX-Hop: drop me\r\nKeep-Alive: timeout=5\r\n')));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const a = await visit(ing.port, '/one?q=1', { agent, headers: { 'x-visitor': 'v' } });
    const b = await visit(ing.port, '/two', { agent });
    expect([a.status, a.body.toString(), b.body.toString()]).toEqual([200, 'answer 0', 'answer 1']);
    expect(a.headers['x-svc']).toBe('yes');
    expect(a.headers['x-hop']).toBeUndefined();
    expect(a.headers['keep-alive']).not.toBe('timeout=5');
    expect(svc.connections).toBe(1);
    expect(pool.idleCount).toBe(1);
    expect(svc.heads[0]).toMatch(/^GET \/one\?q=1 HTTP\/1\.1\r\n/);
    expect(svc.heads[0]).toContain('\r\nx-visitor: v');
  });

  test('chunked and close-delimited answers reach the visitor whole; a close-delimited stream is not reused', async () => {
    const { svc, pool, ing } = await setup((s, head) => {
      if (head.includes(' /chunked ')) s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n');
      else {
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the ');
        setTimeout(() => s.end('end'), 20);
      }
    });
    const c = await visit(ing.port, '/chunked');
    expect([c.status, c.body.toString(), c.complete]).toEqual([200, 'hello world', true]);
    expect(pool.idleCount).toBe(1);
    // The same stream carries the close-delimited answer, and is gone after it.
    const d = await visit(ing.port, '/close');
    expect([d.status, d.body.toString(), d.complete]).toEqual([200, 'until the end', true]);
    expect(d.headers['transfer-encoding']).toBe('chunked');
    expect(pool.idleCount).toBe(0);
    const e = await visit(ing.port, '/chunked');
    expect(e.body.toString()).toBe('hello world');
    expect(svc.connections).toBe(2);
  });

  test('bytes after an answer never reach the next visitor: the stream is closed', async () => {
    const { svc, pool, ing } = await setup((s, head, n, conn) => {
      if (conn === 0) s.write(ok('first') + 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED');
      else s.write(ok(`clean ${n}`));
    });
    const a = await visit(ing.port, '/a');
    expect(a.body.toString()).toBe('first');
    const b = await visit(ing.port, '/b');
    expect(b.body.toString()).toBe('clean 1');
    expect(svc.connections).toBe(2);
    expect(pool.idleCount).toBe(1);
  });

  test('an idle stream that receives bytes is destroyed, never read as the next answer', async () => {
    let late: (() => void) | undefined;
    const { svc, pool, ing } = await setup((s, head, n, conn) => {
      s.write(ok(`answer ${n}`));
      if (conn === 0) late = () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nLATE');
    });
    await visit(ing.port, '/a');
    expect(pool.idleCount).toBe(1);
    late!();
    while (pool.idleCount > 0) await new Promise((r) => setTimeout(r, 5));
    const b = await visit(ing.port, '/b');
    expect(b.body.toString()).toBe('answer 1');
    expect(svc.connections).toBe(2);
  });

  test('idle streams beyond maxIdleStreams that are not reused are closed by the sweep; all idle ones after idleTimeoutMs', async () => {
    const { svc, pool, ing } = await setup((s, head, n) => setTimeout(() => s.write(ok(`answer ${n}`)), 30), { idleTimeoutMs: 2000, maxIdle: 2 });
    const answers = await Promise.all([1, 2, 3, 4].map((i) => visit(ing.port, `/${i}`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(svc.connections).toBe(4);
    // Released streams stay idle (a burst's streams are taken again at once under load) ...
    expect(pool.idleCount).toBe(4);
    // ... and the excess nobody reused goes at the next sweeps; then the rest when idleTimeoutMs is over.
    while (pool.idleCount > 2) await new Promise((r) => setTimeout(r, 20));
    expect(pool.idleCount).toBe(2);
    while (pool.idleCount > 0) await new Promise((r) => setTimeout(r, 20));
  });

  test('under more concurrency than maxIdleStreams, streams are reused, not closed and reopened', async () => {
    const { svc, ing } = await setup((s, head, n) => setTimeout(() => s.write(ok(`answer ${n}`)), 5), { maxIdle: 2 });
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
    cleanups.push(() => keepAlive.destroy());
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => visit(ing.port, `/${round}/${i}`, { agent: keepAlive })));
      expect(answers.every((a) => a.status === 200)).toBe(true);
    }
    expect(svc.connections).toBe(8);
  });

  test('a reused stream the service closed is retried for a bodiless GET, not for a POST with a body', async () => {
    const { svc, ing } = await setup((s, head, n, conn) => {
      // The first connection answers once, then drops the next request unanswered (a stale keep-alive connection).
      if (conn === 0 && n > 0) s.destroy();
      else s.write(ok(`answer ${n}`));
    });
    expect((await visit(ing.port, '/warm')).body.toString()).toBe('answer 0');
    const retried = await visit(ing.port, '/get');
    expect([retried.status, retried.body.toString()]).toEqual([200, 'answer 2']);
    expect(svc.connections).toBe(2);
    // Make the second connection stale too: only the first connection fails, so use a fresh setup for POST.
  });

  test('a POST on a stale stream is not sent twice: the visitor gets a 502 page', async () => {
    const { svc, ing } = await setup((s, head, n, conn) => {
      if (conn === 0 && n > 0) s.destroy();
      else s.write(ok(`answer ${n}`));
    });
    await visit(ing.port, '/warm');
    const post = await visit(ing.port, '/post', { method: 'POST', headers: { 'content-length': 4 }, body: Buffer.from('data') });
    expect(post.status).toBe(502);
    expect(post.headers['x-tfgw-error']).toMatch(/^TFGW_ERR_/);
    expect(svc.heads.filter((h) => h.startsWith('POST')).length).toBe(1);
  });

  test('no answer within responseTimeoutMs: 504 TFGW_ERR_RESPONSE_TIMEOUT', async () => {
    const { ing } = await setup(() => undefined, { responseTimeoutMs: 100 });
    const r = await visit(ing.port, '/slow');
    expect(r.status).toBe(504);
    expect(r.headers['x-tfgw-error']).toBe('TFGW_ERR_RESPONSE_TIMEOUT');
  });

  test('a malformed answer is a 502 TFGW_ERR_BAD_MESSAGE; a truncated one cuts the visitor connection', async () => {
    const { ing } = await setup((s, head) => {
      if (head.includes(' /bad ')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      else {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
        setTimeout(() => s.destroy(), 20);
      }
    });
    const bad = await visit(ing.port, '/bad');
    expect(bad.status).toBe(502);
    expect(bad.headers['x-tfgw-error']).toBe('TFGW_ERR_BAD_MESSAGE');
    const cut = await visit(ing.port, '/cut');
    expect([cut.status, cut.complete, cut.body.toString()]).toEqual([200, false, 'partial']);
  });

  test('uploads: a Content-Length body and a chunked body (which stays chunked) arrive intact', async () => {
    const bodies: string[] = [];
    const svc = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        res.end(JSON.stringify({ te: req.headers['transfer-encoding'] ?? null, cl: req.headers['content-length'] ?? null }));
      });
    });
    svc.listen(0, '127.0.0.1');
    await once(svc, 'listening');
    const pool = poolTo((svc.address() as net.AddressInfo).port);
    const ing = await ingress(pool);
    cleanups.push(() => new Promise<void>((r) => (svc.closeAllConnections(), svc.close(() => r()))), () => pool.destroy(), () => ing.close());
    const a = await visit(ing.port, '/cl', { method: 'PUT', headers: { 'content-length': 11 }, body: Buffer.from('hello world') });
    expect(JSON.parse(a.body.toString())).toEqual({ te: null, cl: '11' });
    const b = await visit(ing.port, '/chunked', { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: [Buffer.from('part one, '), Buffer.from('part two')] });
    expect(JSON.parse(b.body.toString())).toEqual({ te: 'chunked', cl: null });
    const c = await visit(ing.port, '/empty-post', { method: 'POST' });
    expect(c.status).toBe(200);
    expect(bodies).toEqual(['hello world', 'part one, part two', '']);
    expect(pool.idleCount).toBe(1);
  });

  test('HEAD: the Content-Length is passed on, no body is waited for, the stream is reused', async () => {
    const { svc, pool, ing } = await setup((s, head) => s.write(head.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n' : ok('x')));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const h = await visit(ing.port, '/h', { method: 'HEAD', agent });
    expect([h.status, h.headers['content-length'], h.body.length]).toEqual([200, '1234', 0]);
    const g = await visit(ing.port, '/g', { agent });
    expect(g.body.toString()).toBe('x');
    expect(svc.connections).toBe(1);
    expect(pool.idleCount).toBe(1);
  });

  test('a visitor that goes away mid-answer: the stream is closed, not pooled', async () => {
    let svcSocket: net.Socket | undefined;
    const { pool, ing } = await setup((s) => {
      svcSocket = s;
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(1000));
    });
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: ing.port, path: '/big', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
    });
    await once(svcSocket!, 'close');
    expect(pool.idleCount).toBe(0);
    while (ing.results.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(ing.results[0].error).toBeUndefined();
  });

  test('property: any valid answer, sent in any pieces, reaches the visitor with its status and body', async () => {
    const statuses = fc.constantFrom(200, 201, 204, 206, 304, 404, 500);
    const answer = fc.record({
      status: statuses,
      framing: fc.constantFrom('length', 'chunked', 'close'),
      body: fc.uint8Array({ maxLength: 5000 }).map((a) => Buffer.from(a)),
      chunk: fc.integer({ min: 1, max: 2000 }),
      interim: fc.boolean(),
      cuts: fc.array(fc.nat(8000), { maxLength: 6 }),
    });
    const plan: { current?: { bytes: Buffer; cuts: number[]; close: boolean } } = {};
    const { ing } = await setup((s) => {
      const p = plan.current!;
      const points = [...new Set(p.cuts.map((c) => c % (p.bytes.length + 1)))].sort((a, b) => a - b);
      let at = 0;
      const pieces = [...points, p.bytes.length].map((pt) => {
        const piece = p.bytes.subarray(at, pt);
        at = pt;
        return piece;
      });
      const next = () => {
        const piece = pieces.shift();
        if (piece === undefined) {
          if (p.close) s.end();
          return;
        }
        s.write(piece);
        setImmediate(next);
      };
      next();
    });
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        const noBody = a.status === 204 || a.status === 304;
        const parts: Buffer[] = [];
        if (a.interim) parts.push(Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n'));
        let head = `HTTP/1.1 ${a.status} Whatever\r\nX-Case: 1\r\n`;
        if (a.framing === 'length') head += `Content-Length: ${noBody ? 0 : a.body.length}\r\n`;
        if (a.framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
        parts.push(Buffer.from(`${head}\r\n`));
        if (!noBody) {
          if (a.framing === 'chunked') {
            for (let i = 0; i < a.body.length; i += a.chunk) {
              const c = a.body.subarray(i, i + a.chunk);
              parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
            }
            parts.push(Buffer.from('0\r\n\r\n'));
          } else parts.push(a.body);
        }
        plan.current = { bytes: Buffer.concat(parts), cuts: a.cuts, close: a.framing === 'close' };
        const r = await visit(ing.port, '/p');
        expect(r.status).toBe(a.status);
        expect(r.complete).toBe(true);
        expect(r.headers['x-case']).toBe('1');
        expect(r.body.equals(noBody ? Buffer.alloc(0) : a.body)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('visitorResponseHeaders', () => {
  test('drops hop-by-hop fields and those Connection names, keeps one Content-Length, applies the route changes', () => {
    const head = parseResponseHead(
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\ncontent-length: 2\r\nX-Powered-By: php\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nServer: s',
      false,
    );
    expect(visitorResponseHeaders(head, [])).toEqual(['Content-Length', '2', 'X-Powered-By', 'php', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Server', 's']);
    expect(
      visitorResponseHeaders(head, [
        { name: 'x-powered-by', value: null },
        { name: 'server', value: 'tfgw' },
      ]),
    ).toEqual(['Content-Length', '2', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'server', 'tfgw']);
  });
});

describe('serializeRequestHead', () => {
  test('request line and fields in order, repeated fields for arrays', () => {
    expect(serializeRequestHead('GET', '/p?q', { host: 'h', 'x-a': ['1', '2'], n: 3 }, false)).toBe('GET /p?q HTTP/1.1\r\nhost: h\r\nx-a: 1\r\nx-a: 2\r\nn: 3\r\n\r\n');
  });

  test('a bodiless POST gets Content-Length: 0 (as Node sends it); GET does not', () => {
    expect(serializeRequestHead('POST', '/', { host: 'h' }, false)).toBe('POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n');
    expect(serializeRequestHead('GET', '/', { host: 'h' }, false)).toBe('GET / HTTP/1.1\r\nhost: h\r\n\r\n');
    expect(serializeRequestHead('POST', '/', { 'transfer-encoding': 'chunked' }, false)).toBe('POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n');
  });

  test('checked (a hook ran): a value, name, target or method that could split the request is TFGW_ERR_HOOK', () => {
    const cases: Array<[string, string, http.OutgoingHttpHeaders]> = [
      ['GET', '/', { 'x-a': 'line\r\nInjected: 1' }],
      ['GET', '/', { 'x-a': ['ok', 'bad\n'] }],
      ['GET', '/', { 'bad name': 'x' }],
      ['GET', '/ HTTP/1.1\r\nX: y', {}],
      ['GET', '', {}],
      ['G T', '/', {}],
    ];
    for (const [m, t, h] of cases) {
      expect(() => serializeRequestHead(m, t, h, true)).toThrow(expect.objectContaining({ code: 'TFGW_ERR_HOOK' }));
    }
    expect(serializeRequestHead('GET', '/ok', { 'x-a': 'tab\tand obs-text \u00e9' }, true)).toContain('x-a: tab\tand obs-text \u00e9\r\n');
  });
});
