import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { adminEndpoints, type Endpoint } from '@tfgw/admin';
import { createNode, type TfgwNode } from '@tfgw/core';
import type { CliProcess } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { ADMIN_TOKEN, ZONE, api, curlAdmin, run, curlIngress, startAdminGateway, startAgent, until, webService, writeConfig, type AdminGateway } from './admin-fixture';

/** The CLI of @seriousme/openapi-schema-validator (validates against the OpenAPI JSON schemas). */
const VALIDATE_API = path.join(path.dirname(require.resolve('@seriousme/openapi-schema-validator/package.json')), 'bin', 'validate-api-cli.js');

/**
 * The admin API through the real CLI: auth on every endpoint, the public endpoints, the
 * OpenAPI document covering every endpoint, sessions (kick), routes (disable / enable),
 * names (release), records, the request log and its live stream, reload (200 / 400), JSON
 * errors (404, 405, 413, 415, 400), and 501 / 404 from a node embedded without the CLI.
 */
describe('admin API', () => {
  let gw: AdminGateway;
  let web: Awaited<ReturnType<typeof webService>>;
  let agent: CliProcess;
  const enc = encodeURIComponent;

  beforeAll(async () => {
    web = await webService('alpha-www');
    gw = await startAdminGateway({ dns: true });
    agent = await startAgent(gw, 'alpha', { http: [`www=127.0.0.1:${web.port}`], tcp: [`127.0.0.1:${web.port}`] });
  });
  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await web?.close();
  });

  const concrete = (e: Endpoint) => e.path.replace(/:[a-z]+/g, 'x');
  const endpoints = adminEndpoints({} as never, new Set());

  it('serves /healthz, /metrics, /api/openapi.json and the status page without a token (curl)', async () => {
    const health = await curlAdmin(gw.admin, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const metrics = await api(gw.admin, 'GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('# TYPE tfgw_sessions gauge');
    const doc = await curlAdmin(gw.admin, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body).openapi).toBe('3.1.0');
    const page = await api(gw.admin, 'GET', '/', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.text).toContain('<title>tfgw status</title>');
  });

  it('answers 401 TFGW_ERR_AUTH with no data on every protected endpoint without the right token', async () => {
    const protectedOnes = endpoints.filter((e) => !e.public);
    expect(protectedOnes.length).toBeGreaterThanOrEqual(14);
    for (const e of protectedOnes) {
      for (const token of [null, 'wrong-token', `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1)]) {
        const r = await api(gw.admin, e.method, concrete(e), { token, ...(e.method === 'POST' ? { body: { type: 'name', name: `x.${ZONE}` } } : {}) });
        expect({ endpoint: `${e.method} ${e.path}`, token, status: r.status }).toEqual({ endpoint: `${e.method} ${e.path}`, token, status: 401 });
        expect(Object.keys(r.json).sort()).toEqual(['code', 'message']);
        expect(r.json.code).toBe('TFGW_ERR_AUTH');
        expect(r.headers['www-authenticate']).toBe('Bearer realm="tfgw-admin"');
      }
    }
    // Other schemes are not bearer tokens.
    const basic = await api(gw.admin, 'GET', '/api/v1/sessions', { token: null, headers: { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    // An unknown path under /api/v1 is 401 without the token (paths are not revealed), 404 with it.
    expect((await api(gw.admin, 'GET', '/api/v1/nothing-here', { token: null })).status).toBe(401);
    const unknown = await api(gw.admin, 'GET', '/api/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('TFGW_ERR_NOT_FOUND');
    // curl too.
    const c = await curlAdmin(gw.admin, 'GET', '/api/v1/sessions', ['-H', 'Authorization: Bearer nope']);
    expect(c.status).toBe(401);
    expect(JSON.parse(c.body).code).toBe('TFGW_ERR_AUTH');
    expect(c.body).not.toContain('alpha');
  });

  it('describes every endpoint in the OpenAPI document', async () => {
    const doc = (await api(gw.admin, 'GET', '/api/openapi.json', { token: null })).json;
    const described = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) for (const m of Object.keys(ops)) described.add(`${m.toUpperCase()} ${p}`);
    const served = new Set(endpoints.map((e) => `${e.method} ${e.path.replace(/:([a-z]+)/g, '{$1}')}`));
    expect([...served].sort()).toEqual([...described].sort());
    // Every $ref points at a schema that exists.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas[ref.split('/').pop()!]).toBeDefined();
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));

    // Valid against the official OpenAPI 3.1 JSON schema (the validator's own CLI, on the served document).
    const validate = async (document: unknown) => {
      const file = path.join(gw.dir, 'openapi.json');
      fs.writeFileSync(file, JSON.stringify(document));
      const r = await run(process.execPath, [VALIDATE_API, file]);
      return { code: r.code, result: JSON.parse(r.stdout) };
    };
    expect(await validate(doc)).toEqual({ code: 0, result: { valid: true } });
    // ... and the check has teeth.
    doc.paths['/api/v1/sessions/{id}'].delete.parameters[0].in = 'body';
    expect((await validate(doc)).result.valid).toBe(false);
  });

  it('lists sessions and kicks one; the agent comes back with a new session', async () => {
    const list = await curlAdmin(gw.admin, 'GET', '/api/v1/sessions', ['-H', `Authorization: Bearer ${ADMIN_TOKEN}`]);
    expect(list.status).toBe(200);
    const sessions = JSON.parse(list.body).sessions;
    expect(sessions).toHaveLength(1);
    const s = sessions[0];
    expect(s).toEqual(
      expect.objectContaining({ role: 'agent', agent: 'alpha', transport: 'tcp', remoteAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/), streams: expect.any(Number), bytesIn: expect.any(Number), bytesOut: expect.any(Number), since: expect.any(Number) }),
    );
    expect(s.rttMs === null || typeof s.rttMs === 'number').toBe(true);
    expect(s.bytesIn).toBeGreaterThan(0);

    const mark = agent.lines.length;
    const kicked = await api(gw.admin, 'DELETE', `/api/v1/sessions/${s.id}`);
    expect(kicked.status).toBe(200);
    expect(kicked.json).toEqual({ kicked: s.id });
    expect((await api(gw.admin, 'DELETE', `/api/v1/sessions/${s.id}`)).json.code).toBe('TFGW_ERR_NOT_FOUND');
    await agent.waitFor(/agent connected/, 20000, mark);
    const again = (await api(gw.admin, 'GET', '/api/v1/sessions')).json.sessions;
    expect(again).toHaveLength(1);
    expect(again[0].id).not.toBe(s.id);
    const rtt = await until('an RTT on the new session', async () => {
      const x = (await api(gw.admin, 'GET', '/api/v1/sessions')).json.sessions[0];
      return typeof x?.rttMs === 'number' ? x.rttMs : undefined;
    });
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('lists routes and disables / enables one by its URL-encoded id', async () => {
    const routes = (await api(gw.admin, 'GET', '/api/v1/routes')).json.routes;
    const www = routes.find((r: { protocol: string }) => r.protocol === 'http');
    const tcp = routes.find((r: { protocol: string }) => r.protocol === 'tcp');
    expect(www).toEqual(expect.objectContaining({ id: `http:www.alpha.${ZONE}`, hostname: `www.alpha.${ZONE}`, agent: 'alpha', service: 'www', online: true, enabled: true, visitors: 0 }));
    expect(tcp).toEqual(expect.objectContaining({ id: `tcp:alpha.${ZONE}`, agent: 'alpha', port: expect.any(Number), online: true }));

    expect((await curlIngress(gw.http, www.hostname, '/one')).status).toBe(200);
    const counted = await until('bytes on the route', async () => {
      const r = (await api(gw.admin, 'GET', `/api/v1/routes/${enc(www.id)}`)).json.route;
      return r.bytesOut > 0 ? r : undefined;
    });
    expect(counted.visitorsTotal).toBeGreaterThanOrEqual(1);

    const off = await api(gw.admin, 'POST', `/api/v1/routes/${enc(www.id)}/disable`);
    expect(off.status).toBe(200);
    expect(off.json.route.enabled).toBe(false);
    // Refused over HTTP (also on the ingress's pooled stream) and over TCP.
    expect((await curlIngress(gw.http, www.hostname, '/two')).status).toBe(403);
    expect((await api(gw.admin, 'POST', `/api/v1/routes/${enc(tcp.id)}/disable`)).status).toBe(200);
    const sock = net.connect(tcp.port, '127.0.0.1');
    sock.on('error', () => undefined);
    sock.end('GET / HTTP/1.0\r\n\r\n');
    const got: Buffer[] = [];
    sock.on('data', (c: Buffer) => got.push(c));
    await once(sock, 'close');
    expect(Buffer.concat(got).toString()).not.toContain('alpha-www');

    const on = await api(gw.admin, 'POST', `/api/v1/routes/${enc(www.id)}/enable`);
    expect(on.json.route.enabled).toBe(true);
    expect((await api(gw.admin, 'POST', `/api/v1/routes/${enc(tcp.id)}/enable`)).status).toBe(200);
    const back = await curlIngress(gw.http, www.hostname, '/three');
    expect(back).toEqual({ status: 200, body: 'alpha-www /three' });

    const missing = await api(gw.admin, 'POST', `/api/v1/routes/${enc('http:nope.example')}/disable`);
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('TFGW_ERR_NOT_FOUND');
  });

  it('lists names and the DNS records; releasing an unknown name is 404', async () => {
    const names = (await api(gw.admin, 'GET', '/api/v1/names')).json.names;
    expect(names).toContainEqual(expect.objectContaining({ fqdn: `alpha.${ZONE}`, zone: ZONE, kind: 'agent' }));
    const records = await api(gw.admin, 'GET', '/api/v1/records');
    expect(records.status).toBe(200);
    expect(records.json.store).toBe('memory');
    expect(records.json.zones[ZONE].alpha.a).toEqual([{ ip: '127.0.0.1', ttl: 60 }]);
    expect(records.json.zones[ZONE]['@'].soa).toBeDefined();
    expect((await api(gw.admin, 'GET', `/api/v1/records?zone=${ZONE}`)).json.zones[ZONE]).toBeDefined();
    expect((await api(gw.admin, 'GET', '/api/v1/records?zone=other.example')).status).toBe(404);
    const none = await api(gw.admin, 'DELETE', `/api/v1/names/${enc(`nobody.${ZONE}`)}`);
    expect(none.status).toBe(404);
    expect(none.json.code).toBe('TFGW_ERR_NOT_FOUND');
  });

  it('keeps the request log and streams new requests as server-sent events', async () => {
    const host = `www.alpha.${ZONE}`;
    expect((await curlIngress(gw.http, host, '/logged?q=1')).status).toBe(200);
    const logged = await until('the request in the log', async () => {
      const list = (await api(gw.admin, 'GET', '/api/v1/requests')).json.requests as Array<{ path: string; seq: number }>;
      return list.find((e) => e.path === '/logged?q=1');
    });
    expect(logged).toEqual(expect.objectContaining({ method: 'GET', host, status: 200, routeId: `http:${host}`, bytes: 'alpha-www /logged?q=1'.length, durationMs: expect.any(Number), time: expect.any(Number) }));
    expect((await api(gw.admin, 'GET', `/api/v1/requests?after=${logged.seq}`)).json.requests).toEqual([]);
    expect((await api(gw.admin, 'GET', '/api/v1/requests?limit=1')).json.requests).toHaveLength(1);
    expect((await api(gw.admin, 'GET', '/api/v1/requests?after=-1')).status).toBe(400);

    // The stream: without a token 401; with it, new requests arrive as events.
    expect((await api(gw.admin, 'GET', '/api/v1/requests/stream', { token: null })).status).toBe(401);
    const req = http.request({ host: '127.0.0.1', port: gw.admin, path: `/api/v1/requests/stream?after=${logged.seq}`, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    res.setEncoding('utf8');
    let buf = '';
    const event = new Promise<{ id: string; data: { path: string; status: number } }>((resolve) => {
      res.on('data', (chunk: string) => {
        buf += chunk;
        const m = /id: (\d+)\nevent: request\ndata: (.*)\n\n/.exec(buf);
        if (m) resolve({ id: m[1], data: JSON.parse(m[2]) });
      });
    });
    await once(res, 'data'); // the stream's opening comment: subscribed
    expect((await curlIngress(gw.http, host, '/live')).status).toBe(200);
    const ev = await event;
    expect(ev.data).toEqual(expect.objectContaining({ path: '/live', status: 200 }));
    expect(Number(ev.id)).toBeGreaterThan(logged.seq);
    req.destroy();
  });

  it('answers coded JSON errors: 405, 415, 400, 413, bad percent-encoding', async () => {
    const put = await api(gw.admin, 'PUT', '/api/v1/sessions');
    expect(put.status).toBe(405);
    expect(put.json.code).toBe('TFGW_ERR_METHOD_NOT_ALLOWED');
    expect(put.headers.allow).toBe('GET');
    const text = await api(gw.admin, 'POST', '/api/v1/reservations', { raw: { data: 'type=name', type: 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.json.code).toBe('TFGW_ERR_UNSUPPORTED_MEDIA_TYPE');
    const badJson = await api(gw.admin, 'POST', '/api/v1/reservations', { raw: { data: '{"type":', type: 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(badJson.json.code).toBe('TFGW_ERR_BAD_MESSAGE');
    const big = await api(gw.admin, 'POST', '/api/v1/reservations', { raw: { data: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), type: 'application/json' } });
    expect(big.status).toBe(413);
    expect(big.json.code).toBe('TFGW_ERR_BODY_TOO_LARGE');
    const badType = await api(gw.admin, 'POST', '/api/v1/reservations', { body: { type: 'castle', name: `x.${ZONE}` } });
    expect(badType.status).toBe(400);
    expect(badType.json).toEqual({ code: 'TFGW_ERR_BAD_MESSAGE', message: expect.stringContaining('type') });
    const badPct = await api(gw.admin, 'DELETE', '/api/v1/names/%E0%A4%A');
    expect(badPct.status).toBe(400);
    const notFound = await api(gw.admin, 'GET', '/nothing', { token: null });
    expect(notFound.status).toBe(404);
    expect(notFound.json.code).toBe('TFGW_ERR_NOT_FOUND');
  });

  it('reloads the config: 200 with the result, 400 with the coded error for a broken file, the old config staying', async () => {
    const cfg = gw.config as { gateway: { tokens: unknown[] }; plugins: Array<[string, Record<string, unknown>]> };
    cfg.gateway.tokens.push({ token: 'second-token', role: 'agent', names: ['beta'] });
    writeConfig(gw.file, cfg);
    const ok = await curlAdmin(gw.admin, 'POST', '/api/v1/reload', ['-H', `Authorization: Bearer ${ADMIN_TOKEN}`]);
    expect(ok.status).toBe(200);
    const result = JSON.parse(ok.body).result;
    expect(result).toEqual({ added: [], removed: [], kept: expect.arrayContaining(['admin', 'protocol-http', 'transport-tcp']) });

    // A config with an invalid plugin option: 400 with the plugin's config error.
    const admin = cfg.plugins.find((p) => p[0] === 'admin')!;
    admin[1].requestLogSize = -5;
    writeConfig(gw.file, cfg);
    const bad = await api(gw.admin, 'POST', '/api/v1/reload');
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('TFGW_ERR_CONFIG');
    expect(bad.json.message).toContain('requestLogSize');
    // A file that does not parse.
    fs.writeFileSync(gw.file, 'module.exports = {\n');
    const broken = await api(gw.admin, 'POST', '/api/v1/reload');
    expect(broken.status).toBe(400);
    expect(broken.json.code).toMatch(/^TFGW_ERR_CONFIG/);
    // Still serving, with the sessions it had.
    expect((await api(gw.admin, 'GET', '/api/v1/sessions')).json.sessions).toHaveLength(1);

    // A change of the admin plugin's own options restarts it from inside its own request.
    admin[1].requestLogSize = 50;
    writeConfig(gw.file, cfg);
    const self = await api(gw.admin, 'POST', '/api/v1/reload');
    expect(self.status).toBe(200);
    expect(self.json.result.added).toEqual(['admin']);
    expect(self.json.result.removed).toEqual(['admin']);
    expect((await api(gw.admin, 'GET', '/api/v1/routes')).json.routes.length).toBe(2);
    expect((await api(gw.admin, 'GET', '/healthz', { token: null })).status).toBe(200);
  });
});

describe('admin API on a node embedded without the CLI', () => {
  let node: TfgwNode;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-admin-embedded-'));
    port = await freePort();
    const created = createNode(
      {
        dataDir: dir,
        gateway: { tokens: [{ token: 'dev-token', role: 'agent' }] },
        plugins: [['admin', { listen: `127.0.0.1:${port}`, token: ADMIN_TOKEN }]],
      },
      { baseDir: dir },
    );
    node = created.node;
    await node.start();
  });
  afterAll(async () => {
    await node?.stop(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 501 for reload (no config.reload service) and 404 for records (no DNS store)', async () => {
    const reload = await api(port, 'POST', '/api/v1/reload');
    expect(reload.status).toBe(501);
    expect(reload.json.code).toBe('TFGW_ERR_NOT_IMPLEMENTED');
    const records = await api(port, 'GET', '/api/v1/records');
    expect(records.status).toBe(404);
    expect(records.json.code).toBe('TFGW_ERR_NOT_FOUND');
    expect((await api(port, 'GET', '/api/v1/sessions')).json).toEqual({ sessions: [] });
  });
});
