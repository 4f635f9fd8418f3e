import type net from 'node:net';
import { ErrorCodes, TfgwError, formatEndpoint, type Endpoint, type Exposure, type Route } from '@tfgw/core';
import { listenTcp } from './listen-tcp';
import { peekClientHello } from './peek-client-hello';
import { serveVisitor, type VisitorContext } from './serve-visitor';
import { TlsAlert, tlsAlertRecord } from './tls-alert';
import { VisitorSet } from './visitor-set';

/** Bounds of the SNI port. */
export interface SniLimits {
  /** Time to receive the whole ClientHello. */
  helloTimeoutMs: number;
  /** Largest ClientHello message. */
  helloMaxBytes: number;
}

/** Alert for a refusal code: policy refusals say `access_denied`, the rest `internal_error`. */
function alertFor(code: string): number {
  return code === ErrorCodes.VISITOR_REJECTED || code === ErrorCodes.FORBIDDEN ? TlsAlert.accessDenied : TlsAlert.internalError;
}

/**
 * The shared TLS port: peeks each visitor's ClientHello, routes by its server name to a
 * `tls` route (`gateway.routeForHost(sni, ['tls'])`), replays the hello into the agent's
 * stream and pipes. TLS is not terminated. Unknown or missing names get a fatal
 * `unrecognized_name` alert and a clean close, with one log line.
 */
export class SniRouter {
  private server?: net.Server;
  private readonly visitors = new VisitorSet();
  private readonly byRoute = new Map<Route, VisitorSet>();
  private boundPort = 0;
  private closing?: Promise<void>;

  constructor(
    private readonly ctx: VisitorContext,
    private readonly endpoint: Endpoint,
    private readonly limits: SniLimits,
  ) {}

  /** The port it listens on (the configured one, or the one the OS chose for port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Bind the shared port. Throws TFGW_ERR_PORT_UNAVAILABLE with the cause. */
  async listen(): Promise<void> {
    try {
      this.server = await listenTcp(this.endpoint.host, this.endpoint.port, (s) => this.onConnection(s));
    } catch (err) {
      throw new TfgwError(ErrorCodes.PORT_UNAVAILABLE, `sni: cannot listen on ${formatEndpoint(this.endpoint.host, this.endpoint.port)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err, details: { path: 'sni' } });
    }
    this.boundPort = (this.server.address() as net.AddressInfo).port;
    this.ctx.log.info({ sni: formatEndpoint(this.endpoint.host, this.boundPort) }, 'tls by SNI listening');
  }

  /** The exposure of one `tls` route: its URL on the shared port; releasing ends its visitors. */
  expose(route: Route): Exposure {
    const url = `tls://${route.hostname}:${this.boundPort}`;
    return {
      url,
      release: () => {
        this.byRoute.get(route)?.destroyAll();
        this.byRoute.delete(route);
      },
    };
  }

  private onConnection(socket: net.Socket): void {
    this.visitors.add(socket);
    void this.route(socket);
  }

  private async route(socket: net.Socket): Promise<void> {
    const who = `${socket.remoteAddress}:${socket.remotePort}`;
    const log = this.ctx.log;
    const r = await peekClientHello(socket, { timeoutMs: this.limits.helloTimeoutMs, maxHelloBytes: this.limits.helloMaxBytes });
    switch (r.kind) {
      case 'closed':
        socket.destroy();
        return;
      case 'timeout':
        log.info({ code: ErrorCodes.TIMEOUT, visitor: who }, `tls visitor closed: no ClientHello within ${this.limits.helloTimeoutMs} ms`);
        socket.destroy();
        return;
      case 'not-tls':
        log.info({ code: ErrorCodes.BAD_MESSAGE, visitor: who }, `tls visitor closed: not TLS (${r.reason})`);
        this.turnAway(socket);
        return;
      case 'invalid':
        log.info({ code: ErrorCodes.BAD_MESSAGE, visitor: who }, `tls visitor closed: bad ClientHello (${r.reason})`);
        this.turnAway(socket, tlsAlertRecord(TlsAlert.decodeError, r.recordVersion));
        return;
      case 'hello':
        break;
    }
    const route = r.serverName === undefined ? undefined : this.ctx.gateway.routeForHost(r.serverName, ['tls']);
    if (!route) {
      const why = r.serverName === undefined ? 'the ClientHello has no server name' : `no tls service is named "${r.serverName}"`;
      log.info({ code: ErrorCodes.UNKNOWN_SERVICE, visitor: who, sni: r.serverName }, `tls visitor closed: ${why}`);
      this.turnAway(socket, tlsAlertRecord(TlsAlert.unrecognizedName, r.recordVersion));
      return;
    }
    let set = this.byRoute.get(route);
    if (!set) this.byRoute.set(route, (set = new VisitorSet()));
    set.add(socket);
    socket.once('close', () => {
      if (set.size === 0 && this.byRoute.get(route) === set) this.byRoute.delete(route);
    });
    await serveVisitor(this.ctx, socket, route, 'tls', r.serverName, (s, code) => this.turnAway(s, tlsAlertRecord(alertFor(code), r.recordVersion)));
  }

  /** Send `last` (an alert), FIN, and drop whatever the visitor still sends; bounded by the hello timeout. */
  private turnAway(socket: net.Socket, last?: Buffer): void {
    socket.setTimeout(this.limits.helloTimeoutMs, () => socket.destroy());
    socket.resume();
    if (last) socket.end(last);
    else socket.end();
  }

  /** Stop accepting visitors; those connected go on (the node is draining). */
  stopAccepting(): Promise<void> {
    const server = this.server;
    this.closing ??= server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    return this.closing;
  }

  /** Close the port and every visitor on it. */
  async close(): Promise<void> {
    const closed = this.stopAccepting();
    this.visitors.destroyAll();
    for (const s of this.byRoute.values()) s.destroyAll();
    this.byRoute.clear();
    await closed;
  }
}
