import net from 'node:net';
import { ErrorCodes, TfgwError } from '@tfgw/core';

/** A host and port to bind. */
export interface ListenAddress {
  /** IP address to bind. */
  host: string;
  /** Port (0 = any free port). */
  port: number;
}

/**
 * Parses `'127.0.0.1:5353'`, `'[::1]:5353'`, `':5353'` (all IPv4 interfaces) or a port
 * number. Throws TFGW_ERR_CONFIG naming `key` on anything else.
 */
export function parseListenAddress(value: unknown, key: string): ListenAddress {
  const bad = (why: string) => new TfgwError(ErrorCodes.CONFIG, `${key}: ${why} (got ${JSON.stringify(value)}; expected "host:port", e.g. "127.0.0.1:5353")`, { details: { path: key } });
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw bad('port out of range');
    return { host: '127.0.0.1', port: value };
  }
  if (typeof value !== 'string') throw bad('must be a string');
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw bad('not host:port');
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]);
  const port = Number(m[3]);
  if (port > 65535) throw bad('port out of range');
  if (!net.isIP(host)) throw bad(`"${host}" is not an IP address`);
  return { host, port };
}
