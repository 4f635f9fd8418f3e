import { ErrorCodes, TfgwError, parseHostPort } from '@tfgw/core';

/** Options of the admin plugin. */
export interface AdminOptions {
  /** Address of the admin listener. Loopback unless you mean it. @default '127.0.0.1:7070' */
  listen?: string;
  /** Bearer token for `/api/v1/*`. @default process.env.TFGW_ADMIN_TOKEN (required one way or the other) */
  token?: string;
  /** Requests kept for the status page's log. @default 200 */
  requestLogSize?: number;
  /** File for reservations, relative to the data dir. @default 'reservations.json' */
  reservationsFile?: string;
  /** How often expired reservations are swept, in ms. @default 1000 */
  sweepMs?: number;
}

/** Options with defaults applied. */
export type ResolvedAdminOptions = Required<AdminOptions> & { host: string; port: number };

/** Validates options; throws TFGW_ERR_CONFIG naming the key. */
export function resolveAdminOptions(o: AdminOptions): ResolvedAdminOptions {
  const listen = o.listen ?? '127.0.0.1:7070';
  let hp: { host: string; port: number };
  try {
    hp = parseHostPort(listen, 'listen');
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, `listen: expected "host:port", got ${JSON.stringify(listen)}`, { cause: err, details: { path: 'listen' } });
  }
  const token = o.token ?? process.env.TFGW_ADMIN_TOKEN;
  if (typeof token !== 'string' || token.length < 8) {
    throw new TfgwError(ErrorCodes.CONFIG, 'token: expected a bearer token of at least 8 characters (or set TFGW_ADMIN_TOKEN)', { details: { path: 'token' } });
  }
  const num = (key: keyof AdminOptions, v: unknown, d: number) => {
    if (v === undefined) return d;
    if (!Number.isInteger(v) || (v as number) <= 0) throw new TfgwError(ErrorCodes.CONFIG, `${key}: expected a positive integer, got ${JSON.stringify(v)}`, { details: { path: key } });
    return v as number;
  };
  return {
    listen,
    host: hp.host,
    port: hp.port,
    token,
    requestLogSize: num('requestLogSize', o.requestLogSize, 200),
    reservationsFile: o.reservationsFile ?? 'reservations.json',
    sweepMs: num('sweepMs', o.sweepMs, 1000),
  };
}
