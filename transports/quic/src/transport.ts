import dns from 'node:dns/promises';
import net from 'node:net';
import {
  ErrorCodes,
  TfgwError,
  type DialOptions,
  type ListenOptions,
  type Transport,
  type TransportConnection,
  type TransportListener,
} from '@tfgw/core';
import { fingerprintOfMultiaddr, parseFingerprint } from './fingerprint';
import { generateIdentity, loadOrCreateIdentity, type QuicIdentity } from './identity';
import { ServerEndpoint } from './endpoint';
import { QuicListener } from './listener';
import { classifyNativeError, loadNative, type NativeConfig, type NativeConfigInit, type NativeConnection } from './native';
import { maxStreamsFor, resolveQuicOptions, type QuicOptions, type ResolvedQuicOptions } from './options';
import { QuicSession } from './session';

/** Port used when a `quic://` URL has none. */
export const DEFAULT_QUIC_PORT = 7443;

/** Dialer configs kept per transport, so a dial does not build a new certificate each time. */
const DIAL_CONFIG_CACHE = 8;

/**
 * `quic://host:port` — QUIC over UDP with native streams: each connection is delivered as a
 * ready {@link QuicSession} (`nativeStreams: true`, no yamux on top).
 *
 * Trust: a listener presents its Ed25519 identity; its URL is `quic://host:port#FINGERPRINT`.
 * A dialer must pin that fingerprint (URL fragment or `fingerprint` option) unless
 * `insecure: true`; any other identity fails with TFGW_ERR_TRUST.
 */
export class QuicTransport implements Transport {
  /** Transport name. */
  readonly name = 'quic';
  /** URL schemes served. */
  readonly schemes = ['quic'] as const;
  /** Connections come with their own streams. */
  readonly nativeStreams = true;
  private readonly defaults: ResolvedQuicOptions;
  private identity?: QuicIdentity;
  private dialIdentity?: QuicIdentity;
  /** Dialer endpoint configs (certificate of our throwaway identity) by settings. */
  private readonly dialConfigs = new Map<string, NativeConfig>();
  /** Bound server sockets by `ip:port`, kept while sessions of a closed listener run. */
  private readonly endpoints = new Map<string, ServerEndpoint>();

  /** `options` are the defaults every listen / dial starts from (validated here). */
  constructor(options: QuicOptions = {}) {
    this.defaults = resolveQuicOptions(options as Record<string, unknown>);
  }

  /**
   * Set the identity listeners present (the plugin loads the persistent one at start).
   * Without it, `listen` uses `dataDir/quic-identity.key` when a `dataDir` option is given,
   * else a fresh in-memory identity.
   */
  useIdentity(identity: QuicIdentity): void {
    this.identity = identity;
  }

