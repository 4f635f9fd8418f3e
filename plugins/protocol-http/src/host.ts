import { isIPv6 } from 'node:net';

/** A parsed `Host` header (or absolute-form authority). */
export interface RequestHost {
  /** Host name, lower case, no trailing dot; an IPv6 address without brackets. */
  hostname: string;
  /** Port, when the header carried one. */
  port?: number;
}

const NAME_RE = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/;
const IPV6_RE = /^\[([0-9a-f:.]+)\]$/;
const ABSOLUTE_RE = /^https?:\/\/([^/?#]*)([^#]*)/i;

/**
 * Parses a `Host` header value: `name`, `name:port`, `[v6]`, `[v6]:port` (v6 a valid IPv6
 * address). The name is lower-cased and one trailing dot is removed
 * (`WWW.Demo.tfgw.localhost.:8080` → `www.demo.tfgw.localhost`, port 8080). Returns undefined for anything else (empty,
 * spaces, user info, a path, a port above 65535): the ingress answers 400.
 */
export function parseHostHeader(value: string | undefined): RequestHost | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value.trim().toLowerCase();
  if (text === '' || text.length > 1024) return undefined;
  let port: number | undefined;
  const colon = text.lastIndexOf(':');
  if (colon >= 0 && text.indexOf(']', colon) < 0) {
    const digits = text.slice(colon + 1);
    if (!/^\d{1,5}$/.test(digits)) return undefined;
    port = Number(digits);
    if (port > 65535) return undefined;
    text = text.slice(0, colon);
  }
  const v6 = IPV6_RE.exec(text);
  if (v6) {
    // The brackets admit hex digits, colons and dots; only a real address is a host ("[.]" is not).
    if (!isIPv6(v6[1])) return undefined;
    return { hostname: v6[1], ...(port !== undefined ? { port } : {}) };
  }
  if (!NAME_RE.test(text)) return undefined;
  const hostname = text.endsWith('.') ? text.slice(0, -1) : text;
  return { hostname, ...(port !== undefined ? { port } : {}) };
}

/** A request target split for routing. */
export interface RequestTarget {
  /** The authority of an absolute-form target (`GET http://host/path`), without user info. */
  authority?: string;
  /** The origin-form target to forward: path and query, at least `/`. */
  path: string;
}

/**
 * Splits a request target. An absolute-form target (`http://host:port/p?q`) yields its
 * authority, which wins over the Host header (RFC 9112 §3.2.2), and its path; anything
 * else is passed on unchanged.
 */
export function splitRequestTarget(url: string | undefined): RequestTarget {
  const target = url ?? '/';
  const m = ABSOLUTE_RE.exec(target);
  if (!m) return { path: target || '/' };
  const authority = m[1].slice(m[1].lastIndexOf('@') + 1);
  const rest = m[2];
  return { authority, path: rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}` };
}

/**
 * The host a request asks for: the absolute-form authority when there is one, else the
 * Host header. Undefined when neither parses.
 */
export function requestHost(hostHeader: string | undefined, target: RequestTarget): RequestHost | undefined {
  return parseHostHeader(target.authority ?? hostHeader);
}
