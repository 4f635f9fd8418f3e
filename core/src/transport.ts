import type { Duplex } from 'node:stream';
import type { MuxedSession } from './muxer';

/** Where a listener actually bound (port 0 resolved). */
export interface BoundAddress {
  /** Host or IP it listens on. */
  host: string;
  /** Actual port. */
  port: number;
  /** URL a peer dials to reach it, e.g. `ws://127.0.0.1:7080/_tfgw`. */
  url: string;
}

/** A running transport listener. */
export interface TransportListener {
  /** The bound address. */
  readonly address: BoundAddress;
  /** Stop accepting and free the port. Existing connections are not touched. */
  close(): Promise<void>;
}

/** Facts about one accepted or dialed connection, for logs and the `connection` hook. */
export interface ConnectionInfo {
  /** Remote address as `ip:port` (or the proxy-reported address). */
  remoteAddress: string;
  /** Transport name, e.g. "tcp". */
  transport: string;
  /** TLS peer certificate fingerprint, when there is one. */
  peerFingerprint?: string;
}

/**
 * A connection a transport delivers: either a byte pipe (`duplex`) that the core wraps in
 * its yamux session, or a ready `session` when the transport has native streams.
 */
export type TransportConnection =
  | { info: ConnectionInfo; duplex: Duplex; session?: undefined }
  | { info: ConnectionInfo; session: MuxedSession; duplex?: undefined };

/** Options for `listen`. */
export interface ListenOptions {
  /** URL to listen on: `tcp://127.0.0.1:7000`, `ws://127.0.0.1:7080/_tfgw`, ... */
  url: URL;
  /** Transport-specific options from config (certs, paths, ...). */
  options: Record<string, unknown>;
}

/** Options for `dial`. */
export interface DialOptions {
  /** URL of the gateway. Its fragment may carry a pinned fingerprint. */
  url: URL;
  /** Transport-specific options from config / CLI (ca, fingerprint, proxy, ...). */
  options: Record<string, unknown>;
  /** Aborts the dial. */
  signal?: AbortSignal;
}

/**
 * A way for two tfgw processes to reach each other. The core never names a transport:
 * it picks one by URL scheme and checks `nativeStreams` to decide whether to run yamux.
 */
export interface Transport {
  /** Unique name, e.g. "tcp". */
  readonly name: string;
  /** URL schemes it serves, without colon: `['ws', 'wss']`. */
  readonly schemes: readonly string[];
  /** True when connections come with their own streams (no yamux on top). @default false */
  readonly nativeStreams?: boolean;
  /** Start accepting connections. */
  listen(opts: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener>;
  /** Connect to a listener. */
  dial(opts: DialOptions): Promise<TransportConnection>;
}
