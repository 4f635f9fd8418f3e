import client from 'prom-client';
import type { TfgwNode } from '@tfgw/core';

/**
 * Prometheus metrics fed by hooks (never by reaching into plugins): sessions, streams,
 * visitors, bytes per route and direction, handshake failures by reason, hook rejections by
 * hook, DNS queries by type and rcode, session RTT, HTTP requests, plus Node's defaults
 * (event-loop lag among them). One registry per node.
 */
export class GatewayMetrics {
  /** The registry `/metrics` serves. */
  readonly registry = new client.Registry();
  private readonly rtt: client.Histogram;
  private rttTimer?: NodeJS.Timeout;

  constructor(private readonly node: TfgwNode) {
    const r = this.registry;
    client.collectDefaultMetrics({ register: r, prefix: 'tfgw_process_', eventLoopMonitoringPrecision: 20 });
    new client.Gauge({
      name: 'tfgw_sessions',
      help: 'Live peer sessions by role',
      labelNames: ['role'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of node.gateway?.sessions() ?? []) this.inc({ role: s.role });
      },
    });
    new client.Gauge({
      name: 'tfgw_streams',
      help: 'Open streams over all sessions',
      registers: [r],
      collect() {
        this.set((node.gateway?.sessions() ?? []).reduce((n, s) => n + s.session.stats.streams, 0));
      },
    });
    new client.Gauge({
      name: 'tfgw_visitors',
      help: 'Visitor connections open now, by route',
      labelNames: ['route'],
      registers: [r],
      collect() {
        this.reset();
        for (const route of node.gateway?.routes() ?? []) this.set({ route: route.id }, route.stats.visitors);
      },
    });
    new client.Gauge({
      name: 'tfgw_routes',
      help: 'Routes by protocol and state',
      labelNames: ['protocol', 'online'],
      registers: [r],
      collect() {
        this.reset();
        for (const route of node.gateway?.routes() ?? []) this.inc({ protocol: route.protocol, online: String(route.online) });
      },
    });
    const bytes = new client.Counter({ name: 'tfgw_route_bytes_total', help: 'Bytes through routes by direction (in = toward the service)', labelNames: ['route', 'direction'], registers: [r] });
    const streams = new client.Counter({ name: 'tfgw_streams_total', help: 'Finished visitor and client streams by protocol', labelNames: ['protocol'], registers: [r] });
    const handshakeFailures = new client.Counter({ name: 'tfgw_handshake_failures_total', help: 'Failed peer handshakes by reason (error code)', labelNames: ['reason'], registers: [r] });
    const rejections = new client.Counter({ name: 'tfgw_hook_rejections_total', help: 'Refusals by hook', labelNames: ['hook', 'code'], registers: [r] });
    const dns = new client.Counter({ name: 'tfgw_dns_queries_total', help: 'DNS queries by type, rcode and transport', labelNames: ['type', 'rcode', 'transport'], registers: [r] });
    const http = new client.Counter({ name: 'tfgw_http_requests_total', help: 'HTTP requests through the ingress by status class', labelNames: ['status'], registers: [r] });
    const sessionBytes = new client.Counter({ name: 'tfgw_session_bytes_total', help: 'Payload bytes of closed sessions by role and direction', labelNames: ['role', 'direction'], registers: [r] });
    this.rtt = new client.Histogram({ name: 'tfgw_session_rtt_seconds', help: 'Keepalive round-trip time of sessions', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [r] });

    const hooks = node.hooks;
    hooks.streamClose.tap('admin:metrics', (s) => {
      streams.inc({ protocol: s.protocol });
      if (s.routeId) {
        bytes.inc({ route: s.routeId, direction: 'in' }, s.bytesIn);
        bytes.inc({ route: s.routeId, direction: 'out' }, s.bytesOut);
      }
    });
    hooks.error.tap('admin:metrics', (err, ctx) => {
      if (ctx.source === 'handshake') handshakeFailures.inc({ reason: (err as { code?: string }).code ?? 'unknown' });
    });
    hooks.rejected.tap('admin:metrics', (hook, rej) => rejections.inc({ hook, code: rej.code }));
    hooks.dnsQuery.tap('admin:metrics', (q) => dns.inc({ type: q.type, rcode: q.rcode, transport: q.transport }));
    hooks.requestLog.tap('admin:metrics', (e) => http.inc({ status: `${Math.floor(e.status / 100)}xx` }));
    hooks.sessionClose.tap('admin:metrics', (s, info) => {
      sessionBytes.inc({ role: s.role, direction: 'in' }, info.bytesIn);
      sessionBytes.inc({ role: s.role, direction: 'out' }, info.bytesOut);
    });
  }

  /** Samples every session's RTT into the histogram periodically. */
  start(intervalMs = 5000): void {
    this.rttTimer = setInterval(() => {
      for (const s of this.node.gateway?.sessions() ?? []) {
        const ms = s.session.stats.rttMs;
        if (ms !== undefined) this.rtt.observe(ms / 1000);
      }
    }, intervalMs);
    this.rttTimer.unref();
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.rttTimer);
  }
}
