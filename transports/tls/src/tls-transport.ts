import net from 'node:net';
import tls from 'node:tls';
import {
  TCP_KEEPALIVE_DELAY_MS,
  dialTcp,
  endpointOfUrl,
  formatEndpoint,
  listenServer,
  readDialOptions,
  readTlsOptions,
  remainingMs,
  resolveTlsServer,
  secureClient,
  silentLogger,
  type DialOptions,
  type ListenOptions,
  type Logger,
  type Transport,
  type TransportConnection,
  type TransportListener,
} from '@tfgw/core';

/** Default data folder for the self-signed identity, relative to `baseDir`. */
export const DEFAULT_DATA_DIR = '.tfgw';

/** What a {@link TlsTransport} needs from its surroundings. */
export interface TlsTransportContext {
  /** Logger: the served certificate's fingerprint, handshake failures. @default silent */
  log?: Logger;
  /** Folder relative paths (cert, key, ca, dataDir) resolve from. @default process.cwd() */
  baseDir?: string;
  /** Data folder for the self-signed identity; a function is read at listen time. @default '.tfgw' */
  dataDir?: string | (() => string | undefined);
}

/**
 * TLS over TCP (`tls://host:port`). The gateway serves its configured certificate or a
 * self-signed one it keeps in the data folder; dialers trust it by CA (with host-name
 * check) or by pinned SHA-256 fingerprint (`options.fingerprint` or the URL fragment
 * `tls://host:port#FINGERPRINT`). `ca` + `requestClientCert` on the gateway and
 * `cert`/`key` on the dialer give mutual TLS. Dials go through `options.proxy` when set.
 */
export class TlsTransport implements Transport {
  /** @inheritdoc */
  readonly name = 'tls';
  /** @inheritdoc */
  readonly schemes = ['tls'] as const;
  private readonly log: Logger;
  private readonly baseDir: string;
  private readonly dataDir: () => string;

  constructor(ctx: TlsTransportContext = {}) {
    this.log = ctx.log ?? silentLogger();
    this.baseDir = ctx.baseDir ?? process.cwd();
    const dataDir = ctx.dataDir;
    this.dataDir = () => (typeof dataDir === 'function' ? dataDir() : dataDir) ?? DEFAULT_DATA_DIR;
  }

  /** @inheritdoc */
  async listen(opts: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener> {
    const { host, port } = endpointOfUrl(opts.url);
    const tlsOpts = readTlsOptions(opts.options);
    const setup = await resolveTlsServer(tlsOpts, { baseDir: this.baseDir, dataDir: this.dataDir(), altNames: [host], log: this.log, scheme: 'tls' });
    const server = tls.createServer({
      ...setup.secure,
      allowHalfOpen: true,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS,
    } as tls.TlsOptions & net.ServerOpts);
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      const peer = socket.getPeerX509Certificate();
      onConnection({
        info: {
          remoteAddress: formatEndpoint(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0),
          transport: this.name,
          ...(peer ? { peerFingerprint: peer.fingerprint256 } : {}),
        },
        duplex: socket,
      });
    });
    server.on('tlsClientError', (err, socket) => {
      this.log.debug({ err, remoteAddress: socket.remoteAddress }, 'tls: handshake failed');
    });
    server.on('error', (err) => this.log.warn({ err, url: opts.url.href }, 'tls: accept failed'));
    // A self-signed certificate is only usable pinned, so the URL peers dial carries the pin.
    return listenServer(server, host, port, { scheme: 'tls', fragment: setup.selfSigned ? setup.fingerprint.replace(/:/g, '') : undefined });
  }

  /** @inheritdoc */
  async dial(opts: DialOptions): Promise<TransportConnection> {
    const startedAt = Date.now();
    const { host, port } = endpointOfUrl(opts.url);
    const tlsOpts = readTlsOptions(opts.options, opts.url.hash || undefined);
    const { proxy, connectTimeoutMs } = readDialOptions(opts.options);
    const raw = await dialTcp({ host, port, proxy, signal: opts.signal, timeoutMs: connectTimeoutMs });
    const { socket, fingerprint } = await secureClient(raw, {
      host,
      tls: tlsOpts,
      baseDir: this.baseDir,
      signal: opts.signal,
      timeoutMs: remainingMs(startedAt, connectTimeoutMs),
    });
    return { info: { remoteAddress: formatEndpoint(host, port), transport: this.name, peerFingerprint: fingerprint }, duplex: socket };
  }
}
