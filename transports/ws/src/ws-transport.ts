import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { WebSocket } from 'ws';
import {
  ErrorCodes,
  TCP_KEEPALIVE_DELAY_MS,
  TfgwError,
  dialTcp,
  endpointOfUrl,
  formatEndpoint,
  listenServer,
  readBoolean,
  readDialOptions,
  readInteger,
  readStringMap,
  readTlsOptions,
  remainingMs,
  resolveTlsServer,
  secureClient,
  silentLogger,
  withDeadline,
  type DialOptions,
  type ListenOptions,
  type Logger,
  type Transport,
  type TransportConnection,
  type TransportListener,
} from '@tfgw/core';
import { DEFAULT_MAX_PAYLOAD, createWsUpgradeHandler, requestPath } from './upgrade-handler';
import { WebSocketDuplex } from './websocket-duplex';

/** Default data folder for the self-signed `wss` identity, relative to `baseDir`. */
export const DEFAULT_DATA_DIR = '.tfgw';

/** What a {@link WsTransport} needs from its surroundings. */
export interface WsTransportContext {
  /** Logger. @default silent */
  log?: Logger;
  /** Folder relative paths (cert, key, ca, dataDir) resolve from. @default process.cwd() */
  baseDir?: string;
  /** Data folder for the self-signed `wss` identity; a function is read at listen time. @default '.tfgw' */
  dataDir?: string | (() => string | undefined);
}

/**
 * WebSocket (`ws://host:port/path`, `wss://host:port/path`): gets through HTTP-only
 * firewalls and reverse proxies. The listener is a plain Node HTTP(S) server with the
 * upgrade handler of {@link createWsUpgradeHandler}; the dialer uses the `ws` client over
 * a socket from `dialTcp` (so `options.proxy` works), wrapped in TLS for `wss` with the
 * same trust options as the tls transport. Bytes travel as binary messages, uncompressed.
 */
export class WsTransport implements Transport {
  /** @inheritdoc */
  readonly name = 'ws';
  /** @inheritdoc */
  readonly schemes = ['ws', 'wss'] as const;
  private readonly log: Logger;
  private readonly baseDir: string;
  private readonly dataDir: () => string;

  constructor(ctx: WsTransportContext = {}) {
    this.log = ctx.log ?? silentLogger();
    this.baseDir = ctx.baseDir ?? process.cwd();
    const dataDir = ctx.dataDir;
    this.dataDir = () => (typeof dataDir === 'function' ? dataDir() : dataDir) ?? DEFAULT_DATA_DIR;
  }

  /** @inheritdoc */
  async listen(opts: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener> {
    const secure = opts.url.protocol === 'wss:';
    const scheme = secure ? 'wss' : 'ws';
    const { host, port } = endpointOfUrl(opts.url, secure ? 443 : 80);
    const path = opts.url.pathname || '/';
    const trustProxy = readBoolean(opts.options, 'trustProxy') ?? false;
    const maxPayload = readInteger(opts.options, 'maxPayload', 1024 * 1024, 1024 * 1024 * 1024) ?? DEFAULT_MAX_PAYLOAD;
    const serverOpts = { noDelay: true, keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS };
    let server: http.Server;
    let fragment: string | undefined;
    if (secure) {
      const setup = await resolveTlsServer(readTlsOptions(opts.options), { baseDir: this.baseDir, dataDir: this.dataDir(), altNames: [host], log: this.log, scheme });
      server = https.createServer({ ...setup.secure, ...serverOpts });
      if (setup.selfSigned) fragment = setup.fingerprint.replace(/:/g, '');
      server.on('tlsClientError', (err: Error) => this.log.debug({ err }, 'wss: handshake failed'));
    } else {
      server = http.createServer(serverOpts);
    }
    server.on('upgrade', createWsUpgradeHandler({ path, trustProxy, maxPayload, transportName: scheme, onConnection }));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const status = requestPath(req.url) === path ? 426 : 404;
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close', ...(status === 426 ? { upgrade: 'websocket' } : {}) });
      res.end(status === 426 ? 'this is a tfgw WebSocket endpoint\n' : 'not found\n');
    });
    server.on('error', (err) => this.log.warn({ err, url: opts.url.href }, `${scheme}: accept failed`));
    return listenServer(server, host, port, { scheme, path, fragment });
  }

  /** @inheritdoc */
  async dial(opts: DialOptions): Promise<TransportConnection> {
    const startedAt = Date.now();
    const secure = opts.url.protocol === 'wss:';
    const { host, port } = endpointOfUrl(opts.url, secure ? 443 : 80);
    const { proxy, connectTimeoutMs } = readDialOptions(opts.options);
    const headers = readStringMap(opts.options, 'headers');
    const maxPayload = readInteger(opts.options, 'maxPayload', 1024 * 1024, 1024 * 1024 * 1024) ?? DEFAULT_MAX_PAYLOAD;
    const tlsOpts = secure ? readTlsOptions(opts.options, opts.url.hash || undefined) : undefined;
    const raw = await dialTcp({ host, port, proxy, signal: opts.signal, timeoutMs: connectTimeoutMs });
    let stream: net.Socket = raw;
    let peerFingerprint: string | undefined;
    if (tlsOpts) {
      const secured = await secureClient(raw, { host, tls: tlsOpts, baseDir: this.baseDir, alpn: ['http/1.1'], signal: opts.signal, timeoutMs: remainingMs(startedAt, connectTimeoutMs) });
      stream = secured.socket;
      peerFingerprint = secured.fingerprint;
    }
    const target = new URL(opts.url.href);
    target.hash = '';
    const ws = new WebSocket(target, {
      createConnection: () => stream,
      perMessageDeflate: false,
      skipUTF8Validation: true,
      followRedirects: false,
      maxPayload,
      ...(headers ? { headers } : {}),
    });
    // A failed handshake can report more than once (response, then request error); none may crash us.
    ws.on('error', () => undefined);
    const opened = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (req, res) => {
        reject(
          new TfgwError(ErrorCodes.CONNECT, `${target.href} answered HTTP ${res.statusCode} instead of a WebSocket upgrade`, {
            details: { status: res.statusCode, url: target.href },
          }),
        );
        req.destroy();
      });
      ws.once('error', (err) => reject(new TfgwError(ErrorCodes.CONNECT, `WebSocket handshake with ${target.href} failed: ${err.message}`, { cause: err, details: { url: target.href } })));
    });
    await withDeadline(opened, {
      signal: opts.signal,
      timeoutMs: remainingMs(startedAt, connectTimeoutMs),
      what: `WebSocket handshake with ${target.href}`,
      cancel: () => {
        ws.terminate();
        stream.destroy();
      },
    }).catch((err) => {
      stream.destroy();
      throw err;
    });
    return {
      info: { remoteAddress: formatEndpoint(host, port), transport: secure ? 'wss' : 'ws', ...(peerFingerprint ? { peerFingerprint } : {}) },
      duplex: new WebSocketDuplex(ws),
    };
  }
}
