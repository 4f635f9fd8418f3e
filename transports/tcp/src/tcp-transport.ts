import net from 'node:net';
import {
  TCP_KEEPALIVE_DELAY_MS,
  dialTcp,
  endpointOfUrl,
  formatEndpoint,
  listenServer,
  readDialOptions,
  silentLogger,
  type DialOptions,
  type ListenOptions,
  type Logger,
  type Transport,
  type TransportConnection,
  type TransportListener,
} from '@tfgw/core';

/** What a {@link TcpTransport} needs from its surroundings. */
export interface TcpTransportContext {
  /** Logger for accept errors. @default silent */
  log?: Logger;
}

/**
 * Raw TCP (`tcp://host:port`): the cheapest byte pipe, for trusted networks or when TLS is
 * done elsewhere. Sockets are handed over as they are (Nagle off, keepalive on), so the
 * session multiplexer writes straight into the kernel.
 */
export class TcpTransport implements Transport {
  /** @inheritdoc */
  readonly name = 'tcp';
  /** @inheritdoc */
  readonly schemes = ['tcp'] as const;
  private readonly log: Logger;

  constructor(ctx: TcpTransportContext = {}) {
    this.log = ctx.log ?? silentLogger();
  }

  /** @inheritdoc */
  async listen(opts: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener> {
    const { host, port } = endpointOfUrl(opts.url);
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS });
    server.on('connection', (socket) => {
      onConnection({ info: { remoteAddress: formatEndpoint(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0), transport: this.name }, duplex: socket });
    });
    // Accept errors (EMFILE, ...) must not crash the process; the listener keeps going.
    server.on('error', (err) => this.log.warn({ err, url: opts.url.href }, 'tcp: accept failed'));
    return listenServer(server, host, port, { scheme: 'tcp' });
  }

  /** @inheritdoc */
  async dial(opts: DialOptions): Promise<TransportConnection> {
    const { host, port } = endpointOfUrl(opts.url);
    const { proxy, connectTimeoutMs } = readDialOptions(opts.options);
    const socket = await dialTcp({ host, port, proxy, signal: opts.signal, timeoutMs: connectTimeoutMs });
    return { info: { remoteAddress: formatEndpoint(host, port), transport: this.name }, duplex: socket };
  }
}
