import net from 'node:net';
import { once } from 'node:events';
import type { CliProcess } from '../helpers/cli';
import { runCli } from '../helpers/cli';
import { echoServer, patternChunk } from '../helpers/net';
import { ZONE, api, curlIngress, dig, run, startAdminGateway, startAgent, until, webService, type AdminGateway } from './admin-fixture';

/** One metric family as parse-prometheus-text-format returns it. */
interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}
// The package ships no types; it is the real Prometheus text-format parser.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus: (text: string) => MetricFamily[] = require('parse-prometheus-text-format');

/**
 * `/metrics` scraped from the real CLI and parsed with a real Prometheus text parser: bytes
 * through a TCP route, a visitor refused by the deny list, a failed handshake (wrong token),
 * sessions, RTT, HTTP requests, event-loop lag.
 */
describe('admin metrics', () => {
  let gw: AdminGateway;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let web: Awaited<ReturnType<typeof webService>>;
  let agent: CliProcess;
  let tcpPort: number;

  beforeAll(async () => {
    echo = await echoServer();
    web = await webService('metrics-www');
    // Visitors from 127.0.0.2 are refused by the core's visitor filter (a `visitor` hook tap).
    gw = await startAdminGateway({ dns: true, gateway: { visitors: { deny: ['127.0.0.2/32'] } } });
    agent = await startAgent(gw, 'alpha', { tcp: [`127.0.0.1:${echo.port}`], http: [`www=127.0.0.1:${web.port}`] });
    tcpPort = Number((await agent.waitFor(/^tcp\s+tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
  });
  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await echo?.close();
    await web?.close();
  });

  async function scrape(): Promise<Map<string, MetricFamily>> {
    const r = await api(gw.admin, 'GET', '/metrics', { token: null });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return new Map(parsePrometheus(r.text).map((f) => [f.name, f]));
  }

  const value = (f: MetricFamily | undefined, labels: Record<string, string>): number => {
    const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
    return m?.value === undefined ? 0 : Number(m.value);
  };

  it('counts bytes through a TCP route in tfgw_route_bytes_total by direction', async () => {
    const routeId = `tcp:alpha.${ZONE}`;
    const before = await scrape();
    const inBefore = value(before.get('tfgw_route_bytes_total'), { route: routeId, direction: 'in' });
    const payload = patternChunk(200 * 1024, 7);
    const sock = net.connect(tcpPort, '127.0.0.1');
    await once(sock, 'connect');
    let received = 0;
    const done = new Promise<void>((resolve) => {
      sock.on('data', (c: Buffer) => {
        received += c.length;
        if (received >= payload.length) resolve();
      });
    });
    sock.write(payload);
    await done;
    sock.end();
    await once(sock, 'close');

    const families = await until('the stream bytes in the metrics', async () => {
      const f = await scrape();
      return value(f.get('tfgw_route_bytes_total'), { route: routeId, direction: 'in' }) - inBefore >= payload.length ? f : undefined;
    });
    const bytes = families.get('tfgw_route_bytes_total')!;
    expect(bytes.type).toBe('COUNTER');
    expect(value(bytes, { route: routeId, direction: 'out' })).toBeGreaterThanOrEqual(payload.length);
    expect(value(families.get('tfgw_streams_total'), { protocol: 'tcp' })).toBeGreaterThanOrEqual(1);
    expect(value(families.get('tfgw_route_visitors_total'), { route: routeId })).toBeGreaterThanOrEqual(1);
  });

  it('counts a refused visitor in tfgw_hook_rejections_total (TCP and HTTP)', async () => {
    const before = value((await scrape()).get('tfgw_hook_rejections_total'), { hook: 'visitor', code: 'TFGW_ERR_VISITOR_REJECTED' });
    const sock = net.connect({ port: tcpPort, host: '127.0.0.1', localAddress: '127.0.0.2' });
    sock.on('error', () => undefined);
    const got: Buffer[] = [];
    sock.on('data', (c: Buffer) => got.push(c));
    sock.write('never echoed');
    await once(sock, 'close');
    expect(Buffer.concat(got).toString()).not.toContain('never echoed');
    const http = await curlIngress(gw.http, `www.alpha.${ZONE}`, '/', ['--interface', '127.0.0.2']);
    expect(http.status).toBe(403);
    const families = await until('two visitor rejections', async () => {
      const f = await scrape();
      return value(f.get('tfgw_hook_rejections_total'), { hook: 'visitor', code: 'TFGW_ERR_VISITOR_REJECTED' }) - before >= 2 ? f : undefined;
    });
    expect(families.get('tfgw_hook_rejections_total')!.type).toBe('COUNTER');
  });

  it('counts a failed handshake in tfgw_handshake_failures_total by reason', async () => {
    const bad = runCli(['agent', '--server', gw.server, '--token', 'not-a-token', '--name', 'mallory', '--tcp', `127.0.0.1:${echo.port}`]);
    const [code] = (await once(bad.child, 'exit')) as [number];
    expect(code).toBe(1);
    const families = await until('the handshake failure', async () => {
      const f = await scrape();
      return value(f.get('tfgw_handshake_failures_total'), { reason: 'TFGW_ERR_AUTH' }) >= 1 ? f : undefined;
    });
    expect(families.get('tfgw_handshake_failures_total')!.type).toBe('COUNTER');
    expect(value(families.get('tfgw_hook_rejections_total'), { hook: 'authenticate', code: 'TFGW_ERR_AUTH' })).toBeGreaterThanOrEqual(1);
  });

  it('exposes sessions, streams, routes, RTT, HTTP requests, DNS queries and event-loop lag', async () => {
    expect((await curlIngress(gw.http, `www.alpha.${ZONE}`, '/m')).status).toBe(200);
    expect((await dig(gw.dns!, `alpha.${ZONE}`, 'A')).answers).toEqual(['127.0.0.1']);
    const f = await until('an RTT sample and the HTTP request', async () => {
      const x = await scrape();
      const rtt = x.get('tfgw_session_rtt_seconds')?.metrics[0];
      return Number(rtt?.count ?? 0) >= 1 && value(x.get('tfgw_http_requests_total'), { status: '2xx' }) >= 1 ? x : undefined;
    });
    expect(value(f.get('tfgw_sessions'), { role: 'agent' })).toBe(1);
    expect(value(f.get('tfgw_sessions'), { role: 'client' })).toBe(0);
    expect(f.get('tfgw_sessions')!.type).toBe('GAUGE');
    expect(Number(f.get('tfgw_streams')!.metrics[0].value)).toBeGreaterThanOrEqual(1);
    expect(value(f.get('tfgw_routes'), { protocol: 'tcp', online: 'true', enabled: 'true' })).toBe(1);
    expect(value(f.get('tfgw_visitors'), { route: `tcp:alpha.${ZONE}` })).toBe(0);
    expect(f.get('tfgw_session_rtt_seconds')!.type).toBe('HISTOGRAM');
    expect(f.get('tfgw_http_request_duration_seconds')!.type).toBe('HISTOGRAM');
    expect(f.get('tfgw_dns_queries_total')!.type).toBe('COUNTER');
    expect(f.get('tfgw_nodejs_eventloop_lag_seconds')!.type).toBe('GAUGE');
    expect(Number(f.get('tfgw_nodejs_eventloop_lag_seconds')!.metrics[0].value)).toBeGreaterThanOrEqual(0);
    expect(value(f.get('tfgw_reservations'), { type: 'name' })).toBe(0);
    // Every family has help text and a tfgw_ prefix.
    for (const fam of f.values()) {
      expect(fam.name.startsWith('tfgw_')).toBe(true);
      expect(fam.help.length).toBeGreaterThan(0);
    }
  });

  it('is scrapable by curl without a token', async () => {
    const r = await run('curl', ['-sS', '-f', `http://127.0.0.1:${gw.admin}/metrics`]);
    expect(r.code).toBe(0);
    expect(parsePrometheus(r.stdout).some((fam) => fam.name === 'tfgw_route_bytes_total')).toBe(true);
  });
});
