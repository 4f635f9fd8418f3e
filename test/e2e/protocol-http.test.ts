import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import type { CliProcess } from '../helpers/cli';
import { patternChunk, sha256OfStream, writePattern } from '../helpers/net';
import { curl, deadPort, origin, request, spawnCurl, startCliAgent, startConfigAgent, startHttpGateway, type HttpGateway } from './protocol-http-fixture';

/**
 * protocol-http end to end: the real CLI as gateway (protocol-http only, plus a hook plugin
 * loaded from a file) and agents, real curl and Node's HTTP client as visitors.
 */

const MB = 1024 * 1024;

/** A plugin loaded from a file by path: rejects, fails or modifies requests by header. */
const HOOK_PLUGIN = `
module.exports = function testHook() {
  return {
    name: 'test-http-hook',
    apply(node) {
      node.hooks.httpRequest.tapPromise('test-http-hook', async (req, res, route) => {
        if (req.headers['x-reject']) {
          res.writeHead(403, { 'content-type': 'text/plain', 'x-rejected-by': 'test-http-hook' });
          res.end('rejected by the hook for ' + route.hostname + '\\n');
          return true;
        }
        if (req.headers['x-throw']) throw new Error('the hook broke');
        req.headers['x-hook'] = 'seen';
        return undefined;
      });
    },
  };
};
`;

/** sha256 of `total` bytes of `chunk` repeated (what writePattern sends). */
function patternHash(total: number, chunk: Buffer): string {
  const h = crypto.createHash('sha256');
  for (let left = total; left > 0; left -= chunk.length) h.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
  return h.digest('hex');
}

