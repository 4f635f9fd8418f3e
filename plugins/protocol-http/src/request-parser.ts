import { TCHAR, VCHAR } from './http-chars';

/**
 * The visitor-side parser of the ingress's fast path: a strict HTTP/1.1 request head
 * reader that accepts only plain, unambiguous requests (the common case: `GET /x` with
 * ordinary fields, or a small `POST` with a Content-Length) and says "not mine" for
 * everything else. A request it declines is
 * handed, bytes untouched, to Node's HTTP server, which is robust against hostile input
 * and answers every odd case (400, 431, 100-continue, uploads, upgrades, HTTP/1.0...). So
 * this parser never has to reject anything well: it only has to never accept something
 * Node would read differently (the tests check that against Node's own parser).
 */

/** What the fast path does with a field when it forwards the request. */
export const FieldKind = {
  /** Passed to the service as is. */
  PASS: 0,
  /** Hop-by-hop (Connection, Keep-Alive, TE, ...): dropped. */
  HOP: 1,
  /** X-Forwarded-* / Forwarded: replaced (or extended with trustForwarded). */
  FORWARDING: 2,
  /** Authorization: dropped when the gateway consumed it for the route's basic auth. */
  AUTHORIZATION: 3,
} as const;

/** A request head the fast path serves. */
export interface FastRequestHead {
  /** Method, upper case (one of the bodiless-capable methods). */
  method: string;
  /** Origin-form target (`/path?query`). */
  target: string;
  /** Fields as sent: name, value, name, value, ... (values without surrounding whitespace). */
  rawHeaders: string[];
  /** {@link FieldKind} of each field (index = field number). */
  kinds: number[];
  /** The Host value. */
  host: string;
  /** Body length (Content-Length), 0 when there is none. */
  contentLength: number;
  /** The visitor asked to close the connection after this answer. */
  close: boolean;
  /** Accept (pages are HTML when it includes text/html). */
  accept: string | undefined;
  /** Authorization, for the route's basic auth. */
  authorization: string | undefined;
  /** X-Forwarded-For sent by the visitor (repeated fields joined by ", "). */
  xForwardedFor: string | undefined;
  /** X-Forwarded-Proto sent by the visitor. */
  xForwardedProto: string | undefined;
  /** X-Forwarded-Host sent by the visitor. */
  xForwardedHost: string | undefined;
  /** Forwarded sent by the visitor. */
  forwarded: string | undefined;
}

/** Longest Content-Length value on the fast path: bodies up to 99 999 bytes (larger ones stream through Node's server). */
const MAX_BODY_DIGITS = 5;

/** Methods served by the fast path. CONNECT, TRACE and others go to Node. */
const FAST_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** 1 for request-target characters accepted here: visible ASCII except `#` (a fragment has no business in a request). */
const TARGET = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET[c] = 1;
TARGET[0x23] = 0;

function join(prev: string | undefined, value: string): string {
  return prev === undefined ? value : `${prev}, ${value}`;
}

/**
 * Parses a request head (`text`: latin1, without the final empty line). Returns undefined
 * when the request is not for the fast path: not HTTP/1.1, not origin-form,
 * `Transfer-Encoding`, a Content-Length that is not plain digits (or over 99 999, or given
 * twice), `Upgrade`, `Expect`, a `Connection` option other than close /
 * keep-alive, no Host or several, more than `maxFields` fields, or anything outside the
 * strict grammar (obs-fold, whitespace before a colon, bare CR or LF, controls).
 */
