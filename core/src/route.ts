import type { MuxedStream } from './muxer';

/** A service an agent asks the gateway to expose (one entry of `register`). */
export interface ServiceSpec {
  /** Service name; `''` means the agent's name itself (`NAME.<zone>`). */
  name: string;
  /** Protocol plugin key: `tcp`, `udp`, `http`, `ws`, `tls`, or a third-party one. */
  protocol: string;
  /** Public port demanded (TCP/UDP): registration fails if it cannot be had. */
  port?: number;
  /** Public port wished for: the one assigned before a reconnect; another is given if it is taken. */
  portHint?: number;
  /** Protocol options (basic auth, header rewrite, websocket-only, PROXY protocol, ...). */
  options?: Record<string, unknown>;
}

/** Per-route counters, read by the admin API and metrics. */
export interface RouteStats {
  /** Visitor connections open now. */
  visitors: number;
  /** Visitor connections since the route was added. */
  visitorsTotal: number;
  /** Bytes from visitors to the service. */
  bytesIn: number;
  /** Bytes from the service to visitors. */
  bytesOut: number;
}

/** Who is on the other end of a public connection. */
export interface VisitorInfo {
  /** Visitor IP address. */
  address: string;
  /** Visitor source port. */
  port: number;
  /** Protocol of the public listener that accepted it. */
  protocol: string;
  /** The route it is headed for, when already known. */
  route?: Route;
  /** Host / SNI name the visitor asked for, when there is one. */
  hostname?: string;
}

/**
 * A service exposed on the gateway. Created by the core when an agent registers,
 * bound to a public address by the protocol plugin tapping `hooks.expose`.
 */
export interface Route {
  /** Stable id, `protocol:hostname[:port]`. */
  readonly id: string;
  /** Agent name that owns it. */
  readonly agent: string;
  /** Service name (`''` for the agent's own name). */
  readonly service: string;
  /** Protocol key. */
  readonly protocol: string;
  /** Fully-qualified public name: `SVC.NAME.<zone>` or `NAME.<zone>` (lower case, no trailing dot). */
  readonly hostname: string;
  /** Token id of the owner. */
  readonly owner: string;
  /** Options from the service spec. */
  readonly options: Record<string, unknown>;
  /** Public port, set by the protocol plugin for port-based protocols. */
  port?: number;
  /** Port the agent demanded (see ServiceSpec.port). */
  readonly requestedPort?: number;
  /** Port the agent wished for (see ServiceSpec.portHint). */
  readonly portHint?: number;
  /** What the agent prints: a URL or `host:port`. */
  url?: string;
  /** True while the owning agent has a live session; false during the reconnect grace period. */
  readonly online: boolean;
  /** False when an operator disabled it (visitors are refused). */
  enabled: boolean;
  /** Live counters. */
  readonly stats: RouteStats;
  /**
   * Open a data stream to the agent's service for one visitor. Resolves once the agent has
   * reached the service; rejects with TFGW_ERR_AGENT_OFFLINE, TFGW_ERR_SERVICE_UNREACHABLE, ...
   */
  connect(visitor: VisitorInfo, signal?: AbortSignal): Promise<MuxedStream>;
}

/** What a protocol plugin returns from `hooks.expose` once it bound a route. */
export interface Exposure {
  /** Public port it allocated, when port based. */
  port?: number;
  /** URL or `host:port` to show the user. */
  url: string;
  /** Give the public address back (close the listener, free the port). */
  release(): void | Promise<void>;
}
