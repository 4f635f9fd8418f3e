import type net from 'node:net';
import { ErrorCodes, asTfgwError, type GatewayApi, type Logger, type MuxedStream, type Rejection, type Route, type VisitorInfo } from '@tfgw/core';

/** What {@link serveVisitor} needs from the plugin. */
export interface VisitorContext {
  gateway: GatewayApi;
  log: Logger;
  /** Time for `route.connect` (agent reaching the service). */
  connectTimeoutMs: number;
}

/** How a visitor is turned away; the SNI port sends a TLS alert first. */
export type Refuse = (socket: net.Socket, code: string) => void;

/** Closes the visitor without a word. */
export const closeQuietly: Refuse = (socket) => {
  socket.resume();
  socket.destroySoon();
};

/**
 * One visitor on a public TCP port: the `visitor` hook (a Rejection closes it, one log
 * line), `route.connect` (bounded by `connectTimeoutMs` and aborted if the visitor leaves;
 * TFGW_ERR_AGENT_OFFLINE during the reconnect grace period, ...), then
 * `gateway.pipeVisitor` with half-close and byte counting. Never throws.
 */
export async function serveVisitor(ctx: VisitorContext, socket: net.Socket, route: Route, protocol: string, hostname?: string, refuse: Refuse = closeQuietly): Promise<void> {
  const visitor: VisitorInfo = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, protocol, route, ...(hostname ? { hostname } : {}) };
  const who = `${visitor.address}:${visitor.port}`;
  let rejection: Rejection | undefined;
  try {
    rejection = await ctx.gateway.admitVisitor(visitor);
  } catch (err) {
    rejection = { code: asTfgwError(err).code, message: asTfgwError(err).message };
  }
  if (rejection) {
    ctx.log.info({ code: rejection.code, route: route.id, visitor: who }, `${protocol} visitor refused: ${rejection.message}`);
    refuse(socket, rejection.code);
    return;
  }
  if (socket.destroyed) return;
  // One controller for both reasons to give up (the visitor left, connectTimeoutMs passed),
  // with a timer cleared as soon as the stream is open: AbortSignal.timeout/any would keep a
  // timer and weak references alive per visitor for the whole timeout, even after success.
  const abort = new AbortController();
  const onGone = () => abort.abort();
  const timer = setTimeout(onGone, ctx.connectTimeoutMs);
  socket.once('close', onGone);
  let stream: MuxedStream;
  try {
    stream = await route.connect(visitor, abort.signal);
  } catch (err) {
    if (socket.destroyed) return;
    const e = asTfgwError(err, ErrorCodes.SERVICE_UNREACHABLE);
    ctx.log.warn({ code: e.code, route: route.id, visitor: who }, `${protocol} visitor closed: ${e.message}`);
    refuse(socket, e.code);
    return;
  } finally {
    clearTimeout(timer);
    socket.removeListener('close', onGone);
  }
  if (socket.destroyed) {
    stream.destroy();
    return;
  }
  ctx.gateway.pipeVisitor(route, socket, stream);
}
