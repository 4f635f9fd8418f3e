import { isIPv6 } from 'node:net';
import { ErrorCodes, TfgwError } from '@tfgw/core';

/** Where an HTTP proxy request goes. */
export interface ProxyRequestTarget {
  /** Host as written (no brackets for IPv6), lower case. */
  host: string;
  /** Port (default 80 for absolute `http://` URIs). */
  port: number;
  /** Origin-form path and query to send upstream (`/` at least); absent for CONNECT. */
  path?: string;
}

/** `host:port`, `[v6]:port` (v6 checked apart); host characters of RFC 3986 reg-name / IPv4 (no percent-encoding). */
const AUTHORITY = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9._~!$&'()*+,;=-]+)):([0-9]{1,5})$/i;

function bad(message: string): TfgwError {
  return new TfgwError(ErrorCodes.BAD_MESSAGE, message, { details: { reason: 'bad-request' } });
}

/**
 * Parses the request target of `CONNECT host:port HTTP/1.1` (RFC 9110 §9.3.6 authority-form;
 * the port is required). Throws TFGW_ERR_BAD_MESSAGE (answered with 400).
 */
export function parseConnectTarget(text: string): ProxyRequestTarget {
  const m = AUTHORITY.exec(text);
  if (!m) throw bad(`CONNECT target must be "host:port", got ${JSON.stringify(text.slice(0, 300))}`);
  // The brackets admit hex digits, colons and dots; only a real IPv6 address is a host.
  if (m[1] !== undefined && !isIPv6(m[1])) throw bad(`CONNECT target [${m[1].slice(0, 100)}] is not an IPv6 address`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw bad(`CONNECT port must be 1-65535, got ${m[3]}`);
  return { host: (m[1] ?? m[2]).toLowerCase(), port };
}

/**
 * Parses the request target of a plain proxy request, `GET http://host[:port]/path?q HTTP/1.1`
 * (absolute-form). `https://` must use CONNECT and origin-form (`/path`) is not a proxy
 * request: both throw TFGW_ERR_BAD_MESSAGE (answered with 400).
 */
export function parseAbsoluteTarget(text: string): ProxyRequestTarget {
  if (!/^http:\/\//i.test(text)) {
    if (/^https:\/\//i.test(text)) throw bad(`https:// URLs go through CONNECT, got ${JSON.stringify(text.slice(0, 300))}`);
    throw bad(`a proxy request needs an absolute http:// URL, got ${JSON.stringify(text.slice(0, 300))}`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw new TfgwError(ErrorCodes.BAD_MESSAGE, `not a URL: ${JSON.stringify(text.slice(0, 300))}`, { cause: err, details: { reason: 'bad-request' } });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad(`URL without a host: ${JSON.stringify(text.slice(0, 300))}`);
  const port = url.port === '' ? 80 : Number(url.port);
  if (port < 1) throw bad(`URL port must be 1-65535, got ${url.port}`);
  return { host: host.toLowerCase(), port, path: `${url.pathname || '/'}${url.search}` };
}