  /**
   * Bind a UDP socket and accept QUIC connections; `address.url` carries our fingerprint.
   * If a closed listener of this transport still holds the address for its running
   * sessions, the new listener takes that socket over (same identity and settings only).
   */
  async listen(opts: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener> {
    const o = resolveQuicOptions(opts.options, this.defaults);
    const identity = this.identity ?? (o.dataDir ? (await loadOrCreateIdentity(o.dataDir)).identity : generateIdentity());
    const { host, port } = hostPortOf(opts.url);
    const { ip } = await resolveHost(host);
    const settingsKey = JSON.stringify([identity.fingerprint, o]);
    let endpoint = port === 0 ? undefined : this.endpoints.get(endpointKey(ip, port));
    if (endpoint && (endpoint.attached || endpoint.settingsKey !== settingsKey)) {
      throw new TfgwError(
        ErrorCodes.PORT_UNAVAILABLE,
        `quic: udp ${formatHost(ip)}:${port} is in use by ${endpoint.attached ? 'another listener' : 'the sessions of a closed listener with other settings'}`,
        { details: { host: ip, port } },
      );
    }
    if (!endpoint) {
      const native = loadNative(this.defaults.threads);
      const config = native.createConfig(nativeConfig(o, identity, 'listen'));
      let server;
      try {
        server = native.createServer(config, ip, port);
      } catch (err) {
        throw new TfgwError(ErrorCodes.PORT_UNAVAILABLE, `quic: cannot listen on udp ${formatHost(ip)}:${port}: ${(err as Error).message}`, {
          cause: err,
          details: { host: ip, port },
        });
      }
      const key = endpointKey(ip, server.port());
      endpoint = new ServerEndpoint(server, settingsKey, () => this.endpoints.delete(key));
      this.endpoints.set(key, endpoint);
    }
    const bound = endpoint.server.port();
    const address = { host, port: bound, url: `quic://${formatHost(host)}:${bound}#${identity.fingerprint}` };
    return new QuicListener(address, endpoint, {
      deliver: onConnection,
      accept: (connection, onClosed) => {
        const conn = describe(connection);
        const session = new QuicSession({
          connection,
          role: 'server',
          remoteAddress: conn.remoteAddress,
          idleTimeoutMs: o.idleTimeoutMs,
          pendingOpens: o.pendingOpens,
          openTimeoutMs: o.openTimeoutMs,
          onClosed,
        });
        return { session, conn: { info: { remoteAddress: conn.remoteAddress, transport: this.name, peerFingerprint: conn.fingerprint }, session } };
      },
    });
  }

  /**
   * Connect, check the listener's identity against the pinned fingerprint, and return the
   * session. Throws TFGW_ERR_CONFIG (no fingerprint and not `insecure`), TFGW_ERR_TRUST
   * (another identity), TFGW_ERR_TIMEOUT (no handshake within `handshakeTimeoutMs`), or the
   * signal's reason when aborted.
   */
  async dial(opts: DialOptions): Promise<TransportConnection> {
    const o = resolveQuicOptions(opts.options, this.defaults);
    const fragment = opts.url.hash.length > 1 ? decodeURIComponent(opts.url.hash.slice(1)) : undefined;
    const pinned = fragment !== undefined ? parseFingerprint(fragment, 'server URL fragment') : o.fingerprint;
    const { host, port } = hostPortOf(opts.url);
    const target = `${formatHost(host)}:${port}`;
    if (!pinned && !o.insecure) {
      throw new TfgwError(
        ErrorCodes.CONFIG,
        `fingerprint: quic://${target} needs the gateway's QUIC fingerprint, as quic://${target}#FINGERPRINT or the "fingerprint" option (the gateway logs it as "quic identity" at start; "tfgw-quic-fingerprint DATA_DIR" prints it), or "insecure": true to skip the check`,
        { details: { path: 'fingerprint' } },
      );
    }
    opts.signal?.throwIfAborted();
    const { ip, family } = await resolveHost(host);
    const native = loadNative(this.defaults.threads);
    const client = native.createClient(this.dialConfig(o), family);
    let connection: NativeConnection;
    try {
      connection = await handshake(client.outboundConnection(ip, port), o.handshakeTimeoutMs, target, opts.signal);
    } catch (err) {
      client.abort();
      throw err;
    }
    const conn = describe(connection);
    if (pinned && conn.fingerprint !== pinned) {
      connection.abort();
      client.abort();
      throw new TfgwError(
        ErrorCodes.TRUST,
        `quic://${target} presented QUIC identity ${conn.fingerprint ?? '(none)'}, not the pinned ${pinned}; refusing to connect (if the gateway's key was replaced on purpose, pin the new fingerprint)`,
        { details: { expected: pinned, actual: conn.fingerprint, target } },
      );
    }
    const session = new QuicSession({
      connection,
      role: 'client',
      remoteAddress: conn.remoteAddress,
      idleTimeoutMs: o.idleTimeoutMs,
      pendingOpens: o.pendingOpens,
      openTimeoutMs: o.openTimeoutMs,
      onClosed: () => client.abort(),
    });
    return { info: { remoteAddress: conn.remoteAddress, transport: this.name, peerFingerprint: conn.fingerprint }, session };
  }

  /** The dialer config for these settings (one throwaway identity per transport). */
  private dialConfig(o: ResolvedQuicOptions): NativeConfig {
    const key = JSON.stringify(o);
    let config = this.dialConfigs.get(key);
    if (!config) {
      this.dialIdentity ??= generateIdentity();
      config = loadNative(this.defaults.threads).createConfig(nativeConfig(o, this.dialIdentity, 'dial'));
      if (this.dialConfigs.size >= DIAL_CONFIG_CACHE) this.dialConfigs.delete(this.dialConfigs.keys().next().value as string);
      this.dialConfigs.set(key, config);
    }
    return config;
  }
}

/**
 * The library's endpoint settings from our options, for a listener or a dialer. Exported so
 * the measuring scripts and the bench's raw QUIC worker run the library exactly as we do.
 */
export function nativeConfig(o: ResolvedQuicOptions, identity: QuicIdentity, side: 'listen' | 'dial'): NativeConfigInit {
  return {
    privateKeyProto: identity.privateKeyProto,
    handshakeTimeout: o.handshakeTimeoutMs,
    maxIdleTimeout: o.idleTimeoutMs,
    keepAliveInterval: o.keepaliveMs,
    maxConcurrentStreamLimit: maxStreamsFor(o, side),
    maxStreamData: o.streamWindow,
    maxConnectionData: o.connectionWindow,
    receiveBufferSize: o.socketBuffer,
    sendBufferSize: o.socketBuffer,
  };
}

/** Wait for the handshake, bounded by the timeout and the signal. */
async function handshake(pending: Promise<NativeConnection>, timeoutMs: number, target: string, signal?: AbortSignal): Promise<NativeConnection> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  if (signal?.aborted) pending.then((c) => c.abort(), () => undefined);
  signal?.throwIfAborted();
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TfgwError(ErrorCodes.TIMEOUT, `QUIC handshake with ${target} did not finish within ${timeoutMs} ms`, { details: { timeoutMs, target } })), timeoutMs);
    onAbort = () => reject(signal!.reason ?? new TfgwError(ErrorCodes.TIMEOUT, `QUIC dial to ${target} aborted`));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  let stopped = false;
  // The connection, if it still comes after a timeout, is closed.
  pending.then((c) => stopped && c.abort(), () => undefined);
  try {
    return await Promise.race([
      pending.catch((err) => {
        throw classifyNativeError(err) === 'timeout'
          ? new TfgwError(ErrorCodes.TIMEOUT, `QUIC handshake with ${target} timed out`, { cause: err, details: { target } })
          : new TfgwError(ErrorCodes.SESSION_CLOSED, `QUIC handshake with ${target} failed: ${(err as Error).message}`, { cause: err, details: { target } });
      }),
      stop,
    ]);
  } catch (err) {
    stopped = true;
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Peer address and fingerprint of a connection. */
function describe(connection: NativeConnection): { remoteAddress: string; fingerprint?: string } {
  const ma = connection.remoteMultiaddr();
  const m = /^\/ip([46])\/([^/]+)\/udp\/(\d+)\//.exec(ma);
  const remoteAddress = m ? `${m[1] === '6' ? `[${m[2]}]` : m[2]}:${m[3]}` : ma;
  return { remoteAddress, fingerprint: fingerprintOfMultiaddr(ma) };
}

/** Host (brackets stripped) and port of a quic:// URL. */
function hostPortOf(url: URL): { host: string; port: number } {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new TfgwError(ErrorCodes.CONFIG, `server: expected quic://host:port, got "${url.href}"`, { details: { path: 'server' } });
  return { host, port: url.port === '' ? DEFAULT_QUIC_PORT : Number(url.port) };
}

/** An IP literal for the library, resolving names. */
async function resolveHost(host: string): Promise<{ ip: string; family: 4 | 6 }> {
  const literal = net.isIP(host);
  if (literal) return { ip: host, family: literal as 4 | 6 };
  const { address, family } = await dns.lookup(host);
  return { ip: address, family: family === 6 ? 6 : 4 };
}

function endpointKey(ip: string, port: number): string {
  return `${formatHost(ip)}:${port}`;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
