import os from 'node:os';
import { ErrorCodes, TfgwError } from '@tfgw/core';

/**
 * The one module that touches the QUIC library: the native (Rust quinn, napi-rs) layer of
 * `@chainsafe/libp2p-quic`, loaded from its per-platform package. Its API is internal and
 * untyped upstream, so the exact version is pinned ({@link NATIVE_VERSION}) and every
 * member used is typed here. Nothing else in this package imports the library.
 */

/** Version of the `@chainsafe/libp2p-quic-<platform>` packages this module is written against. */
export const NATIVE_VERSION = '2.1.1';

/** Settings of one QUIC endpoint (its keys are the library's). */
export interface NativeConfigInit {
  /** libp2p private key, protobuf encoded (Ed25519). */
  privateKeyProto: Uint8Array;
  /** Ignored by the library (the handshake is bounded by the idle timeout); we time it ourselves. */
  handshakeTimeout: number;
  /** Idle timeout in ms; the smaller of both peers' values applies. */
  maxIdleTimeout: number;
  /** Keep-alive interval in ms. */
  keepAliveInterval: number;
  /** Concurrent bidirectional streams the peer may open. */
  maxConcurrentStreamLimit: number;
  /** Per-stream receive window in bytes. */
  maxStreamData: number;
  /** Per-connection receive window in bytes. */
  maxConnectionData: number;
  /** UDP socket receive buffer (clamped by the OS). */
  receiveBufferSize: number;
  /** UDP socket send buffer (clamped by the OS). */
  sendBufferSize: number;
}

/** An opaque, validated endpoint configuration. */
export interface NativeConfig {
  /** Brand: only {@link NativeBinding.createConfig} makes these. */
  readonly __nativeConfig: true;
}

/** One bidirectional QUIC stream. */
export interface NativeStream {
  /** Stream index within its (initiator, bidi) space, as a decimal string. */
  id(): string;
  /** Up to `max` bytes; `null` once the peer finished (FIN). Rejects on reset / connection loss. */
  read(max: number): Promise<Uint8Array | null>;
  /** Resolves once all of `data` is accepted into the local send buffer (flow control applies). */
  write(data: Uint8Array): Promise<void>;
  /** Send FIN after buffered data. */
  finishWrite(): void;
  /** Abort our sending side (RESET_STREAM, code 0). */
  resetWrite(): void;
  /** Ask the peer to stop sending (STOP_SENDING, code 0). */
  stopRead(): void;
}

/** One QUIC connection. */
export interface NativeConnection {
  /** Next stream the peer opens (visible once its first frame arrives). Rejects when the connection ends. */
  inboundStream(): Promise<NativeStream>;
  /** Open a stream; waits while the peer's concurrent-stream limit is reached. */
  outboundStream(): Promise<NativeStream>;
  /** Close now (CONNECTION_CLOSE, application code 0). */
  abort(): void;
  /** Smoothed RTT in whole milliseconds. */
  rtt(): number;
  /** `/ip4/IP/udp/PORT/quic-v1/p2p/PEER_ID` of the peer; the peer id is authenticated by TLS. */
  remoteMultiaddr(): string;
}

/** A listening endpoint. */
export interface NativeServer {
  /** Bound UDP port. */
  port(): number;
  /** Next accepted (handshaken) connection. Rejects once aborted. */
  inboundConnection(): Promise<NativeConnection>;
  /** Close every connection and unbind the socket. */
  abort(): Promise<void>;
}

/** A dialing endpoint (its own UDP socket on an ephemeral port). */
export interface NativeClient {
  /** Connect and finish the handshake. */
  outboundConnection(ip: string, port: number): Promise<NativeConnection>;
  /** Close the endpoint and its connections. */
  abort(): void;
}

/** The typed surface of the library. */
export interface NativeBinding {
  /** Worker threads of the library's runtime in this process (fixed when it loaded). */
  readonly threads: number;
  /** Validate settings and build TLS configs from the identity. */
  createConfig(init: NativeConfigInit): NativeConfig;
  /** Bind a UDP socket and accept connections. */
  createServer(config: NativeConfig, ip: string, port: number): NativeServer;
  /** Bind an ephemeral UDP socket of the family for dialing. */
  createClient(config: NativeConfig, family: 4 | 6): NativeClient;
}

/** How a rejected native call ended, decided from the library's error text. */
export type NativeFailure =
  /** The peer reset its sending side (RESET_STREAM). */
  | 'stream-reset'
  /** The peer asked us to stop sending (STOP_SENDING). */
  | 'stream-stopped'
  /** No packet from the peer within the idle timeout. */
  | 'timeout'
  /** The peer closed the connection on purpose. */
  | 'peer-closed'
  /** We closed the connection / endpoint. */
  | 'local-closed'
  /** The connection is gone (reason reported elsewhere). */
  | 'connection-lost'
  /** The peer answered with a stateless reset: it has no state for this connection. */
  | 'stateless-reset'
  /** Anything else (handshake failure, stateless reset, ...). */
  | 'other';

/**
 * Classify a rejection of the native layer. The library turns every quinn error into a
 * plain `Error` whose text is quinn's `Display` (codes are lost: resets arrive as "error 0"),
 * so the text of the pinned version is what we have.
 */
