import crypto from 'node:crypto';
import { ErrorCodes, TfgwError } from '@tfgw/core';

/** One header change: set `name` to `value`, or remove it when `value` is null. */
export interface HeaderChange {
  /** Header name, lower case. */
  name: string;
  /** New value, or null to remove the header. */
  value: string | null;
}

/** The HTTP options of one route (from the service's `options`), checked and ready to use. */
export interface RouteHttpOptions {
  /** sha256 digests of the accepted `user:pass` pairs; empty = no basic auth. */
  basicAuth: Buffer[];
  /** Changes to requests sent to the service. */
  requestHeaders: HeaderChange[];
  /** Changes to responses sent to visitors. */
  responseHeaders: HeaderChange[];
}

/** Headers that frame the message or the connection: never rewritten by route options. */
const FRAMING_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer']);
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

function bad(path: string, message: string): TfgwError {
  return new TfgwError(ErrorCodes.CONFIG, `options.${path}: ${message}`, { details: { path: `options.${path}` } });
}

function digest(pair: string): Buffer {
  return crypto.createHash('sha256').update(pair, 'utf8').digest();
}

function readBasicAuth(value: unknown): Buffer[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((pair, i) => {
    const where = Array.isArray(value) ? `basicAuth[${i}]` : 'basicAuth';
    if (typeof pair !== 'string' || !/^[^:]+:.+$/.test(pair)) throw bad(where, 'expected "user:pass"');
    if (/[\r\n\0]/.test(pair)) throw bad(where, 'must not contain control characters');
    return digest(pair);
  });
}

function readHeaderChanges(value: unknown, key: string): HeaderChange[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) throw bad(key, 'expected an object of header name -> value (or null to remove)');
  return Object.entries(value as Record<string, unknown>).map(([name, v]) => {
    if (!HEADER_NAME_RE.test(name)) throw bad(`${key}.${name}`, 'not a valid header name');
    const lower = name.toLowerCase();
    if (FRAMING_HEADERS.has(lower)) throw bad(`${key}.${name}`, 'framing headers (Connection, Content-Length, Transfer-Encoding, ...) cannot be rewritten');
    if (v !== null && typeof v !== 'string') throw bad(`${key}.${name}`, 'expected a string, or null to remove the header');
    if (typeof v === 'string' && !HEADER_VALUE_RE.test(v)) throw bad(`${key}.${name}`, 'the value must not contain CR, LF or other control characters');
    return { name: lower, value: v as string | null };
  });
}

/**
 * Reads the HTTP options of a service (`basicAuth: 'user:pass' | string[]`,
 * `requestHeaders: {name: value | null}`, `responseHeaders: {...}`). Other keys are left
 * for other plugins (e.g. `websocketOnly` for protocol-ws). Throws TFGW_ERR_CONFIG naming
 * the option, which refuses the registration with that message.
 */
export function compileRouteOptions(options: Record<string, unknown>): RouteHttpOptions {
  return {
    basicAuth: readBasicAuth(options.basicAuth),
    requestHeaders: readHeaderChanges(options.requestHeaders, 'requestHeaders'),
    responseHeaders: readHeaderChanges(options.responseHeaders, 'responseHeaders'),
  };
}

/** Applies header changes to a Node headers object (lower-case keys) in place. */
export function applyHeaderChanges(headers: Record<string, string | string[] | number | undefined>, changes: readonly HeaderChange[]): void {
  for (const c of changes) {
    if (c.value === null) delete headers[c.name];
    else headers[c.name] = c.value;
  }
}
