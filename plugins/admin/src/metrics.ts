import client from 'prom-client';
import { asTfgwError, type SessionInfo, type TfgwNode } from '@tfgw/core';

/** Options of {@link GatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** How often every session's RTT is measured (a yamux ping) into the histogram, in ms. */
  rttSampleMs: number;
  /** Reservations by type, for `tfgw_reservations`. */
  reservations?: () => Array<{ type: string }>;
}

/** Longest a sampling ping may take before it counts as lost (not observed). */
const PING_TIMEOUT_MS = 5000;

/**
 * Prometheus metrics fed by hooks (never by reaching into other plugins): sessions, streams,
 * visitors, routes, bytes per route and direction, handshake failures by reason, hook
 * rejections by hook, DNS queries by type and rcode, HTTP requests by status class and
 * duration, session RTT, reservations, plus Node's process metrics (event-loop lag among
 * them) with the `tfgw_` prefix. One registry per node.
 *
 * The constructor only creates metrics and taps hooks (call it from `apply`); `start()`
 * begins the default collectors and the RTT sampler, `stop()` ends the sampler.
 */
export class GatewayMetrics {
  /** The registry `/metrics` serves. */
  readonly registry = new client.Registry();
  private readonly rtt: client.Histogram;
  private rttTimer?: NodeJS.Timeout;
  private defaultsStarted = false;
  private running = false;

