import net from 'node:net';
import { ErrorCodes, TfgwError } from '../errors';

/** A host and a port; `host` is a name, an IPv4 or a bare IPv6 address (no brackets). */
export interface Endpoint {
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  /** Port, 0–65535 (0 = any free port when listening). */
  port: number;
}

const ENDPOINT_RE = /^(?:\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]|([^\s:[\]/?#@]+)):(\d{1,5})$/;

/**
 * Parses `host:port` (`[v6]:port` for IPv6). Throws TFGW_ERR_CONFIG with a message naming
 * `what` (a config key such as `listen`), e.g. `listen: expected "host:port", got "abc"`.
 */
export function parseEndpoint(text: string, what = 'address'): Endpoint {
  const m = typeof text === 'string' ? ENDPOINT_RE.exec(text.trim()) : null;
  if (!m) {
    throw new TfgwError(ErrorCodes.CONFIG, `${what}: expected "host:port", got ${JSON.stringify(text)}`, { details: { path: what, value: text } });
  }
  const port = Number(m[3]);
  if (port > 65535) {
    throw new TfgwError(ErrorCodes.CONFIG, `${what}: port must be 0-65535, got ${port}`, { details: { path: what, value: text } });
  }
  const host = m[1] ?? m[2];
  if (m[1] !== undefined && net.isIPv6(host.replace(/%.*$/, '')) === false) {
    throw new TfgwError(ErrorCodes.CONFIG, `${what}: "${host}" in brackets is not an IPv6 address`, { details: { path: what, value: text } });
  }
  return { host, port };
}

/** Formats an endpoint as `host:port`, bracketing IPv6 addresses. */
export function formatEndpoint(host: string, port: number): string {
  return `${net.isIPv6(host.replace(/%.*$/, '')) ? `[${host}]` : host}:${port}`;
}

/**
 * Host and port of a URL such as `tcp://[::1]:7000`. Brackets are removed from IPv6 hosts;
 * a URL without a port gets `defaultPort`, or a TFGW_ERR_CONFIG error when there is none.
 */
export function endpointOfUrl(url: URL, defaultPort?: number): Endpoint {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new TfgwError(ErrorCodes.CONFIG, `${url.href}: the URL has no host`, { details: { url: url.href } });
  if (url.port === '') {
    if (defaultPort === undefined) throw new TfgwError(ErrorCodes.CONFIG, `${url.href}: the URL has no port`, { details: { url: url.href } });
    return { host, port: defaultPort };
  }
  return { host, port: Number(url.port) };
}