describe('protocol-http through the real CLI', () => {
  let gw: HttpGateway;
  let main: Awaited<ReturnType<typeof origin>>;
  let victimOrigin: Awaited<ReturnType<typeof origin>>;
  const procs: CliProcess[] = [];
  let victim: CliProcess;
  let cfgAgent: CliProcess;
  const slowStarted: Array<() => void> = [];
  const VICTIM_CHUNK = patternChunk(64 * 1024, 77);
  let down: number;

  beforeAll(async () => {
    main = await origin((req, res) => {
      const url = new URL(req.url ?? '/', 'http://origin');
      if (url.pathname === '/upload') {
        void sha256OfStream(req).then(({ hash, bytes }) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ hash, bytes, te: req.headers['transfer-encoding'] ?? null }));
        });
        return;
      }
      if (url.pathname === '/download') {
        const total = Number(url.searchParams.get('bytes'));
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        void writePattern(res, total, patternChunk(64 * 1024, 5)).then(() => res.end());
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-powered-by', 'origin');
      res.setHeader('x-origin', 'yes');
      res.end(JSON.stringify({ identity: 'main', method: req.method, url: req.url, headers: req.headers, remotePort: req.socket.remotePort }));
    });
    victimOrigin = await origin((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(VICTIM_CHUNK);
      slowStarted.shift()?.();
      // Never ends: the test kills the agent mid-response.
    });
    down = await deadPort();
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'tfgw-http-cert-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      '-subj', '/CN=*.demo.tfgw.localhost', '-addext', 'subjectAltName=DNS:*.demo.tfgw.localhost,DNS:*.tfgw.localhost',
    ], { stdio: 'ignore' });
    gw = await startHttpGateway({
      ws: false,
      plugins: [['./hook-plugin.js', {}]],
      files: { 'hook-plugin.js': HOOK_PLUGIN, 'cert.pem': fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'), 'key.pem': fs.readFileSync(path.join(dir, 'key.pem'), 'utf8') },
      https: { cert: 'cert.pem', key: 'key.pem' },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    const [demo, cfg, v] = await Promise.all([
      startCliAgent(gw, 'demo', [`www=127.0.0.1:${main.port}`, `down=127.0.0.1:${down}`, `127.0.0.1:${main.port}`], 'www.demo.tfgw.localhost'),
      startConfigAgent(
        gw,
        'cfg',
        [
          { name: 'auth', protocol: 'http', target: `127.0.0.1:${main.port}`, options: { basicAuth: 'alice:s3cret' } },
          { name: 'bad', protocol: 'http', target: `127.0.0.1:${main.port}`, options: { requestHeaders: { 'x-a': 'line\r\nbreak' } } },
          {
            name: 'rewrite',
            protocol: 'http',
            target: `127.0.0.1:${main.port}`,
            options: { requestHeaders: { 'x-added': 'yes', 'user-agent': null }, responseHeaders: { 'x-powered-by': null, 'x-served-by': 'tfgw' } },
          },
        ],
        'rewrite.cfg.tfgw.localhost',
      ),
      startCliAgent(gw, 'victim', [`www=127.0.0.1:${victimOrigin.port}`], 'www.victim.tfgw.localhost'),
    ]);
    procs.push(demo, cfg, v);
    victim = v;
    cfgAgent = cfg;
    await demo.waitFor(/^http\s+http:\/\/down\.demo\.tfgw\.localhost:\d+\/ -> /);
    await demo.waitFor(/^http\s+http:\/\/demo\.tfgw\.localhost:\d+\/ -> /);
    await cfg.waitFor(/^http\s+http:\/\/auth\.cfg\.tfgw\.localhost:\d+\/ /);
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await gw?.stop();
    await main?.close();
    await victimOrigin?.close();
  });

  test('curl gets the service answer with forwarding headers', async () => {
    const r = await curl(gw.http, 'www.demo.tfgw.localhost', '/hello?x=1');
    expect(r.status).toBe(200);
    expect(r.headers['x-origin']).toBe('yes');
    const body = JSON.parse(r.body);
    expect(body.identity).toBe('main');
    expect(body.url).toBe('/hello?x=1');
    expect(body.headers.host).toBe(`www.demo.tfgw.localhost:${gw.http}`);
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(body.headers['x-forwarded-proto']).toBe('http');
    expect(body.headers['x-forwarded-host']).toBe(`www.demo.tfgw.localhost:${gw.http}`);
    expect(body.headers.forwarded).toBe(`for=127.0.0.1;host="www.demo.tfgw.localhost:${gw.http}";proto=http`);
    expect(body.headers['x-hook']).toBe('seen');
  });

  test('a visitor cannot forge forwarding headers (the gateway is the edge)', async () => {
    const r = await curl(gw.http, 'www.demo.tfgw.localhost', '/', ['-H', 'X-Forwarded-For: 6.6.6.6', '-H', 'Forwarded: for=6.6.6.6']);
    const body = JSON.parse(r.body);
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(body.headers.forwarded).toBe(`for=127.0.0.1;host="www.demo.tfgw.localhost:${gw.http}";proto=http`);
  });

  test('the agent name alone serves its unnamed HTTP service', async () => {
    const r = await curl(gw.http, 'demo.tfgw.localhost', '/root');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).url).toBe('/root');
  });

  test('Host matching ignores case, the port and one trailing dot', async () => {
    for (const host of ['WWW.Demo.TFGW.localhost', 'www.demo.tfgw.localhost.', `www.demo.tfgw.localhost.:${gw.http}`, 'www.demo.tfgw.localhost:1']) {
      const r = await request(gw.http, host, '/case');
      expect([host, r.status]).toEqual([host, 200]);
      expect(JSON.parse(r.body.toString()).url).toBe('/case');
    }
  });

  test('an absolute-form request target routes by its authority', async () => {
    const r = await request(gw.http, 'nope.tfgw.localhost', `http://www.demo.tfgw.localhost:${gw.http}/abs?q=1`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString()).url).toBe('/abs?q=1');
  });

  test('keep-alive: the visitor connection and the tunnel stream are both reused', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await request(gw.http, 'www.demo.tfgw.localhost', '/ka1', { agent });
      const b = await request(gw.http, 'www.demo.tfgw.localhost', '/ka2', { agent });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.reused).toBe(true);
      // Same origin socket port: the agent's connection to the service came from the same stream.
      expect(JSON.parse(b.body.toString()).remotePort).toBe(JSON.parse(a.body.toString()).remotePort);
    } finally {
      agent.destroy();
    }
  });

  test('a 50 MB chunked upload streams through with its checksum intact', async () => {
    const child = spawnCurl(gw.http, 'www.demo.tfgw.localhost', '/upload', ['-T', '-', '-H', 'Transfer-Encoding: chunked']);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    const sent = await writePattern(child.stdin, 50 * MB, patternChunk(256 * 1024, 9));
    child.stdin.end();
    const [code] = await once(child, 'close');
    expect(code).toBe(0);
    const answer = JSON.parse(Buffer.concat(chunks).toString());
    expect(answer).toEqual({ hash: sent, bytes: 50 * MB, te: 'chunked' });
  });

  test('a 50 MB download streams through intact', async () => {
    const child = spawnCurl(gw.http, 'www.demo.tfgw.localhost', `/download?bytes=${50 * MB}`, ['-o', '-']);
    child.stdin.end();
    const got = await sha256OfStream(child.stdout);
    const [code] = await once(child, 'close');
    expect(code).toBe(0);
    expect(got.bytes).toBe(50 * MB);
    expect(got.hash).toBe(patternHash(50 * MB, patternChunk(64 * 1024, 5)));
  });

  test('an unknown host gets 404 naming the host', async () => {
    const r = await curl(gw.http, 'nobody.tfgw.localhost', '/');
    expect(r.status).toBe(404);
    expect(r.headers['x-tfgw-error']).toBe('TFGW_ERR_NO_TUNNEL');
    expect(r.body).toContain('nobody.tfgw.localhost');
    expect(r.body).toMatch(/no tunnel/i);
    const html = await curl(gw.http, 'nobody.tfgw.localhost', '/', ['-H', 'Accept: text/html']);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toContain('nobody.tfgw.localhost');
  });

  test('a request without a usable Host gets 400', async () => {
    const r = await request(gw.http, 'bad host!', '/');
    expect(r.status).toBe(400);
    expect(r.headers['x-tfgw-error']).toBe('TFGW_ERR_BAD_HOST');
  });

  test('a request head over maxHeaderBytes gets 431', async () => {
    const r = await curl(gw.http, 'www.demo.tfgw.localhost', '/', ['-H', `X-Big: ${'a'.repeat(20000)}`]);
    expect(r.status).toBe(431);
  });

  test('a service with bad HTTP options is refused at registration, naming the option', async () => {
    const line = await cfgAgent.waitFor(/^error http:bad TFGW_ERR_CONFIG: /);
    expect(line.input).toContain('options.requestHeaders.x-a');
    const r = await curl(gw.http, 'bad.cfg.tfgw.localhost', '/');
    expect(r.status).toBe(404);
  });

  test('a service that is down gets 502 saying the service is unreachable', async () => {
    const r = await curl(gw.http, 'down.demo.tfgw.localhost', '/');
    expect(r.status).toBe(502);
    expect(r.headers['x-tfgw-error']).toBe('TFGW_ERR_SERVICE_UNREACHABLE');
    expect(r.body).toMatch(/cannot reach the service/);
  });

  test('basic auth: 401 with a challenge, wrong password 401, right one passes without the credentials', async () => {
    const none = await curl(gw.http, 'auth.cfg.tfgw.localhost', '/');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="auth\.cfg\.tfgw\.localhost"/);
    const wrong = await curl(gw.http, 'auth.cfg.tfgw.localhost', '/', ['-u', 'alice:nope']);
    expect(wrong.status).toBe(401);
    const right = await curl(gw.http, 'auth.cfg.tfgw.localhost', '/in', ['-u', 'alice:s3cret']);
    expect(right.status).toBe(200);
    const body = JSON.parse(right.body);
    expect(body.url).toBe('/in');
    expect(body.headers.authorization).toBeUndefined();
  });

  test('header rewrite on requests and responses', async () => {
    const r = await curl(gw.http, 'rewrite.cfg.tfgw.localhost', '/rw', ['-A', 'curl-agent']);
    expect(r.status).toBe(200);
    expect(r.headers['x-served-by']).toBe('tfgw');
    expect(r.headers['x-powered-by']).toBeUndefined();
    expect(r.headers['x-origin']).toBe('yes');
    const body = JSON.parse(r.body);
    expect(body.headers['x-added']).toBe('yes');
    expect(body.headers['user-agent']).toBeUndefined();
  });

  test('the httpRequest hook can reject a request, and fails closed with 503', async () => {
    const r = await curl(gw.http, 'www.demo.tfgw.localhost', '/', ['-H', 'X-Reject: 1']);
    expect(r.status).toBe(403);
    expect(r.headers['x-rejected-by']).toBe('test-http-hook');
    expect(r.body).toBe('rejected by the hook for www.demo.tfgw.localhost\n');
    const broken = await curl(gw.http, 'www.demo.tfgw.localhost', '/', ['-H', 'X-Throw: 1']);
    expect(broken.status).toBe(503);
    expect(broken.headers['x-tfgw-error']).toBe('TFGW_ERR_HOOK');
  });

  test('a WebSocket upgrade without protocol-ws gets 501', async () => {
    const r = await curl(gw.http, 'www.demo.tfgw.localhost', '/ws', ['-H', 'Connection: Upgrade', '-H', 'Upgrade: websocket', '-H', 'Sec-WebSocket-Version: 13', '-H', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']);
    expect(r.status).toBe(501);
    expect(r.headers['x-tfgw-error']).toBe('TFGW_ERR_UPGRADE_UNSUPPORTED');
    expect(r.body).toMatch(/protocol-ws/);
  });

  test('an Upgrade nobody serves (h2c) is ignored and answered over HTTP/1.1', async () => {
    const r = await curl(gw.http, 'www.demo.tfgw.localhost', '/h2c', ['--http2']);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).url).toBe('/h2c');
  });

  test('HTTPS ingress with a wildcard certificate for the zone', async () => {
    const certFile = path.join(gw.dir, 'cert.pem');
    const r = await curl(gw.https!, 'www.demo.tfgw.localhost', '/tls', ['--cacert', certFile], 'https');
    expect(r.exit).toBe(0);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.url).toBe('/tls');
    expect(body.headers['x-forwarded-proto']).toBe('https');
    expect(body.headers.forwarded).toMatch(/proto=https$/);
  });

  test('killing the agent mid-response closes the visitor connection; then 502 agent offline', async () => {
    const started = new Promise<void>((r) => slowStarted.push(r));
    const outcome = new Promise<{ status: number; data: Buffer; complete: boolean }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gw.http, path: '/slow', headers: { host: 'www.victim.tfgw.localhost' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => undefined);
        res.once('data', () => void started.then(() => victim.stop('SIGKILL')));
        res.on('close', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(chunks), complete: res.complete }));
      });
      req.on('error', reject);
      req.end();
    });
    const { status, data, complete } = await outcome;
    expect(status).toBe(200);
    expect(complete).toBe(false);
    // Only this response's own bytes, never anything else.
    expect(data.length).toBeGreaterThan(0);
    expect(data.length).toBeLessThanOrEqual(VICTIM_CHUNK.length);
    expect(data.equals(VICTIM_CHUNK.subarray(0, data.length))).toBe(true);
    await gw.proc.waitFor(/"agent":"victim".*"msg":"agent disconnected"/);
    const after = await curl(gw.http, 'www.victim.tfgw.localhost', '/again');
    expect(after.status).toBe(502);
    expect(after.headers['x-tfgw-error']).toBe('TFGW_ERR_AGENT_OFFLINE');
    expect(after.body).toMatch(/offline/);
  });

  test('one log line per request with method, host, path, status, bytes and duration', async () => {
    await curl(gw.http, 'www.demo.tfgw.localhost', '/logged-path');
    const m = await gw.proc.waitFor(/"path":"\/logged-path".*"msg":"http request"/);
    const line = JSON.parse(m.input!);
    expect(line).toMatchObject({ method: 'GET', host: 'www.demo.tfgw.localhost', path: '/logged-path', status: 200 });
    expect(typeof line.bytes).toBe('number');
    expect(line.bytes).toBeGreaterThan(0);
    expect(typeof line.durationMs).toBe('number');
  });
});