  constructor(
    private readonly node: TfgwNode,
    private readonly opts: GatewayMetricsOptions,
  ) {
    const r = this.registry;
    const gw = () => node.gateway;
    new client.Gauge({
      name: 'tfgw_sessions',
      help: 'Live peer sessions by role (agent, client)',
      labelNames: ['role'],
      registers: [r],
      collect() {
        this.reset();
        this.set({ role: 'agent' }, 0);
        this.set({ role: 'client' }, 0);
        for (const s of gw()?.sessions() ?? []) this.inc({ role: s.role });
      },
    });
    new client.Gauge({
      name: 'tfgw_streams',
      help: 'Open streams over all peer sessions (control streams included)',
      registers: [r],
      collect() {
        this.set((gw()?.sessions() ?? []).reduce((n, s) => n + s.session.stats.streams, 0));
      },
    });
    new client.Gauge({
      name: 'tfgw_visitors',
      help: 'Visitor connections open now, by route',
      labelNames: ['route'],
      registers: [r],
      collect() {
        this.reset();
        for (const route of gw()?.routes() ?? []) this.set({ route: route.id }, route.stats.visitors);
      },
    });
    new client.Counter({
      name: 'tfgw_route_visitors_total',
      help: 'Visitor connections since the route was added, by route',
      labelNames: ['route'],
      registers: [r],
      collect() {
        this.reset();
        for (const route of gw()?.routes() ?? []) this.inc({ route: route.id }, route.stats.visitorsTotal);
      },
    });
    new client.Gauge({
      name: 'tfgw_routes',
      help: 'Routes by protocol, online state and enabled state',
      labelNames: ['protocol', 'online', 'enabled'],
      registers: [r],
      collect() {
        this.reset();
        for (const route of gw()?.routes() ?? []) this.inc({ protocol: route.protocol, online: String(route.online), enabled: String(route.enabled) });
      },
    });
    const reservations = opts.reservations;
    new client.Gauge({
      name: 'tfgw_reservations',
      help: 'Operator reservations by type (name, delegation, proxy)',
      labelNames: ['type'],
      registers: [r],
      collect() {
        this.reset();
        for (const t of ['name', 'delegation', 'proxy']) this.set({ type: t }, 0);
        for (const res of reservations?.() ?? []) this.inc({ type: res.type });
      },
    });
    const bytes = new client.Counter({ name: 'tfgw_route_bytes_total', help: 'Bytes through routes by direction (in = from visitors toward the service, out = back), counted when a stream ends', labelNames: ['route', 'direction'], registers: [r] });
    const streams = new client.Counter({ name: 'tfgw_streams_total', help: 'Finished visitor and client streams by protocol', labelNames: ['protocol'], registers: [r] });
    const handshakeFailures = new client.Counter({ name: 'tfgw_handshake_failures_total', help: 'Failed peer handshakes by reason (error code)', labelNames: ['reason'], registers: [r] });
    const rejections = new client.Counter({ name: 'tfgw_hook_rejections_total', help: 'Refusals by hook (connection, authenticate, register, visitor) and code', labelNames: ['hook', 'code'], registers: [r] });
    const dns = new client.Counter({ name: 'tfgw_dns_queries_total', help: 'DNS queries answered, by type, rcode and transport', labelNames: ['type', 'rcode', 'transport'], registers: [r] });
    const http = new client.Counter({ name: 'tfgw_http_requests_total', help: 'HTTP requests through the ingress by status class', labelNames: ['status'], registers: [r] });
    const httpDuration = new client.Histogram({ name: 'tfgw_http_request_duration_seconds', help: 'HTTP request duration through the ingress, to the end of the response', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [r] });
    const sessionsTotal = new client.Counter({ name: 'tfgw_sessions_total', help: 'Peer sessions opened, by role', labelNames: ['role'], registers: [r] });
    const sessionBytes = new client.Counter({ name: 'tfgw_session_bytes_total', help: 'Payload bytes of closed peer sessions by role and direction', labelNames: ['role', 'direction'], registers: [r] });
    const errors = new client.Counter({ name: 'tfgw_errors_total', help: 'Errors reported on hooks.error by source and code', labelNames: ['source', 'code'], registers: [r] });
    this.rtt = new client.Histogram({ name: 'tfgw_session_rtt_seconds', help: 'Round-trip time of peer sessions (a ping when a session opens, then every rttSampleMs)', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [r] });

    const hooks = node.hooks;
    const name = 'admin:metrics';
    hooks.streamClose.tap(name, (s) => {
      streams.inc({ protocol: s.protocol });
      if (s.routeId) {
        bytes.inc({ route: s.routeId, direction: 'in' }, s.bytesIn);
        bytes.inc({ route: s.routeId, direction: 'out' }, s.bytesOut);
      }
    });
    hooks.error.tap(name, (err, ctx) => {
      const code = asTfgwError(err, 'unknown').code;
      if (ctx.source === 'handshake') handshakeFailures.inc({ reason: code });
      errors.inc({ source: ctx.source, code });
    });
    hooks.rejected.tap(name, (hook, rej) => rejections.inc({ hook, code: rej.code }));
    hooks.dnsQuery.tap(name, (q) => dns.inc({ type: q.type, rcode: q.rcode, transport: q.transport }));
    hooks.requestLog.tap(name, (e) => {
      http.inc({ status: `${Math.floor(e.status / 100)}xx` });
      if (Number.isFinite(e.durationMs)) httpDuration.observe(e.durationMs / 1000);
    });
    hooks.sessionOpen.tap(name, (s) => {
      sessionsTotal.inc({ role: s.role });
      if (this.running) this.sample(s);
    });
    hooks.sessionClose.tap(name, (s, info) => {
      sessionBytes.inc({ role: s.role, direction: 'in' }, info.bytesIn);
      sessionBytes.inc({ role: s.role, direction: 'out' }, info.bytesOut);
    });
  }

  /** Starts Node's default collectors (once per registry) and the periodic RTT sampler. */
  start(): void {
    if (!this.defaultsStarted) {
      client.collectDefaultMetrics({ register: this.registry, prefix: 'tfgw_', eventLoopMonitoringPrecision: 20 });
      this.defaultsStarted = true;
    }
    this.running = true;
    this.rttTimer = setInterval(() => {
      for (const s of this.node.gateway?.sessions() ?? []) this.sample(s);
    }, this.opts.rttSampleMs);
    this.rttTimer.unref();
  }

  /** Measures one session's RTT into the histogram; a lost ping is not observed. */
  private sample(s: SessionInfo): void {
    if (s.session.closed) return;
    s.session.ping(PING_TIMEOUT_MS).then(
      (ms) => this.rtt.observe(ms / 1000),
      () => undefined,
    );
  }

  /** Stops the RTT sampler. */
  stop(): void {
    this.running = false;
    clearInterval(this.rttTimer);
    this.rttTimer = undefined;
  }

  /** The Prometheus text exposition and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
