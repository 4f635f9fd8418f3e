import type { TfgwNode } from '../node';
import type { MuxedSession } from '../muxer';
import { ErrorCodes, TfgwError } from '../errors';
import { ControlChannel } from '../protocol/control-channel';
import { PROTOCOL_VERSIONS, type WelcomeMessage } from '../protocol/messages';
import { resolveLimits, resolveSession } from '../config/defaults';
import { createSession } from '../session';

/** An authenticated session from an agent or client to the gateway. */
export interface GatewayConnection {
  /** The multiplexed session. */
  session: MuxedSession;
  /** The control channel (stream 1). */
  control: ControlChannel;
  /** The gateway's welcome. */
  welcome: WelcomeMessage;
}

/** Codes after which retrying with the same settings cannot succeed. */
export const FATAL_CODES: ReadonlySet<string> = new Set([ErrorCodes.CONFIG, ErrorCodes.AUTH, ErrorCodes.VERSION, ErrorCodes.FORBIDDEN, ErrorCodes.NAME_TAKEN, ErrorCodes.TRUST, ErrorCodes.UNKNOWN_TRANSPORT, ErrorCodes.BAD_MESSAGE]);

/**
 * Dials the gateway over the transport its URL scheme names, runs the multiplexer when the
 * transport has no native streams, and says hello. Rejects with the gateway's coded error.
 */
export async function dialGateway(
  node: TfgwNode,
  opts: { server: string; token: string; role: 'agent' | 'client'; name?: string; transport?: Record<string, unknown>; signal?: AbortSignal },
): Promise<GatewayConnection> {
  let url: URL;
  try {
    url = new URL(opts.server);
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, `server: not a URL: "${opts.server}" (expected e.g. tcp://host:7000)`, { cause: err });
  }
  const entry = node.transports.forUrl(url);
  const limits = resolveLimits(node.config.gateway?.limits);
  const sess = resolveSession(node.config.session);
  const conn = await entry.transport.dial({ url, options: { ...entry.options, ...(opts.transport ?? {}) }, signal: opts.signal });
  const session =
    conn.session ??
    createSession(conn.duplex, {
      client: true,
      initialWindow: sess.initialWindow,
      maxWindow: sess.maxWindow,
      keepaliveMs: sess.keepaliveMs,
      keepaliveTimeoutMs: sess.keepaliveTimeoutMs,
      maxStreams: limits.streamsPerSession,
      maxPendingOpens: limits.pendingOpens,
      maxFrameBytes: limits.maxFrameBytes,
    });
  try {
    const control = new ControlChannel(session.open(), limits.controlMessageBytes);
    control.send({ t: 'hello', versions: [...PROTOCOL_VERSIONS], role: opts.role, token: opts.token, ...(opts.name ? { name: opts.name } : {}), software: 'tfgw' });
    const welcome = await control.next('welcome', limits.handshakeTimeoutMs);
    return { session, control, welcome };
  } catch (err) {
    session.close();
    throw err;
  }
}

/** Exponential backoff with jitter: `min * 2^attempt`, capped, times a random 0.5–1. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.5 + Math.random() * 0.5));
}
