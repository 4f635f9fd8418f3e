import http from 'node:http';
import type { Duplex } from 'node:stream';
import { TfgwError, type Route } from '@tfgw/core';
import { HttpErrorCodes, applyHeaderChanges, responseOnSocket, stripResponseHopByHop, type HeaderChange, type HttpUpgradeContext, type HttpUpgradeHandler } from '@tfgw/protocol-http';
import { routeWsOptions, type ResolvedWsOptions, type RouteWsOptions } from './options';
import { relayWebSocket } from './relay';

/** True for a request asking to switch to WebSocket (`Upgrade: websocket`). */
export function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  return (req as { upgrade?: boolean }).upgrade === true && /(^|,)\s*websocket\s*(,|$)/i.test(String(req.headers.upgrade ?? ''));
}

/** The service's 101 head as the visitor gets it: its raw headers, with the route's response header changes applied. */
export function switchingProtocolsHead(res: http.IncomingMessage, changes: readonly HeaderChange[]): string {
  const changed = new Set(changes.map((c) => c.name));
  const lines = [`HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}`];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (!changed.has(raw[i].toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  for (const c of changes) if (c.value !== null) lines.push(`${c.name}: ${c.value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * The `websocket` handler of the HTTP ingress: sends the visitor's upgrade request to the
 * service over a fresh stream (Node's HTTP client parses the answer), then relays frames
 * both ways with {@link relayWebSocket}. A service that answers anything but 101 has its
 * answer passed on to the visitor, and the connection is closed.
 */
export class WebSocketUpgradeHandler implements HttpUpgradeHandler {
  readonly owner = 'protocol-ws';
  private readonly perRoute = new WeakMap<Route, RouteWsOptions>();

  constructor(private readonly opts: ResolvedWsOptions) {}

  /** The effective WebSocket options of a route (checked at registration, cached). */
  optionsFor(route: Route): RouteWsOptions {
    let o = this.perRoute.get(route);
    if (!o) {
      o = routeWsOptions(route.options ?? {}, this.opts);
      this.perRoute.set(route, o);
    }
    return o;
  }

  async handle(ctx: HttpUpgradeContext): Promise<void> {
    const limits = this.optionsFor(ctx.route);
    let stream: Duplex;
    try {
      stream = await ctx.connect();
    } catch (err) {
      ctx.fail(err);
      return;
    }
    if (ctx.socket.destroyed) {
      stream.destroy();
      ctx.done({ status: 499, bytesIn: 0, bytesOut: 0 });
      return;
    }
    await new Promise<void>((resolve) => {
      let answered = false;
      const preq = http.request({
        method: ctx.req.method,
        path: ctx.req.url,
        headers: ctx.headers,
        setHost: false,
        createConnection: () => stream as never,
      });
      const timer = setTimeout(
        () => preq.destroy(new TfgwError(HttpErrorCodes.RESPONSE_TIMEOUT, `the service did not answer the upgrade within ${this.opts.handshakeTimeoutMs} ms (handshakeTimeoutMs)`)),
        this.opts.handshakeTimeoutMs,
      );
      timer.unref();
      const onVisitorGone = () => {
        if (!answered) preq.destroy();
      };
      ctx.socket.once('close', onVisitorGone);
      const answer = () => {
        answered = true;
        clearTimeout(timer);
        ctx.socket.removeListener('close', onVisitorGone);
      };

      preq.on('upgrade', (res: http.IncomingMessage, upstream: Duplex, head: Buffer) => {
        answer();
        ctx.socket.write(switchingProtocolsHead(res, ctx.responseHeaders));
        void relayWebSocket(ctx.socket, upstream, {
          maxMessageBytes: limits.maxMessageBytes,
          idleTimeoutMs: limits.idleTimeoutMs,
          visitorHead: ctx.head,
          serviceHead: head,
        }).then((r) => {
          if (r.closedByGateway) {
            ctx.log.info({ host: ctx.route.hostname, code: r.closedByGateway.code, side: r.closedByGateway.side }, `websocket closed by the gateway: ${r.closedByGateway.reason}`);
          }
          ctx.done({ status: 101, bytesIn: r.bytesIn, bytesOut: r.bytesOut });
          resolve();
        });
      });

      preq.on('response', (res: http.IncomingMessage) => {
        answer();
        // The service refused the upgrade: its answer goes to the visitor, then both close.
        const headers = stripResponseHopByHop(res.headers);
        applyHeaderChanges(headers as Record<string, string | string[] | number | undefined>, ctx.responseHeaders);
        const vres = responseOnSocket(ctx.req, ctx.socket);
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        vres.once('close', () => {
          stream.destroy();
          ctx.done({ status: res.statusCode ?? 502, bytesIn: 0, bytesOut: bytes });
          resolve();
        });
        vres.writeHead(res.statusCode ?? 502, res.statusMessage, headers);
        res.pipe(vres);
      });

      preq.on('error', (err) => {
        clearTimeout(timer);
        if (answered) return;
        answered = true;
        ctx.socket.removeListener('close', onVisitorGone);
        stream.destroy();
        if (ctx.socket.destroyed) ctx.done({ status: 499, bytesIn: 0, bytesOut: 0 });
        else ctx.fail(err);
        resolve();
      });
      preq.end();
    });
  }
}
