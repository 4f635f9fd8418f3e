import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Route, VisitorInfo } from '@tfgw/core';
import { asSocketLike } from './socket-shim';

/** Options of a {@link RouteStreamAgent}. */
export interface RouteStreamAgentOptions {
  /** Idle streams kept for reuse. */
  maxIdleStreams: number;
  /** An idle stream is closed after this long. */
  idleTimeoutMs: number;
}

/**
 * An `http.Agent` whose connections are tunnel streams of one route: `createConnection`
 * opens `route.connect()` asynchronously (Node's Agent accepts a callback), and keep-alive
 * pools the streams, so consecutive requests to a route reuse a stream instead of opening
 * a new one each time. A refused stream fails the request with the route's coded error
 * (TFGW_ERR_AGENT_OFFLINE, TFGW_ERR_SERVICE_UNREACHABLE, ...).
 *
 * Streams are shared by the requests of every visitor of the route, one request at a time
 * (as any reverse proxy's upstream keep-alive); the stream header names the visitor of its
 * first request, forwarding headers name each request's own visitor.
 */
export class RouteStreamAgent extends http.Agent {
  constructor(
    private readonly route: Route,
    opts: RouteStreamAgentOptions,
  ) {
    super({ keepAlive: opts.maxIdleStreams > 0, maxFreeSockets: Math.max(1, opts.maxIdleStreams), timeout: opts.idleTimeoutMs, scheduling: 'lifo' });
  }

  /**
   * Opens a stream for a request. `options.tfgwVisitor` (set by the ingress on each request)
   * names the visitor for the stream header.
   */
  override createConnection(options: http.ClientRequestArgs & { tfgwVisitor?: VisitorInfo }, callback: (err: Error | null, stream?: Duplex) => void): Duplex | undefined {
    const visitor: VisitorInfo = options.tfgwVisitor ?? { address: '0.0.0.0', port: 0, protocol: 'http', route: this.route, hostname: this.route.hostname };
    this.route.connect(visitor).then(
      (stream) => callback(null, asSocketLike(stream, { pooled: true })),
      (err: Error) => callback(err),
    );
    return undefined;
  }

  /** Closes idle streams and pools no more: streams of requests in flight close when they end. */
  stopPooling(): void {
    (this as unknown as { keepAlive: boolean }).keepAlive = false;
    for (const list of Object.values(this.freeSockets)) for (const s of list ?? []) s.destroy();
  }
}
