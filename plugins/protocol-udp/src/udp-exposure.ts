import type dgram from 'node:dgram';
import { ErrorCodes, asTfgwError, formatEndpoint, type Exposure, type GatewayApi, type Logger, type Route, type VisitorInfo } from '@tfgw/core';
import { Association } from './association';
import { bindRoutePort } from './bind-udp';
import { serviceLimits, type ResolvedUdpOptions } from './options';

/** A refused association retries its stream this long after an agent / service failure. */
const RETRY_AFTER_FAILURE_MS = 1000;

/**
 * One UDP service's public port on the gateway: a socket, the table of associations (one
 * per visitor address, each a stream to the agent), and one sweeping interval that ends
 * idle associations. No timer and no allocation other than the frame per datagram.
 */
export class UdpExposure implements Exposure {
  readonly url: string;
  private readonly assocs = new Map<string, Association>();
  private readonly ending = new Set<Association>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly idleTimeoutMs: number;
  private readonly maxAssociations: number;
  private limitLogged = false;
  private closed = false;
  private draining = false;

  private constructor(
    private readonly gateway: GatewayApi,
    private readonly route: Route,
    private readonly socket: dgram.Socket,
    /** The public port. */
    readonly port: number,
    private readonly opts: ResolvedUdpOptions,
    private readonly log: Logger,
    private readonly onReleased: (e: UdpExposure) => void,
  ) {
    const limits = serviceLimits(opts, route.options);
    this.idleTimeoutMs = limits.idleTimeoutMs;
    this.maxAssociations = limits.maxAssociations;
    this.url = `udp://${formatEndpoint(gateway.publicHost, port)}`;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on('error', (err) => this.log.warn({ err, route: route.id }, 'udp socket error'));
    const every = Math.max(25, Math.min(Math.floor(this.idleTimeoutMs / 4), 5000));
    this.sweeper = setInterval(() => this.sweep(Date.now()), every);
    this.sweeper.unref();
  }

  /** Validates the service's options, binds its public port and starts serving. */
  static async bind(gateway: GatewayApi, route: Route, opts: ResolvedUdpOptions, log: Logger, onReleased: (e: UdpExposure) => void = () => undefined): Promise<UdpExposure> {
    serviceLimits(opts, route.options);
    const { socket, port } = await bindRoutePort(gateway, route, opts.host);
    return new UdpExposure(gateway, route, socket, port, opts, log, onReleased);
  }

  /** Associations open now (for tests and stats). */
  get associations(): number {
    return this.assocs.size;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed || this.draining) return;
    const key = rinfo.address + '|' + rinfo.port;
    let a = this.assocs.get(key);
    if (a !== undefined && a.state === 'refused' && Date.now() >= a.refusedUntil) {
      this.assocs.delete(key);
      a = undefined;
    }
    if (a === undefined) {
      if (this.assocs.size >= this.maxAssociations) {
        this.onLimit(rinfo);
        return;
      }
      a = new Association(key, rinfo.address, rinfo.port, this.socket, this.opts, Date.now());
      this.assocs.set(key, a);
      void this.open(a);
    } else {
      a.lastSeen = Date.now();
    }
    a.fromVisitor(msg);
  }

  private onLimit(rinfo: dgram.RemoteInfo): void {
    if (this.limitLogged) return;
    // One line per sweep interval, not one per datagram.
    this.limitLogged = true;
    this.log.warn(
      { code: ErrorCodes.LIMIT, limit: 'maxAssociations', max: this.maxAssociations, route: this.route.id, visitor: `${rinfo.address}:${rinfo.port}` },
      `udp association limit reached: ${this.route.hostname} already has ${this.maxAssociations} associations (protocol-udp maxAssociations); datagrams from new visitors are dropped`,
    );
  }

  private async open(a: Association): Promise<void> {
    const visitor: VisitorInfo = { address: a.address, port: a.port, protocol: 'udp', route: this.route };
    const rejection = await this.gateway.admitVisitor(visitor);
    if (a.state !== 'pending') return;
    if (rejection) {
      this.log.info({ code: rejection.code, route: this.route.id, visitor: `${a.address}:${a.port}` }, `udp visitor refused: ${rejection.message}`);
      a.refuse(Date.now() + this.idleTimeoutMs);
      return;
    }
    let stream;
    try {
      stream = await this.route.connect(visitor, a.abort.signal);
    } catch (err) {
      if (a.state !== 'pending') return;
      const e = asTfgwError(err, ErrorCodes.SERVICE_UNREACHABLE);
      this.log.warn({ code: e.code, route: this.route.id, visitor: `${a.address}:${a.port}` }, `udp visitor dropped: ${e.message}`);
      a.refuse(Date.now() + RETRY_AFTER_FAILURE_MS);
      return;
    }
    if (a.state !== 'pending' || this.closed) {
      stream.destroy();
      return;
    }
    a.attach(
      stream,
      () => {
        if (this.assocs.get(a.key) === a) this.assocs.delete(a.key);
        this.ending.delete(a);
        this.gateway.recordStream(this.route, a.bytesIn, a.bytesOut);
        this.log.debug({ route: this.route.id, visitor: `${a.address}:${a.port}`, bytesIn: a.bytesIn, bytesOut: a.bytesOut, dropped: a.dropped }, 'udp association ended');
      },
      (err) => this.log.warn({ code: asTfgwError(err).code, route: this.route.id }, `agent broke udp framing: ${err.message}`),
    );
  }

  /** Ends associations idle for `idleTimeoutMs`; destroys those that ignored an earlier end. */
  private sweep(now: number): void {
    this.limitLogged = false;
    for (const a of this.ending) {
      if (now - a.endingSince >= this.idleTimeoutMs) a.destroy();
    }
    for (const a of this.assocs.values()) {
      if (now - a.lastSeen < this.idleTimeoutMs) continue;
      this.assocs.delete(a.key);
      if (a.state === 'open') {
        this.ending.add(a);
        a.end(now);
      } else {
        a.destroy();
      }
    }
  }

  /**
   * The node is stopping: take no new datagrams and half-close every association, so the
   * agent closes its sockets and the streams end without waiting out the drain period.
   */
  drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    const now = Date.now();
    for (const a of this.assocs.values()) {
      if (a.state === 'open') {
        this.ending.add(a);
        a.end(now);
      } else {
        a.destroy();
      }
    }
    this.assocs.clear();
  }

  /** Close the port, end every association, give the port back to the pool. */
  async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const a of this.assocs.values()) a.destroy();
    for (const a of this.ending) a.destroy();
    this.assocs.clear();
    this.ending.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.gateway.ports.udp.release(this.port);
    this.onReleased(this);
  }
}
