import type { NameClaim, Route, SessionInfo } from '@tfgw/core';

/** A session as `GET /api/v1/sessions` shows it. */
export interface SessionView {
  /** Session id (for `DELETE /api/v1/sessions/:id`). */
  id: string;
  /** `agent` or `client`. */
  role: 'agent' | 'client';
  /** Agent name (agents only). */
  agent?: string;
  /** Transport (`tcp`, `tls`, `ws`, `quic`, ...). */
  transport: string;
  /** Remote `ip:port`. */
  remoteAddress: string;
  /** Id of the token it authenticated with (never the token). */
  owner: string;
  /** Last measured round trip in ms, `null` before the first ping. */
  rttMs: number | null;
  /** Open streams, the control stream included. */
  streams: number;
  /** Payload bytes received from the peer. */
  bytesIn: number;
  /** Payload bytes sent to the peer. */
  bytesOut: number;
  /** Epoch ms the session was established. */
  since: number;
}

/** A route as `GET /api/v1/routes` shows it. */
export interface RouteView {
  /** Route id, `protocol:hostname` (URL-encode it in paths). */
  id: string;
  /** Agent that owns it. */
  agent: string;
  /** Service name (`''` = the agent's own name). */
  service: string;
  /** Protocol key. */
  protocol: string;
  /** Public hostname. */
  hostname: string;
  /** Public port for port-based protocols. */
  port: number | null;
  /** What the agent prints: URL or `host:port`. */
  url: string | null;
  /** The agent has a live session. */
  online: boolean;
  /** Not disabled by the operator. */
  enabled: boolean;
  /** Visitor connections open now. */
  visitors: number;
  /** Visitor connections since the route was added. */
  visitorsTotal: number;
  /** Bytes from visitors toward the service. */
  bytesIn: number;
  /** Bytes from the service to visitors. */
  bytesOut: number;
}

/** JSON view of a session. */
export function sessionView(s: SessionInfo): SessionView {
  const stats = s.session.stats;
  return {
    id: s.id,
    role: s.role,
    ...(s.name ? { agent: s.name } : {}),
    transport: s.transport,
    remoteAddress: s.remoteAddress,
    owner: s.principal.id,
    rttMs: stats.rttMs === undefined ? null : Math.round(stats.rttMs * 1000) / 1000,
    streams: stats.streams,
    bytesIn: stats.bytesIn,
    bytesOut: stats.bytesOut,
    since: s.since,
  };
}

/** JSON view of a route. */
export function routeView(r: Route): RouteView {
  return {
    id: r.id,
    agent: r.agent,
    service: r.service,
    protocol: r.protocol,
    hostname: r.hostname,
    port: r.port ?? null,
    url: r.url ?? null,
    online: r.online,
    enabled: r.enabled,
    visitors: r.stats.visitors,
    visitorsTotal: r.stats.visitorsTotal,
    bytesIn: r.stats.bytesIn,
    bytesOut: r.stats.bytesOut,
  };
}

/** JSON view of a name claim. */
export function nameView(c: NameClaim): NameClaim {
  return { fqdn: c.fqdn, zone: c.zone, owner: c.owner, kind: c.kind, ...(c.expiresAt !== undefined ? { expiresAt: c.expiresAt } : {}) };
}
