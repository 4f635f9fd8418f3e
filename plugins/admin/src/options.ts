import { ErrorCodes, TfgwError, parseHostPort } from '@tfgw/core';

/** Options of the admin plugin. */
export interface AdminOptions {
  /** Address of the admin listener. Keep it on loopback unless a firewall or proxy guards it: `/metrics` and `/healthz` need no token. @default '127.0.0.1:7070' */
  listen?: string;
  /** Bearer token for `/api/v1/*`, at least 8 characters. @default process.env.TFGW_ADMIN_TOKEN (one of the two is required) */
  token?: string;
  /** Requests kept for `GET /api/v1/requests` and the status page's log. @default 200 */
  requestLogSize?: number;
  /** File reservations persist to, relative to the node's data dir. @default 'reservations.json' */
  reservationsFile?: string;
  /** How often expired reservations are swept, in ms. @default 1000 */
  sweepMs?: number;
  /** How often every session's RTT is measured into `tfgw_session_rtt_seconds`, in ms. @default 15000 */
  rttSampleMs?: number;
  /** Interval of the keep-alive comment on the live request stream, in ms. @default 15000 */
  heartbeatMs?: number;
}

/** Every option key, for the unknown-key check. */
export const ADMIN_OPTION_KEYS: readonly (keyof AdminOptions)[] = Object.freeze(['listen', 'token', 'requestLogSize', 'reservationsFile', 'sweepMs', 'rttSampleMs', 'heartbeatMs'] as const);

/** Options with defaults applied, plus the parsed listen address. */
export type ResolvedAdminOptions = Required<AdminOptions> & { host: string; port: number };

const configError = (key: string, message: string, cause?: unknown) => new TfgwError(ErrorCodes.CONFIG, `${key}: ${message}`, { cause, details: { path: key } });

/** Validates options and applies defaults; throws TFGW_ERR_CONFIG naming the key. */
export function resolveAdminOptions(o: AdminOptions = {}): ResolvedAdminOptions {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TfgwError(ErrorCodes.CONFIG, 'admin options must be an object');
  for (const key of Object.keys(o)) {
    if (!(ADMIN_OPTION_KEYS as readonly string[]).includes(key)) throw configError(key, `unknown option (known: ${ADMIN_OPTION_KEYS.join(', ')})`);
  }
  const listen = o.listen ?? '127.0.0.1:7070';
  let hp: { host: string; port: number };
  try {
    if (typeof listen !== 'string') throw new Error('not a string');
    hp = parseHostPort(listen, 'listen');
  } catch (err) {
    throw configError('listen', `expected "host:port", got ${JSON.stringify(listen)}`, err);
  }
  const token = o.token ?? process.env.TFGW_ADMIN_TOKEN;
  if (typeof token !== 'string' || token.length < 8 || /\s/.test(token)) {
    throw configError('token', 'expected a bearer token of at least 8 characters without spaces (or set TFGW_ADMIN_TOKEN)');
  }
  const num = (key: keyof AdminOptions, d: number) => {
    const v = o[key];
    if (v === undefined) return d;
    if (!Number.isInteger(v) || (v as number) <= 0) throw configError(key, `expected a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const file = o.reservationsFile ?? 'reservations.json';
  if (typeof file !== 'string' || file === '') throw configError('reservationsFile', 'expected a file name');
  return {
    listen,
    host: hp.host,
    port: hp.port,
    token,
    requestLogSize: num('requestLogSize', 200),
    reservationsFile: file,
    sweepMs: num('sweepMs', 1000),
    rttSampleMs: num('rttSampleMs', 15000),
    heartbeatMs: num('heartbeatMs', 15000),
  };
}
