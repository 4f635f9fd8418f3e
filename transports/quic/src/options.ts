import { ErrorCodes, TfgwError, parseEndpoint } from '@tfgw/core';
import { parseFingerprint, type Fingerprint } from './fingerprint';

/** Options of the QUIC transport plugin, and per-dial/per-listen overrides. */
export interface QuicOptions {
  /** Gateway listen addresses, `"host:port"` (UDP). @default [] (dial only) */
  listen?: string | string[];
  /** Folder of the identity key `quic-identity.key`. @default node.config.dataDir, else '.tfgw' */
  dataDir?: string;
  /** Pinned gateway fingerprint when dialing (the URL fragment `#FP` wins). */
  fingerprint?: string;
  /** Dial without checking the gateway's identity. Encrypted but not authenticated. @default false */
  insecure?: boolean;
  /**
   * QUIC keep-alive interval in ms; must be below `idleTimeoutMs`. Short on purpose: with
   * 10 s, an agent noticed a SIGKILLed gateway only after 10.4 s in about half the runs on a loaded
   * machine although the gateway's idle timeout was 6 s; with 2 s, always within it. @default 2000
   */
  keepaliveMs?: number;
  /** A peer silent this long is dead; the session closes with TFGW_ERR_TIMEOUT. @default 30000 */
  idleTimeoutMs?: number;
  /** Time a dial may take to finish the QUIC handshake. @default 10000 */
  handshakeTimeoutMs?: number;
  /**
   * Streams the peer may have open at once on one connection; its further opens wait. quinn
   * allocates state for all of them when the connection starts (about 82 bytes each), so the
   * default depends on the side: a listener has a connection per agent or client, a dialer
   * has one connection that carries every visitor of its agent.
   * @default 1024 on a listener, 16384 on a dialer
   */
  maxStreams?: number;
  /**
   * Local opens waiting (for the peer's stream limit, or behind earlier opens: they are
   * serialised) before open() throws TFGW_ERR_PENDING_LIMIT. A waiting open costs a stream
   * object; each fails after `openTimeoutMs`. @default 4096
   */
  pendingOpens?: number;
  /** Time a local open may wait for the peer's stream limit before the stream fails with TFGW_ERR_STREAM_LIMIT. @default 10000 */
  openTimeoutMs?: number;
  /** Bytes the peer may send on one stream ahead of our reader. @default 4194304 */
  streamWindow?: number;
  /** Bytes the peer may send on all streams ahead of our readers. @default 16777216 */
  connectionWindow?: number;
  /** UDP socket send/receive buffer size request (the OS may clamp it). @default 2097152 */
  socketBuffer?: number;
  /**
   * Worker threads of the QUIC library's runtime. One runtime serves the whole process, so
   * the first quic transport to start decides; a later one asking for another count fails
   * with TFGW_ERR_CONFIG. Only the plugin's options set it, not a per-listen or per-dial one.
   * @default the environment's TOKIO_WORKER_THREADS, else half the cores (at least 1)
   */
  threads?: number;
}

/** {@link QuicOptions} after validation, with defaults filled in. */
export interface ResolvedQuicOptions {
  /** Listen addresses. */
  listen: Array<{ host: string; port: number }>;
  /** Data dir, if configured here. */
  dataDir?: string;
  /** Pinned fingerprint, normalised. */
  fingerprint?: Fingerprint;
  /** Skip identity verification. */
  insecure: boolean;
  /** Keep-alive interval. */
  keepaliveMs: number;
  /** Idle timeout. */
  idleTimeoutMs: number;
  /** Handshake timeout. */
  handshakeTimeoutMs: number;
  /** Peer's concurrent-stream limit, if set; else the side's default ({@link maxStreamsFor}). */
  maxStreams?: number;
  /** Pending-open limit. */
  pendingOpens: number;
  /** Longest wait of an open for the peer's stream limit. */
  openTimeoutMs: number;
  /** Stream receive window. */
  streamWindow: number;
  /** Connection receive window. */
  connectionWindow: number;
  /** Socket buffer request. */
  socketBuffer: number;
  /** Runtime threads, if set. */
  threads?: number;
}

