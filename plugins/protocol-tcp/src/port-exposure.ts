import type net from 'node:net';
import { formatEndpoint, type Exposure, type Route } from '@tfgw/core';
import { listenRoutePort } from './listen-tcp';
import { serveVisitor, type VisitorContext } from './serve-visitor';
import { VisitorSet } from './visitor-set';

/**
 * One TCP service's public port: a listener that serves each visitor through the route.
 * The listener stays open while the route exists, including the agent's reconnect grace
 * period (visitors then are closed with a TFGW_ERR_AGENT_OFFLINE log line); `release()`
 * closes it, ends its visitors and gives the port back to the pool.
 */
export class TcpPortExposure implements Exposure {
  readonly url: string;
  private readonly visitors = new VisitorSet();
  private released = false;
  private closing?: Promise<void>;

  private constructor(
    private readonly ctx: VisitorContext,
    private readonly server: net.Server,
    /** The public port. */
    readonly port: number,
    private readonly onReleased: (e: TcpPortExposure) => void,
  ) {
    this.url = `tcp://${formatEndpoint(ctx.gateway.publicHost, port)}`;
  }

  /** Allocates the route's port, listens on `host`, serves visitors. */
  static async bind(ctx: VisitorContext, route: Route, host: string, onReleased: (e: TcpPortExposure) => void = () => undefined): Promise<TcpPortExposure> {
    let self: TcpPortExposure | undefined;
    const pending: net.Socket[] = [];
    const { server, port } = await listenRoutePort(ctx.gateway, route, host, (socket) => {
      if (self) self.accept(socket, route);
      else pending.push(socket);
    });
    self = new TcpPortExposure(ctx, server, port, onReleased);
    for (const s of pending) self.accept(s, route);
    return self;
  }

  private accept(socket: net.Socket, route: Route): void {
    if (this.released) {
      socket.destroy();
      return;
    }
    this.visitors.add(socket);
    void serveVisitor(this.ctx, socket, route, 'tcp');
  }

  /** Stop accepting visitors; those connected go on (the node is draining). */
  stopAccepting(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
    return this.closing;
  }

  /** Close the listener and its visitors; free the port. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const closed = this.stopAccepting();
    this.visitors.destroyAll();
    await closed;
    this.ctx.gateway.ports.tcp.release(this.port);
    this.onReleased(this);
  }
}
