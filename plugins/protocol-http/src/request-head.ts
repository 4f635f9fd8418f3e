import type { OutgoingHttpHeaders } from 'node:http';
import { ErrorCodes, TfgwError } from '@tfgw/core';

/** 1 for tchar (RFC 9110 §5.6.2). */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

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