/** Defaults of every numeric option. */
export const QUIC_DEFAULTS = {
  keepaliveMs: 2_000,
  idleTimeoutMs: 30_000,
  handshakeTimeoutMs: 10_000,
  /** `maxStreams` of a listener: per connection, and a gateway has many connections. */
  listenMaxStreams: 1024,
  /** `maxStreams` of a dialer: its one connection carries every visitor of an agent. */
  dialMaxStreams: 16384,
  pendingOpens: 4096,
  openTimeoutMs: 10_000,
  streamWindow: 4 * 1024 * 1024,
  connectionWindow: 16 * 1024 * 1024,
  socketBuffer: 2 * 1024 * 1024,
} as const;

const U32 = 0xffff_ffff;
/** Largest `maxStreams`: beyond it quinn's up-front per-connection state would exceed ~85 MB. */
export const MAX_STREAMS = 1 << 20;

/** Largest `threads`. */
export const MAX_THREADS = 1024;

/** Keys of {@link QUIC_DEFAULTS} that are options as they are. */
type NumericKey = Exclude<keyof typeof QUIC_DEFAULTS, 'listenMaxStreams' | 'dialMaxStreams'>;

/** The peer's concurrent-stream limit a listener or a dialer grants with these options. */
export function maxStreamsFor(o: ResolvedQuicOptions, side: 'listen' | 'dial'): number {
  return o.maxStreams ?? (side === 'listen' ? QUIC_DEFAULTS.listenMaxStreams : QUIC_DEFAULTS.dialMaxStreams);
}

/**
 * Validate options (unknown keys are ignored: config objects may carry keys of other
 * transports). Every problem is a TFGW_ERR_CONFIG whose `details.path` names the key.
 */
export function resolveQuicOptions(options: Record<string, unknown> = {}, base?: ResolvedQuicOptions): ResolvedQuicOptions {
  const o = options as QuicOptions & Record<string, unknown>;
  const num = <K extends NumericKey>(key: K, min: number, max = U32): number => {
    const v = o[key];
    if (v === undefined) return base ? base[key] : QUIC_DEFAULTS[key];
    return checkInt(key, v, min, max);
  };
  const str = (key: 'dataDir' | 'fingerprint'): string | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw configError(key, `expected a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  if (o.insecure !== undefined && typeof o.insecure !== 'boolean') throw configError('insecure', `expected true or false, got ${JSON.stringify(o.insecure)}`);
  const listenRaw = o.listen === undefined ? [] : Array.isArray(o.listen) ? o.listen : [o.listen];
  const listen = listenRaw.map((v, i) => parseEndpoint(v as string, Array.isArray(o.listen) ? `listen[${i}]` : 'listen'));
  const fp = str('fingerprint');
  const resolved: ResolvedQuicOptions = {
    listen: o.listen === undefined && base ? base.listen : listen,
    dataDir: str('dataDir') ?? base?.dataDir,
    fingerprint: fp !== undefined ? parseFingerprint(fp, 'fingerprint') : base?.fingerprint,
    insecure: (o.insecure as boolean | undefined) ?? base?.insecure ?? false,
    keepaliveMs: num('keepaliveMs', 1),
    idleTimeoutMs: num('idleTimeoutMs', 1),
    handshakeTimeoutMs: num('handshakeTimeoutMs', 1),
    maxStreams: o.maxStreams === undefined ? base?.maxStreams : checkInt('maxStreams', o.maxStreams, 1, MAX_STREAMS),
    pendingOpens: num('pendingOpens', 1),
    openTimeoutMs: num('openTimeoutMs', 1),
    streamWindow: num('streamWindow', 1024),
    connectionWindow: num('connectionWindow', 1024),
    socketBuffer: num('socketBuffer', 1024),
    threads: o.threads === undefined ? base?.threads : checkInt('threads', o.threads, 1, MAX_THREADS),
  };
  if (resolved.keepaliveMs >= resolved.idleTimeoutMs) {
    throw configError('keepaliveMs', `must be below idleTimeoutMs (${resolved.idleTimeoutMs}), got ${resolved.keepaliveMs}`);
  }
  return resolved;
}

function checkInt(key: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw configError(key, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function configError(path: string, what: string): TfgwError {
  return new TfgwError(ErrorCodes.CONFIG, `${path}: ${what}`, { details: { path } });
}
