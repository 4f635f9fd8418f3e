/**
 * Every error tfgw raises on purpose is a {@link TfgwError} with a stable `code`.
 * Tests and callers branch on `code`, never on the message text.
 */
export class TfgwError extends Error {
  /** Stable machine-readable code, `TFGW_ERR_*`. */
  readonly code: string;
  /** Extra structured facts (the offending key, the limit that was hit, ...). */
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TfgwError';
    this.code = code;
    this.details = options.details;
  }

  /** A JSON-safe view for the wire and for logs. */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** All error codes in one place, so docs and tests can list them. */
export const ErrorCodes = {
  /** Config file or CLI flag is invalid; `details.path` names the key. Exit code 2. */
  CONFIG: 'TFGW_ERR_CONFIG',
  /** A plugin named in config could not be found. */
  PLUGIN_NOT_FOUND: 'TFGW_ERR_PLUGIN_NOT_FOUND',
  /** Two plugins share a name. */
  PLUGIN_DUPLICATE: 'TFGW_ERR_PLUGIN_DUPLICATE',
  /** A plugin lists a dependency that is not loaded. */
  PLUGIN_DEPENDENCY: 'TFGW_ERR_PLUGIN_DEPENDENCY',
  /** A plugin module does not export a valid factory / plugin. */
  PLUGIN_INVALID: 'TFGW_ERR_PLUGIN_INVALID',
  /** A tap threw, or a hook tap did not answer in time. */
  HOOK: 'TFGW_ERR_HOOK',
  HOOK_TIMEOUT: 'TFGW_ERR_HOOK_TIMEOUT',
  /** Session (yamux) framing / state violation by the peer. Closes that session only. */
  PROTOCOL: 'TFGW_ERR_PROTOCOL',
  /** A frame larger than the configured maximum. */
  FRAME_TOO_LARGE: 'TFGW_ERR_FRAME_TOO_LARGE',
  /** Too many streams on one session. */
  STREAM_LIMIT: 'TFGW_ERR_STREAM_LIMIT',
  /** Too many streams waiting for ACK. */
  PENDING_LIMIT: 'TFGW_ERR_PENDING_LIMIT',
  /** Peer sent RST for a stream. */
  STREAM_RESET: 'TFGW_ERR_STREAM_RESET',
  /** Session is closed or going away. */
  SESSION_CLOSED: 'TFGW_ERR_SESSION_CLOSED',
  GOAWAY: 'TFGW_ERR_GOAWAY',
  /** Keepalive ping or handshake did not answer in time. */
  TIMEOUT: 'TFGW_ERR_TIMEOUT',
  /** No common control-protocol version. */
  VERSION: 'TFGW_ERR_VERSION',
  /** Token missing, unknown, or not allowed for this role. */
  AUTH: 'TFGW_ERR_AUTH',
  /** The token does not allow this name / port / agent. */
  FORBIDDEN: 'TFGW_ERR_FORBIDDEN',
  /** The name is owned by another token. */
  NAME_TAKEN: 'TFGW_ERR_NAME_TAKEN',
  /** The requested public port is not available or not allowed. */
  PORT_UNAVAILABLE: 'TFGW_ERR_PORT_UNAVAILABLE',
  /** No plugin handles this protocol. */
  UNKNOWN_PROTOCOL: 'TFGW_ERR_UNKNOWN_PROTOCOL',
  /** No transport handles this URL scheme. */
  UNKNOWN_TRANSPORT: 'TFGW_ERR_UNKNOWN_TRANSPORT',
  /** The named agent has no live session. */
  AGENT_OFFLINE: 'TFGW_ERR_AGENT_OFFLINE',
  /** No agent with that name is known. */
  UNKNOWN_AGENT: 'TFGW_ERR_UNKNOWN_AGENT',
  /** The agent does not expose that service. */
  UNKNOWN_SERVICE: 'TFGW_ERR_UNKNOWN_SERVICE',
  /** The agent refuses to dial a target outside its services and allowlist. */
  TARGET_NOT_ALLOWED: 'TFGW_ERR_TARGET_NOT_ALLOWED',
  /** The agent could not reach the service (connection refused, ...). */
  SERVICE_UNREACHABLE: 'TFGW_ERR_SERVICE_UNREACHABLE',
  /** A visitor was rejected by the `visitor` hook. */
  VISITOR_REJECTED: 'TFGW_ERR_VISITOR_REJECTED',
  /** A configured limit was hit (`details.limit` names its config key). */
  LIMIT: 'TFGW_ERR_LIMIT',
  /** A control message or stream header is malformed. */
  BAD_MESSAGE: 'TFGW_ERR_BAD_MESSAGE',
  /** TLS / QUIC peer identity did not match the pinned fingerprint or CA. */
  TRUST: 'TFGW_ERR_TRUST',
  /** DNS store / server errors. */
  DNS: 'TFGW_ERR_DNS',
  /** An upstream proxy (SOCKS5 / HTTP CONNECT) could not be reached, refused the credentials or the target; `details.proxy` names it. */
  PROXY: 'TFGW_ERR_PROXY',
  /** A transport connection could not be opened (refused, unreachable, name not found, handshake refused); `details.errno` has the system code. */
  CONNECT: 'TFGW_ERR_CONNECT',
  /** A transport connection was aborted by the peer or the network before both sides ended it. */
  CONNECTION_RESET: 'TFGW_ERR_CONNECTION_RESET',
} as const;

/** Union of all known error codes. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Shorthand constructor: `err('TFGW_ERR_AUTH', 'token rejected')`. */
export function tfgwError(code: ErrorCode | string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }): TfgwError {
  return new TfgwError(code, message, options);
}

/** Wraps any thrown value into a TfgwError, keeping an existing one as is. */
export function asTfgwError(err: unknown, fallbackCode: string = ErrorCodes.HOOK): TfgwError {
  if (err instanceof TfgwError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new TfgwError(fallbackCode, message, { cause: err });
}