export function classifyNativeError(err: unknown): NativeFailure {
  // Not `instanceof Error`: errors made by the addon may come from another realm (vm, jest).
  const m = (err as { message?: unknown } | null)?.message;
  const msg = typeof m === 'string' ? m : String(err);
  if (msg.startsWith('stream reset by peer')) return 'stream-reset';
  if (msg.startsWith('sending stopped by peer')) return 'stream-stopped';
  if (msg === 'timed out') return 'timeout';
  if (msg.startsWith('closed by peer')) return 'peer-closed';
  if (msg === 'closed' || msg === 'closed stream' || msg === 'server closed') return 'local-closed';
  if (msg === 'connection lost') return 'connection-lost';
  if (msg === 'reset by peer') return 'stateless-reset';
  return 'other';
}

/** The platform package name for this process, e.g. `@chainsafe/libp2p-quic-linux-x64-gnu`. */
export function nativePackageName(platform: string = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') return `@chainsafe/libp2p-quic-linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `@chainsafe/libp2p-quic-win32-${arch}-msvc`;
  return `@chainsafe/libp2p-quic-${platform}-${arch}`;
}

function isMusl(): boolean {
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

/** Raw, untyped exports of the `.node` module. */
interface RawModule {
  QuinnConfig: new (init: NativeConfigInit) => object;
  Server: new (config: object, ip: string, port: number) => NativeServer;
  Client: new (config: object, family: number) => NativeClient;
  SocketFamily: { Ipv4: number; Ipv6: number };
}

let cached: NativeBinding | undefined;

/** The environment variable the library's runtime (tokio) reads its worker-thread count from. */
export const THREADS_ENV = 'TOKIO_WORKER_THREADS';

/**
 * Worker threads of the library's runtime when neither the `threads` option nor
 * TOKIO_WORKER_THREADS says: half the cores, at least one. tokio's own default is one per
 * core, which on 2 cores left the tunnel over quic at 0.57x of the library's raw throughput
 * (1 stream) and 0.41x (16 streams): the runtime's threads, Node's main thread and the
 * services it carries all compete for the same cores. With one thread: 0.68x and 0.80x
 * (`npm run bench -- quic`, transports/quic/README.md).
 */
export function defaultThreads(cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

/**
 * Load the native layer once. The library starts its runtime when it loads, so the thread
 * count is decided then: `threads` if given, else TOKIO_WORKER_THREADS if set, else
 * {@link defaultThreads}. The variable is set only while loading, so child processes do not
 * inherit it. Throws TFGW_ERR_UNKNOWN_TRANSPORT, naming the package to install, when this
 * platform has no prebuilt package (or it fails to load), and TFGW_ERR_CONFIG for a bad
 * TOKIO_WORKER_THREADS or a `threads` other than the one the runtime already runs.
 */
export function loadNative(threads?: number): NativeBinding {
  if (cached) {
    if (threads !== undefined && threads !== cached.threads) {
      throw new TfgwError(
        ErrorCodes.CONFIG,
        `threads: the QUIC runtime of this process already runs ${cached.threads} threads (the first quic transport to start decides); got ${threads}`,
        { details: { path: 'threads' } },
      );
    }
    return cached;
  }
  const fromEnv = process.env[THREADS_ENV];
  if (threads === undefined && fromEnv !== undefined && !/^[1-9][0-9]{0,3}$/.test(fromEnv)) {
    throw new TfgwError(ErrorCodes.CONFIG, `${THREADS_ENV}: expected a whole number from 1 to 9999, got ${JSON.stringify(fromEnv)}`, { details: { path: THREADS_ENV } });
  }
  const count = threads ?? (fromEnv !== undefined ? Number(fromEnv) : defaultThreads());
  const pkg = nativePackageName();
  let raw: RawModule;
  process.env[THREADS_ENV] = String(count);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    raw = require(pkg) as RawModule;
  } catch (err) {
    throw new TfgwError(
      ErrorCodes.UNKNOWN_TRANSPORT,
      `quic:// needs the native package ${pkg}@${NATIVE_VERSION} (an optional dependency of @tfgw/transport-quic), which could not be loaded on ${process.platform}-${process.arch}: ${(err as Error).message}`,
      { cause: err, details: { package: pkg, version: NATIVE_VERSION } },
    );
  } finally {
    if (fromEnv === undefined) delete process.env[THREADS_ENV];
    else process.env[THREADS_ENV] = fromEnv;
  }
  if (typeof raw.QuinnConfig !== 'function' || typeof raw.Server !== 'function' || typeof raw.Client !== 'function') {
    throw new TfgwError(ErrorCodes.UNKNOWN_TRANSPORT, `${pkg} does not have the API of version ${NATIVE_VERSION}`, { details: { package: pkg, version: NATIVE_VERSION } });
  }
  cached = {
    threads: count,
    createConfig: (init) => new raw.QuinnConfig(init) as unknown as NativeConfig,
    createServer: (config, ip, port) => new raw.Server(config, ip, port),
    createClient: (config, family) => new raw.Client(config, family === 6 ? raw.SocketFamily.Ipv6 : raw.SocketFamily.Ipv4),
  };
  return cached;
}
