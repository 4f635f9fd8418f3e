import http from 'node:http';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { ErrorCodes, TfgwError, TfgwNode, type GatewayApi, type Route, type VisitorInfo } from '@tfgw/core';
import { HttpIngress } from '../src/ingress';
import { resolveHttpOptions, type ProtocolHttpOptions } from '../src/options';
import { HttpUpgradeRegistry } from '../src/upgrade';

/**
 * The whole ingress in one process: a real TfgwNode (hooks), a stand-in gateway whose routes'
 * streams are TCP connections to a local service, and raw visitors writing bytes, so the
 * fast path (and its hand-over to Node's server) is what answers.
 */

interface Service {
  port: number;
  /** Request heads as received. */
  heads: string[];
  /** Bodies as received (by Content-Length). */
  bodies: string[];
  connections: number;
  close(): Promise<void>;
}

/** A raw service: answers each request with `answer(head, body)` (default: a small body naming the path). */
async function service(answer?: (head: string, body: string, socket: net.Socket) => string | undefined): Promise<Service> {
  const sockets = new Set<net.Socket>();
  const svc: Service = { port: 0, heads: [], bodies: [], connections: 0, close: async () => undefined };
  const server = net.createServer((socket) => {
    svc.connections++;
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
        const te = /\r\ntransfer-encoding: chunked/i.test(head);
        let body = '';
        let used = end + 4;
        if (te) {
          // Small test bodies: read chunks until the last one.
          let at = end + 4;
          for (;;) {
            const nl = buf.indexOf('\r\n', at);
            if (nl < 0) return;
            const size = parseInt(buf.subarray(at, nl).toString(), 16);
            if (buf.length < nl + 2 + size + 2) return;
            if (size === 0) {
              used = nl + 4;
              break;
            }
            body += buf.subarray(nl + 2, nl + 2 + size).toString();
            at = nl + 2 + size + 2;
          }
        } else {
          const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < end + 4 + len) return;
          body = buf.subarray(end + 4, end + 4 + len).toString();
          used = end + 4 + len;
        }
        buf = buf.subarray(used);
        svc.heads.push(head);
        svc.bodies.push(body);
        const path = head.split(' ')[1];
        const text = answer ? answer(head, body, socket) : `path ${path}${body ? ` body ${body}` : ''}`;
        if (text !== undefined) socket.write(text.startsWith('HTTP/') ? text : `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
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

interface Setup {
  node: TfgwNode;
  ingress: HttpIngress;
  svc: Service;
  logs: Array<Record<string, unknown>>;
  /** Hostnames that route to the service (`www.demo.test`, `auth.demo.test` with basic auth, `down.demo.test` unreachable). */
  routes: Map<string, Route>;
}

async function setup(opts: ProtocolHttpOptions = {}, answer?: Parameters<typeof service>[0]): Promise<Setup> {
  const svc = await service(answer);
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const node = new TfgwNode({ logger: pino({ level: 'info' }, sink) });
  const routes = new Map<string, Route>();
  const mk = (hostname: string, options: Record<string, unknown>, connect: () => Promise<net.Socket>): Route =>
    ({ id: `http:${hostname}`, agent: 'demo', service: hostname.split('.')[0], protocol: 'http', hostname, owner: 't', options, enabled: true, stats: { visitors: 0, visitorsTotal: 0, bytesIn: 0, bytesOut: 0 }, online: true, connect }) as unknown as Route;
  const toService = async () => net.connect(svc.port, '127.0.0.1');
  routes.set('www.demo.test', mk('www.demo.test', {}, toService));
  routes.set('auth.demo.test', mk('auth.demo.test', { basicAuth: 'alice:s3cret' }, toService));
  routes.set('rw.demo.test', mk('rw.demo.test', { requestHeaders: { 'x-added': 'yes', 'user-agent': null }, responseHeaders: { 'x-served-by': 'tfgw', 'content-type': null } }, toService));
  routes.set(
    'down.demo.test',
    mk('down.demo.test', {}, async () => {
      throw new TfgwError(ErrorCodes.SERVICE_UNREACHABLE, 'connect ECONNREFUSED');
    }),
  );
  const gateway = {
    hookTimeoutMs: 1000,
    routeForHost: (h: string) => routes.get(h),
    // Like the gateway's: a failing hook refuses (fail-closed).
    admitVisitor: async (v: VisitorInfo) => node.hooks.visitor.promise(v).catch((e: Error) => ({ code: 'TFGW_ERR_HOOK', message: e.message })),
    recordStream: () => undefined,
  } as unknown as GatewayApi;
  const ingress = new HttpIngress(node, gateway, resolveHttpOptions({ listen: '127.0.0.1:0', ...opts }), new HttpUpgradeRegistry());
  await ingress.start();
  return { node, ingress, svc, logs, routes };
}

/** Writes raw bytes (in pieces, with pauses between them) and collects everything until the connection closes or `until` matches. */
async function exchange(port: number, pieces: Array<string | Buffer>, until?: (text: string) => boolean, opts: { endAfter?: boolean } = {}): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  const done = new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (until?.(text)) resolve();
    });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  for (const p of pieces) {
    socket.write(p);
    await new Promise((r) => setTimeout(r, 20));
  }
  if (opts.endAfter) socket.end();
  await done;
  socket.destroy();
  return text;
}

/** Splits raw visitor-side output into responses (Content-Length or chunked bodies). */
function responses(text: string): Array<{ status: number; headers: Record<string, string>; body: string }> {
  const out: Array<{ status: number; headers: Record<string, string>; body: string }> = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    let body = '';
    let at = end + 4;
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const nl = rest.indexOf('\r\n', at);
        const size = parseInt(rest.slice(at, nl), 16);
        if (size === 0) {
          at = nl + 4;
          break;
        }
        body += rest.slice(nl + 2, nl + 2 + size);
        at = nl + 2 + size + 2;
      }
    } else {
      const len = Number(headers['content-length'] ?? 0);
      body = rest.slice(at, at + len);
      at += len;
    }
    out.push({ status: Number(lines[0].split(' ')[1]), headers, body });
    rest = rest.slice(at);
  }
  return out;
}

const GET = (path: string, host = 'www.demo.test', extra = '') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Raw-Test\r\n${extra}\r\n`;

describe('HttpIngress fast path', () => {
  let s: Setup;
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function start(opts: ProtocolHttpOptions = {}, answer?: Parameters<typeof service>[0]): Promise<Setup> {
    const cur = await setup(opts, answer);
    s = cur;
    cleanups.push(() => cur.svc.close(), () => cur.ingress.close());
    return cur;
  }

  test('keep-alive GETs are forwarded with the visitor fields as sent, plus forwarding fields; hop-by-hop dropped', async () => {
    await start();
    const text = await exchange(s.ingress.port, [GET('/a', 'www.demo.test', 'X-Forwarded-For: 6.6.6.6\r\nKeep-Alive: 300\r\nConnection: keep-alive\r\n'), GET('/b')], (t) => responses(t).length === 2);
    const r = responses(text);
    expect(r.map((x) => [x.status, x.body])).toEqual([
      [200, 'path /a'],
      [200, 'path /b'],
    ]);
    expect(r[0].headers.date).toBeDefined();
    // The keep-alive hint Node's server sends too.
    expect([r[0].headers.connection, r[0].headers['keep-alive']]).toEqual(['keep-alive', 'timeout=5']);
    const head = s.svc.heads[0];
    // Field names keep the visitor's spelling: Node's path would have lower-cased them.
    expect(head).toContain('\r\nUser-Agent: Raw-Test');
    expect(head).toContain('\r\nx-forwarded-for: 127.0.0.1');
    expect(head).not.toContain('6.6.6.6');
    expect(head).not.toMatch(/keep-alive/i);
    expect(head).toContain('\r\nforwarded: for=127.0.0.1;host=www.demo.test;proto=http');
    expect(s.svc.connections).toBe(1);
    expect(s.logs.filter((l) => l.msg === 'http request').map((l) => [l.path, l.status])).toEqual([
      ['/a', 200],
      ['/b', 200],
    ]);
  });

  test('pipelined requests in one write are answered in order', async () => {
    await start();
    const text = await exchange(s.ingress.port, [GET('/1') + GET('/2') + GET('/3')], (t) => responses(t).length === 3);
    expect(responses(text).map((x) => x.body)).toEqual(['path /1', 'path /2', 'path /3']);
  });

  test('a request the fast path does not serve hands the connection to Node, which serves the rest of it', async () => {
    await start();
    const post = 'POST /up HTTP/1.1\r\nHost: www.demo.test\r\nContent-Length: 5\r\n\r\nhello';
    const chunked = 'POST /ch HTTP/1.1\r\nHost: www.demo.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    const text = await exchange(s.ingress.port, [GET('/fast'), chunked, GET('/after'), post], (t) => responses(t).length === 4);
    const r = responses(text);
    expect(r.map((x) => [x.status, x.body])).toEqual([
      [200, 'path /fast'],
      [200, 'path /ch body abc'],
      [200, 'path /after'],
      [200, 'path /up body hello'],
    ]);
    // Node's path: lower-cased names, and Node's keep-alive fields on the answer.
    expect(s.svc.heads.find((h) => h.startsWith('GET /after '))).toContain('\r\nuser-agent: Raw-Test');
    expect(r[2].headers.connection).toBe('keep-alive');
  });

  test('an oversized head goes to Node: 431; an Upgrade after fast requests on the same connection goes to Node: 501 without protocol-ws', async () => {
    await start();
    const big = await exchange(s.ingress.port, [GET('/big', 'www.demo.test', `X-Big: ${'a'.repeat(20000)}\r\n`)], (t) => t.includes('\r\n\r\n'));
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    const ws = 'GET /ws HTTP/1.1\r\nHost: www.demo.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    const text = await exchange(s.ingress.port, [GET('/one'), ws], (t) => responses(t).length === 2);
    const r = responses(text);
    expect(r.map((x) => x.status)).toEqual([200, 501]);
    expect(r[1].headers['x-tfgw-error']).toBe('TFGW_ERR_UPGRADE_UNSUPPORTED');
  });

  test('HTTPS: the fast path serves TLS connections too, and hands them over to Node', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-fast-tls-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-subj', '/CN=www.demo.test'], { stdio: 'ignore' });
    await start({ https: { listen: '127.0.0.1:0', cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') } });
    const port = s.logs.filter((l) => l.msg === 'HTTPS ingress listening').map((l) => Number(new URL(String(l.url)).port))[0];
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    await once(socket, 'secureConnect');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.write(GET('/tls-fast'));
    while (responses(text).length < 1) await new Promise((r) => setTimeout(r, 5));
    socket.write('POST /tls-node HTTP/1.1\r\nHost: www.demo.test\r\nContent-Length: 2\r\n\r\nhi');
    while (responses(text).length < 2) await new Promise((r) => setTimeout(r, 5));
    socket.write(GET('/tls-after'));
    while (responses(text).length < 3) await new Promise((r) => setTimeout(r, 5));
    socket.destroy();
    expect(responses(text).map((x) => x.body)).toEqual(['path /tls-fast', 'path /tls-node body hi', 'path /tls-after']);
    expect(s.svc.heads[0]).toContain('\r\nx-forwarded-proto: https');
  });

  test('a small body that arrives with its head stays on the fast path; one that comes later goes to Node', async () => {
    await start();
    const post = (p: string, body: string) => `POST ${p} HTTP/1.1\r\nHost: www.demo.test\r\nUser-Agent: Raw-Test\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const one = post('/p1', '{"a":1}');
    const text = await exchange(s.ingress.port, [one + post('/p2', '{"b":22}') + GET('/g'), one.slice(0, one.length - 3), one.slice(one.length - 3)], (t) => responses(t).length === 4);
    expect(responses(text).map((x) => x.body)).toEqual(['path /p1 body {"a":1}', 'path /p2 body {"b":22}', 'path /g', 'path /p1 body {"a":1}']);
    // The first three kept the visitor's spelling (fast path); the split one went through Node (lower-cased).
    expect(s.svc.heads.map((h) => (h.includes('\r\nUser-Agent: ') ? 'fast' : 'node'))).toEqual(['fast', 'fast', 'fast', 'node']);
    expect(s.logs.filter((l) => l.msg === 'http request').map((l) => l.bytesIn)).toEqual([7, 8, 0, 7]);
  });

  test('a head split over several reads goes to Node and is served', async () => {
    await start();
    const req = GET('/split');
    const text = await exchange(s.ingress.port, [req.slice(0, 10), req.slice(10, 30), req.slice(30)], (t) => responses(t).length === 1);
    expect(responses(text)[0].body).toBe('path /split');
  });

  test('pages: unknown host 404 and bad host 400 (from Node), unreachable service 502 (fast path, HEAD without body)', async () => {
    await start();
    const text = await exchange(s.ingress.port, [GET('/', 'nobody.demo.test')], (t) => responses(t).length === 1);
    expect(responses(text)[0]).toMatchObject({ status: 404, headers: { 'x-tfgw-error': 'TFGW_ERR_NO_TUNNEL' } });
    const bad = await exchange(s.ingress.port, [GET('/', 'bad host!')], (t) => responses(t).length === 1);
    expect(responses(bad)[0].status).toBe(400);
    const down = await exchange(s.ingress.port, [GET('/', 'down.demo.test', 'Accept: text/html\r\n'), `HEAD / HTTP/1.1\r\nHost: down.demo.test\r\n\r\n`], (t) => t.split('HTTP/1.1 502').length === 3);
    const [html, head] = responses(down.slice(0, down.lastIndexOf('HTTP/1.1 502')));
    expect(html).toMatchObject({ status: 502, headers: { 'x-tfgw-error': 'TFGW_ERR_SERVICE_UNREACHABLE', 'content-type': 'text/html; charset=utf-8' } });
    expect(html.body).toMatch(/cannot reach the service/);
    expect(head).toBeUndefined();
    const headOnly = down.slice(down.lastIndexOf('HTTP/1.1 502'));
    expect(headOnly.endsWith('\r\n\r\n')).toBe(true);
    expect(s.logs.some((l) => l.msg === 'http request' && l.code === 'TFGW_ERR_SERVICE_UNREACHABLE' && l.status === 502)).toBe(true);
  });

  test('Connection: close is honoured: the answer says so and the connection ends; later bytes are ignored', async () => {
    await start();
    const text = await exchange(s.ingress.port, [GET('/last', 'www.demo.test', 'Connection: close\r\n') + GET('/ignored')]);
    const r = responses(text);
    expect(r).toHaveLength(1);
    expect(r[0].headers.connection).toBe('close');
    expect(s.svc.heads.map((h) => h.split(' ')[1])).toEqual(['/last']);
  });

  test('a visitor that half-closes after its request still gets the answer', async () => {
    await start();
    const text = await exchange(s.ingress.port, [GET('/half')], undefined, { endAfter: true });
    expect(responses(text)[0].body).toBe('path /half');
  });

  test('basic auth: right credentials on the fast path (Authorization not passed on), wrong ones get 401 from Node', async () => {
    await start();
    const ok = await exchange(s.ingress.port, [GET('/in', 'auth.demo.test', `Authorization: Basic ${Buffer.from('alice:s3cret').toString('base64')}\r\n`)], (t) => responses(t).length === 1);
    expect(responses(ok)[0].body).toBe('path /in');
    expect(s.svc.heads[0]).not.toMatch(/authorization/i);
    const no = await exchange(s.ingress.port, [GET('/in', 'auth.demo.test', 'Authorization: Basic bm86bm8=\r\n')], (t) => responses(t).length === 1);
    expect(responses(no)[0]).toMatchObject({ status: 401, headers: { 'x-tfgw-error': 'TFGW_ERR_UNAUTHORIZED' } });
  });

  test('route header changes apply on the fast path both ways', async () => {
    await start();
    const text = await exchange(s.ingress.port, [GET('/rw', 'rw.demo.test')], (t) => responses(t).length === 1);
    const r = responses(text)[0];
    expect(r.headers['x-served-by']).toBe('tfgw');
    expect(r.headers['content-type']).toBeUndefined();
    expect(s.svc.heads[0]).toContain('\r\nx-added: yes');
    expect(s.svc.heads[0]).not.toMatch(/user-agent/i);
  });

  test('the visitor hook refuses on the fast path: sync taps inline, async taps through the gateway, a throwing tap fails closed', async () => {
    await start();
    s.node.hooks.visitor.tap('t-sync', (v) => (v.hostname === 'www.demo.test' ? { code: 'TFGW_ERR_VISITOR_REJECTED', message: 'no' } : undefined));
    const rejected: string[] = [];
    s.node.hooks.rejected.tap('t', (hook, r) => rejected.push(`${hook} ${r.code}`));
    const sync = await exchange(s.ingress.port, [GET('/')], (t) => responses(t).length === 1);
    expect(responses(sync)[0]).toMatchObject({ status: 403, headers: { 'x-tfgw-error': 'TFGW_ERR_VISITOR_REJECTED' } });
    expect(rejected).toEqual(['visitor TFGW_ERR_VISITOR_REJECTED']);
    expect(s.logs.some((l) => l.msg === 'http request' && l.status === 403 && l.code === 'TFGW_ERR_VISITOR_REJECTED')).toBe(true);
    s.node.hooks.visitor.tapPromise('t-async', async (v) => (v.hostname === 'rw.demo.test' ? { code: 'TFGW_ERR_VISITOR_REJECTED', message: 'no' } : undefined));
    const asyncText = await exchange(s.ingress.port, [GET('/', 'rw.demo.test') + GET('/p', 'auth.demo.test', `Authorization: Basic ${Buffer.from('alice:s3cret').toString('base64')}\r\n`)], (t) => responses(t).length === 2);
    expect(responses(asyncText).map((r) => r.status)).toEqual([403, 200]);
    const s2 = await start();
    s2.node.hooks.visitor.tap('t-throw', () => {
      throw new Error('broken tap');
    });
    const thrown = await exchange(s2.ingress.port, [GET('/')], (t) => responses(t).length === 1);
    expect(responses(thrown)[0]).toMatchObject({ status: 403, headers: { 'x-tfgw-error': 'TFGW_ERR_HOOK' } });
  });

  test('a throwing requestLog tap is reported on the error hook; answers and the connection go on', async () => {
    await start();
    const errors: string[] = [];
    s.node.hooks.error.tap('t', (e, ctx) => errors.push(`${ctx.source} ${e.message}`));
    s.node.hooks.requestLog.tap('t', () => {
      throw new Error('log tap broke');
    });
    const text = await exchange(s.ingress.port, [GET('/x1') + GET('/x2')], (t) => responses(t).length === 2);
    expect(responses(text).map((r) => r.body)).toEqual(['path /x1', 'path /x2']);
    expect(errors).toEqual(['plugin:protocol-http log tap broke', 'plugin:protocol-http log tap broke']);
  });

  test('an httpRequest tap sends every request through Node (taps get req and res)', async () => {
    await start();
    s.node.hooks.httpRequest.tapPromise('t', async (req) => {
      req.headers['x-hook'] = 'seen';
      return undefined;
    });
    const text = await exchange(s.ingress.port, [GET('/h')], (t) => responses(t).length === 1);
    expect(responses(text)[0].body).toBe('path /h');
    expect(s.svc.heads[0]).toContain('\r\nx-hook: seen');
  });

  test('chunked and close-delimited answers go to the visitor chunked; the connection stays usable', async () => {
    await start({}, (head, _b, socket) => {
      if (head.includes(' /chunked ')) return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
      if (head.includes(' /close ')) {
        socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
        return undefined;
      }
      return 'plain';
    });
    const text = await exchange(s.ingress.port, [GET('/chunked') + GET('/close') + GET('/plain')], (t) => responses(t).length === 3);
    const r = responses(text);
    expect(r.map((x) => [x.headers['transfer-encoding'] ?? null, x.body])).toEqual([
      ['chunked', 'hello'],
      ['chunked', 'until close'],
      [null, 'plain'],
    ]);
  });

  test('large answers (Content-Length and chunked) stream through with backpressure to a slow visitor, intact', async () => {
    const MB = 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    await start({}, (head, _b, socket) => {
      const chunked = head.includes(' /chunked ');
      socket.write(chunked ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' : `HTTP/1.1 200 OK\r\nContent-Length: ${20 * MB}\r\n\r\n`);
      let sent = 0;
      const pump = () => {
        while (sent < 20 * MB) {
          sent += chunk.length;
          const ok = socket.write(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
          if (!ok) return void socket.once('drain', pump);
        }
        if (chunked) socket.write('0\r\n\r\n');
      };
      pump();
      return undefined;
    });
    for (const path of ['/length', '/chunked']) {
      const got = await new Promise<{ bytes: number; ok: boolean }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: s.ingress.port, path, headers: { host: 'www.demo.test' }, agent: false }, (res) => {
          let bytes = 0;
          let ok = true;
          res.on('data', (d: Buffer) => {
            for (let i = 0; i < d.length; i += 4099) if (d[i] !== chunk[(bytes + i) % chunk.length]) ok = false;
            bytes += d.length;
            // A slow reader: the gateway must hold the tunnel stream back, not buffer the answer.
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve({ bytes, ok }));
        });
        req.on('error', reject);
      });
      expect([path, got.bytes, got.ok]).toEqual([path, 20 * MB, true]);
    }
  }, 60_000);

  test('stopping: idle fast connections are closed', async () => {
    await start();
    const socket = net.connect(s.ingress.port, '127.0.0.1');
    socket.write(GET('/x'));
    await once(socket, 'data');
    const closed = once(socket, 'close');
    await s.ingress.stopAccepting();
    await closed;
  });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    await start({ keepAliveTimeoutMs: 50 });
    const text = await exchange(s.ingress.port, [GET('/k')]);
    expect(responses(text)[0].body).toBe('path /k');
  });

  test('property: any mix of fast, Node-bound and malformed requests gets well-formed answers and never a wrong body', async () => {
    await start();
    const kinds = fc.constantFrom('get', 'post', 'split', 'unknown', 'garbage', 'head');
    await fc.assert(
      fc.asyncProperty(fc.array(kinds, { minLength: 1, maxLength: 5 }), async (seq) => {
        const pieces: string[] = [];
        const expected: Array<[number, string]> = [];
        let i = 0;
        for (const k of seq) {
          const p = `/r${i++}`;
          if (k === 'get') {
            pieces.push(GET(p));
            expected.push([200, `path ${p}`]);
          } else if (k === 'head') {
            pieces.push(`HEAD ${p} HTTP/1.1\r\nHost: www.demo.test\r\n\r\n`);
            expected.push([200, '']);
          } else if (k === 'post') {
            pieces.push(`POST ${p} HTTP/1.1\r\nHost: www.demo.test\r\nContent-Length: 2\r\n\r\nok`);
            expected.push([200, `path ${p} body ok`]);
          } else if (k === 'split') {
            const g = GET(p);
            pieces.push(g.slice(0, 7), g.slice(7));
            expected.push([200, `path ${p}`]);
          } else if (k === 'unknown') {
            pieces.push(GET(p, 'nobody.demo.test'));
            expected.push([404, '']);
          } else {
            pieces.push('GET / HTTP/1.1\r\nHost: www.demo.test\r\nBad Header\r\n\r\n');
            expected.push([400, '']);
            break; // Node closes the connection after a 400.
          }
        }
        const text = await exchange(s.ingress.port, pieces, (t) => responses(t).length === expected.length);
        const r = responses(text);
        expect(r.map((x) => x.status)).toEqual(expected.map((e) => e[0]));
        r.forEach((x, j) => {
          if (expected[j][0] === 200 && expected[j][1] !== '') expect(x.body).toBe(expected[j][1]);
        });
      }),
      { numRuns: 25 },
    );
  });
});

describe('HttpIngress fast path under hostile input', () => {
  test('fuzz: mutated, pipelined, split requests get well-formed answers or a closed connection; the service only sees well-formed heads', async () => {
    const s = await setup();
    try {
      const valid = [GET('/a'), GET('/b', 'www.demo.test', 'Connection: close\r\n'), 'POST /p HTTP/1.1\r\nHost: www.demo.test\r\nContent-Length: 3\r\n\r\nabc', `HEAD /h HTTP/1.1\r\nHost: www.demo.test\r\n\r\n`, GET('/c', 'nobody.demo.test')];
      const input = fc
        .tuple(
          fc.array(fc.constantFrom(...valid), { minLength: 1, maxLength: 4 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { maxLength: 3 }),
          fc.array(fc.nat(400), { maxLength: 4 }),
        )
        .map(([reqs, muts, cuts]) => {
          let b = Buffer.from(reqs.join(''), 'latin1');
          for (const [at, byte, op] of muts) {
            const i = at % (b.length + 1);
            if (op === 'set' && i < b.length) b[i] = byte;
            else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
            else if (op === 'delete' && i < b.length) b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
          }
          const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
          const pieces: Buffer[] = [];
          let at = 0;
          for (const p of [...points, b.length]) {
            pieces.push(b.subarray(at, p));
            at = p;
          }
          return pieces.filter((p) => p.length > 0);
        });
      await fc.assert(
        fc.asyncProperty(input, async (pieces) => {
          const socket = net.connect(s.ingress.port, '127.0.0.1');
          await once(socket, 'connect');
          let out = Buffer.alloc(0);
          socket.on('data', (d: Buffer) => (out = Buffer.concat([out, d])));
          socket.on('error', () => undefined);
          for (const p of pieces) {
            socket.write(p);
            await new Promise((r) => setImmediate(r));
          }
          // Whatever was sent, the answers so far must be well-formed; then the test closes.
          await new Promise((r) => setTimeout(r, 30));
          socket.destroy();
          const text = out.toString('latin1');
          if (text.length === 0) return;
          // Every answer starts with a status line and a well-formed head (bodies here never contain "HTTP/1.1 ").
          expect(text.startsWith('HTTP/1.1 ')).toBe(true);
          for (let at = text.indexOf('HTTP/1.1 '); at >= 0; at = text.indexOf('HTTP/1.1 ', at + 1)) {
            const end = text.indexOf('\r\n\r\n', at);
            if (end < 0) break;
            const lines = text.slice(at, end).split('\r\n');
            expect(lines[0]).toMatch(/^HTTP\/1\.1 \d{3} [^\r\n]*$/);
            for (const l of lines.slice(1)) expect(l).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+: ?[^\r\n]*$/);
          }
        }),
        { numRuns: 150 },
      );
      for (const h of s.svc.heads) {
        expect(h).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [\x21-\xff]+ HTTP\/1\.1\r\n/);
        for (const line of h.split('\r\n').slice(1)) expect(line).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+: [^\r\n]*$/);
      }
    } finally {
      await s.ingress.close();
      await s.svc.close();
    }
  }, 120_000);
});

describe('HttpIngress fast path with Node clients', () => {
  test('Node\u2019s HTTP client with a keep-alive agent: many requests, one service connection', async () => {
    const s = await setup();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          new Promise<string>((resolve, reject) => {
            http
              .get({ host: '127.0.0.1', port: s.ingress.port, path: `/n${i}`, headers: { host: 'www.demo.test' }, agent }, (res) => {
                let b = '';
                res.on('data', (d: Buffer) => (b += d.toString()));
                res.on('end', () => resolve(b));
              })
              .on('error', reject);
          }),
        ),
      );
      expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => `path /n${i}`));
      expect(s.svc.connections).toBeLessThanOrEqual(4);
    } finally {
      agent.destroy();
      await s.ingress.close();
      await s.svc.close();
    }
  });
});
