import { ErrorCodes } from '@tfgw/core';

/** SOCKS5 reply codes (RFC 1928 §6). */
export const SocksReply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;

/** How a local ingress tells its peer why a stream was refused. */
export interface Refusal {
  /** SOCKS5 REP field. */
  socks: number;
  /** HTTP status of the HTTP proxy. */
  http: number;
}

/**
 * The refusal table (README "Errors"). Every code a stream open can fail with maps to a
 * SOCKS5 reply and an HTTP status; the HTTP proxy also sends the code in `X-Tfgw-Error`.
 */
export const REFUSALS: Readonly<Record<string, Refusal>> = Object.freeze({
  /** Not under the zone (not an open proxy), or outside the agent's allowlist. */
  [ErrorCodes.TARGET_NOT_ALLOWED]: { socks: SocksReply.NOT_ALLOWED, http: 403 },
  /** The client token may not reach this agent / service / raw targets. */
  [ErrorCodes.FORBIDDEN]: { socks: SocksReply.NOT_ALLOWED, http: 403 },
  /** No agent has this name. */
  [ErrorCodes.UNKNOWN_AGENT]: { socks: SocksReply.HOST_UNREACHABLE, http: 404 },
  /** The agent has no such service (for this protocol). */
  [ErrorCodes.UNKNOWN_SERVICE]: { socks: SocksReply.HOST_UNREACHABLE, http: 404 },
  /** The agent's name is known but it has no live session. */
  [ErrorCodes.AGENT_OFFLINE]: { socks: SocksReply.NETWORK_UNREACHABLE, http: 503 },
  /** The agent could not connect to the service / target. */
  [ErrorCodes.SERVICE_UNREACHABLE]: { socks: SocksReply.CONNECTION_REFUSED, http: 502 },
  /** Opening the stream took longer than `connectTimeoutMs`. */
  [ErrorCodes.TIMEOUT]: { socks: SocksReply.TTL_EXPIRED, http: 504 },
  /** A malformed name under the zone. */
  [ErrorCodes.BAD_MESSAGE]: { socks: SocksReply.HOST_UNREACHABLE, http: 400 },
  /** No plugin on the agent serves the protocol (e.g. UDP without protocol-udp). */
  [ErrorCodes.UNKNOWN_PROTOCOL]: { socks: SocksReply.COMMAND_NOT_SUPPORTED, http: 502 },
});

/** Anything else (gateway unreachable, session closed, limits): general failure / 502. */
export const DEFAULT_REFUSAL: Refusal = Object.freeze({ socks: SocksReply.GENERAL_FAILURE, http: 502 });

/** The SOCKS5 reply and HTTP status for an error code. */
export function refusalFor(code: string): Refusal {
  return REFUSALS[code] ?? DEFAULT_REFUSAL;
}
