import type { MuxedSession } from './muxer';
import type { Principal } from './auth';

/** A live peer session on the gateway (an agent or a client). */
export interface SessionInfo {
  /** Random id. */
  readonly id: string;
  /** Role of the peer. */
  readonly role: 'agent' | 'client';
  /** Agent name (agents only). */
  readonly name?: string;
  /** Transport it came over. */
  readonly transport: string;
  /** Remote address `ip:port`. */
  readonly remoteAddress: string;
  /** Who authenticated. */
  readonly principal: Principal;
  /** Epoch ms it was established. */
  readonly since: number;
  /** The multiplexed session (stats, ping, close). */
  readonly session: MuxedSession;
}

/** Facts passed to `sessionClose`. */
export interface SessionCloseInfo {
  /** Payload bytes received over the session's life. */
  bytesIn: number;
  /** Payload bytes sent. */
  bytesOut: number;
  /** Why it ended: an error code, `goaway`, `closed`. */
  reason: string;
}

/** The header at the start of every data stream (see docs/protocol.md). */
export interface StreamHeader {
  /** Protocol key: decides which `hooks.stream` handler serves it. */
  protocol: string;
  /** Service name on the agent (visitor streams, client streams to a service). */
  service?: string;
  /** Agent to reach (client -> gateway streams only). */
  agent?: string;
  /** `host:port` the client wants the agent to dial (must be on the agent's allowlist). */
  target?: string;
  /** Visitor `ip:port`, for logs and PROXY protocol. */
  visitor?: string;
  /** Host / SNI the visitor asked for. */
  hostname?: string;
}

/** Per-stream byte counts, passed to `streamClose`. */
export interface StreamStats {
  /** The route, when the stream served a public visitor. */
  routeId?: string;
  /** Protocol key. */
  protocol: string;
  /** Bytes toward the service. */
  bytesIn: number;
  /** Bytes from the service. */
  bytesOut: number;
}
