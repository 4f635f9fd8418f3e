import net from 'node:net';

/** One element of a `Forwarded` header (RFC 7239 §4): the facts one proxy adds. */
export interface ForwardedElement {
  /** The client: an IP address (port optional), `unknown`, or an obfuscated `_id`. */
  for?: string;
  /** The interface the request came in on, same syntax as `for`. */
  by?: string;
  /** The Host header the client sent. */
  host?: string;
  /** The scheme the client used: `http` or `https`. */
  proto?: string;
}

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PAIR_ORDER = ['for', 'by', 'host', 'proto'] as const;

/**
 * An address as HTTP headers show it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack
 * socket reports) becomes the plain IPv4 address; zone ids are dropped.
 */
export function plainAddress(address: string): string {
  const a = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return mapped ? mapped[1] : a;
}

/**
 * A node for `for=` / `by=` (RFC 7239 §6): IPv4 as is, IPv6 in brackets, `:port` when
 * given. Anything that is not an IP address (`unknown`, `_hidden`) is returned unchanged.
 */
export function forwardedNode(address: string, port?: number): string {
  const a = plainAddress(address);
  const kind = net.isIP(a);
  if (kind === 0) return a;
  const host = kind === 6 ? `[${a}]` : a;
  return port === undefined ? host : `${host}:${port}`;
}

/** A pair value: a bare token when it is one, else a quoted-string with `"` and `\` escaped. */
export function forwardedValue(value: string): string {
  if (TOKEN_RE.test(value)) return value;
  // quoted-string allows HTAB, SP and visible ASCII; anything else is dropped, not smuggled.
  const clean = value.replace(/[^\t\x20-\x7e]/g, '');
  return `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Formats one element: `for=192.0.2.60;host=example.com;proto=http`, pairs in a fixed order. */
export function formatForwardedElement(element: ForwardedElement): string {
  const pairs: string[] = [];
  for (const key of PAIR_ORDER) {
    const v = element[key];
    if (v !== undefined) pairs.push(`${key}=${forwardedValue(v)}`);
  }
  return pairs.join(';');
}

/**
 * The `Forwarded` header to send: the new element appended to `previous` (comma separated,
 * RFC 7239 §4) when earlier proxies are trusted, else the new element alone.
 */
export function appendForwarded(previous: string | undefined, element: ForwardedElement): string {
  const mine = formatForwardedElement(element);
  const before = previous?.trim();
  return before ? `${before}, ${mine}` : mine;
}
