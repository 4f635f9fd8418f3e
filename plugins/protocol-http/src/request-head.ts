import type { OutgoingHttpHeaders } from 'node:http';
import { ErrorCodes, TfgwError } from '@tfgw/core';
import { formatForwardedElement, forwardedNode } from './forwarded';
import { FieldKind, type FastRequestHead } from './request-parser';
import type { HeaderChange } from './route-options';
import { TCHAR } from './http-chars';

/** Methods whose requests carry no body unless they say so; others get `Content-Length: 0` when they send none (like Node's client). */
const BODYLESS_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (TCHAR[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** Field value: HTAB, SP, VCHAR, obs-text (no CR, LF, NUL or other controls). */
function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** Request target: visible ASCII and obs-text, no spaces or controls. */
function isTarget(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

function invalid(what: string): TfgwError {
  return new TfgwError(ErrorCodes.HOOK, `the request was changed into an invalid one (${what}); an httpRequest tap set it`);
}

/**
 * The HTTP/1.1 request head sent to the service, as one latin1 string (Node decodes header
 * bytes as latin1, so the service gets the bytes the visitor sent): request line, then
 * `headers` in their order (array values as repeated fields). Node's parser only hands out
 * valid fields; with `check` (an httpRequest tap may have changed the request) method,
 * target and every field are checked too, and a bad one throws TFGW_ERR_HOOK.
 */
export function serializeRequestHead(method: string, target: string, headers: OutgoingHttpHeaders, check: boolean): string {
  if (check) {
    if (!isToken(method)) throw invalid('method');
    if (!isTarget(target)) throw invalid('request target');
  }
  let head = `${method} ${target} HTTP/1.1\r\n`;
  let framed = false;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (check && !isToken(name)) throw invalid(`header name ${JSON.stringify(name)}`);
    if (!framed && (name === 'content-length' || name === 'transfer-encoding')) framed = true;
    if (Array.isArray(v)) {
      for (const x of v) {
        if (check && !isFieldValue(String(x))) throw invalid(`value of ${name}`);
        head += `${name}: ${x}\r\n`;
      }
    } else {
      if (check && !isFieldValue(String(v))) throw invalid(`value of ${name}`);
      head += `${name}: ${v}\r\n`;
    }
  }
  if (!framed && !BODYLESS_BY_DEFAULT.has(method)) head += 'content-length: 0\r\n';
  return head + '\r\n';
}

/** What the ingress adds to a request of the fast path. */
export interface FastHeadFacts {
  /** Visitor IP address as headers show it (see plainAddress). */
  address: string;
  /** Scheme the visitor used. */
  proto: 'http' | 'https';
  /** Keep and extend forwarding headers the visitor sent. */
  trust: boolean;
  /** Drop `Authorization` (consumed for the route's basic auth). */
  dropAuthorization: boolean;
  /** The route's request header changes, applied last. */
  changes: readonly HeaderChange[];
}

/** Per-connection memo of the `Forwarded` element (same visitor, usually the same Host). */
export interface ForwardedMemo {
  /** The Host the element was made for. */
  host: string | undefined;
  /** The element. */
  element: string | undefined;
}

/**
 * The request head for the service of a fast-path request ({@link FastRequestHead}): the
 * visitor's fields in their order and spelling, minus hop-by-hop ones (and Authorization
 * when consumed), plus X-Forwarded-For / -Proto / -Host and Forwarded, then the route's
 * changes; the same rules as {@link outgoingRequestHeaders} for Node's path. The fields
 * come from the strict fast-path parser, so nothing needs escaping.
 */
export function fastRequestHead(h: FastRequestHead, f: FastHeadFacts, memo: ForwardedMemo): string {
  const raw = h.rawHeaders;
  const kinds = h.kinds;
  const changes = f.changes;
  const changed = changes.length > 0 ? new Set(changes.map((c) => c.name)) : undefined;
  let s = `${h.method} ${h.target} HTTP/1.1\r\n`;
  for (let i = 0, k = 0; i < raw.length; i += 2, k++) {
    const kind = kinds[k];
    if (kind === FieldKind.HOP || kind === FieldKind.FORWARDING || (kind === FieldKind.AUTHORIZATION && f.dropAuthorization)) continue;
    if (changed !== undefined && changed.has(raw[i].toLowerCase())) continue;
    s += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  const address = f.address;
  if (!changed?.has('x-forwarded-for')) s += `x-forwarded-for: ${f.trust && h.xForwardedFor ? `${h.xForwardedFor}, ${address}` : address}\r\n`;
  if (!changed?.has('x-forwarded-proto')) s += `x-forwarded-proto: ${(f.trust && h.xForwardedProto) || f.proto}\r\n`;
  if (!changed?.has('x-forwarded-host')) s += `x-forwarded-host: ${(f.trust && h.xForwardedHost) || h.host}\r\n`;
  if (!changed?.has('forwarded')) {
    let element: string;
    if (memo.host === h.host && memo.element !== undefined) element = memo.element;
    else {
      element = formatForwardedElement({ for: forwardedNode(address), host: h.host, proto: f.proto });
      memo.host = h.host;
      memo.element = element;
    }
    const before = f.trust ? h.forwarded?.trim() : undefined;
    s += `forwarded: ${before ? `${before}, ${element}` : element}\r\n`;
  }
  if (changes.length > 0) for (const c of changes) if (c.value !== null) s += `${c.name}: ${c.value}\r\n`;
  return `${s}\r\n`;
}