export function parseFastRequestHead(text: string, maxFields = 100): FastRequestHead | undefined {
  // Request line: METHOD SP origin-form SP HTTP/1.1
  const eol = text.indexOf('\r\n');
  const lineEnd = eol < 0 ? text.length : eol;
  const sp1 = text.indexOf(' ');
  if (sp1 <= 0 || sp1 > 7) return undefined;
  const method = text.slice(0, sp1);
  if (!FAST_METHODS.has(method)) return undefined;
  const sp2 = lineEnd - 9;
  if (sp2 <= sp1 + 1 || text.charCodeAt(sp2) !== 0x20 || !text.startsWith('HTTP/1.1', sp2 + 1)) return undefined;
  if (text.charCodeAt(sp1 + 1) !== 0x2f) return undefined;
  for (let i = sp1 + 1; i < sp2; i++) if (TARGET[text.charCodeAt(i)] !== 1) return undefined;
  const target = text.slice(sp1 + 1, sp2);

  const rawHeaders: string[] = [];
  const kinds: number[] = [];
  let host: string | undefined;
  let close = false;
  let accept: string | undefined;
  let authorization: string | undefined;
  let xForwardedFor: string | undefined;
  let xForwardedProto: string | undefined;
  let xForwardedHost: string | undefined;
  let forwarded: string | undefined;
  let contentLength = -1;
  let pos = eol < 0 ? text.length : eol + 2;
  while (pos < text.length) {
    if (kinds.length >= maxFields) return undefined;
    let end = text.indexOf('\r\n', pos);
    if (end < 0) end = text.length;
    let i = pos;
    while (i < end && TCHAR[text.charCodeAt(i)] === 1) i++;
    if (i === pos || i === end || text.charCodeAt(i) !== 0x3a) return undefined;
    let vs = i + 1;
    let ve = end;
    for (let k = vs; k < ve; k++) if (VCHAR[text.charCodeAt(k)] !== 1) return undefined;
    while (vs < ve && (text.charCodeAt(vs) === 0x20 || text.charCodeAt(vs) === 0x09)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 0x20 || text.charCodeAt(ve - 1) === 0x09)) ve--;
    const name = text.slice(pos, i);
    const value = text.slice(vs, ve);
    let kind: number = FieldKind.PASS;
    switch (name.toLowerCase()) {
      case 'host':
        if (host !== undefined || value === '') return undefined;
        host = value;
        break;
      case 'connection':
        kind = FieldKind.HOP;
        for (const part of value.split(',')) {
          const token = part.trim().toLowerCase();
          if (token === 'close') close = true;
          else if (token !== 'keep-alive' && token !== '') return undefined;
        }
        break;
      case 'content-length': {
        // One field, plain digits, a small body (it must also have arrived whole to stay here).
        if (contentLength >= 0 || value.length === 0 || value.length > MAX_BODY_DIGITS) return undefined;
        for (let k = 0; k < value.length; k++) {
          const c = value.charCodeAt(k);
          if (c < 0x30 || c > 0x39) return undefined;
        }
        contentLength = Number(value);
        break;
      }
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
      case 'http2-settings':
        return undefined;
      case 'keep-alive':
      case 'proxy-connection':
      case 'proxy-authorization':
      case 'te':
      case 'trailer':
        kind = FieldKind.HOP;
        break;
      case 'accept':
        accept = join(accept, value);
        break;
      case 'authorization':
        if (authorization !== undefined) return undefined;
        authorization = value;
        kind = FieldKind.AUTHORIZATION;
        break;
      case 'x-forwarded-for':
        xForwardedFor = join(xForwardedFor, value);
        kind = FieldKind.FORWARDING;
        break;
      case 'x-forwarded-proto':
        xForwardedProto = join(xForwardedProto, value);
        kind = FieldKind.FORWARDING;
        break;
      case 'x-forwarded-host':
        xForwardedHost = join(xForwardedHost, value);
        kind = FieldKind.FORWARDING;
        break;
      case 'forwarded':
        forwarded = join(forwarded, value);
        kind = FieldKind.FORWARDING;
        break;
      default:
        break;
    }
    rawHeaders.push(name, value);
    kinds.push(kind);
    pos = end + 2;
  }
  if (host === undefined) return undefined;
  return { method, target, rawHeaders, kinds, host, contentLength: contentLength < 0 ? 0 : contentLength, close, accept, authorization, xForwardedFor, xForwardedProto, xForwardedHost, forwarded };
}
