import type http from 'node:http';
import { asTfgwError } from '@tfgw/core';
import { AdminErrorCodes, statusForCode } from '../errors';

/** Headers every admin response carries: no caching, no sniffing, no framing, no referrer. */
export const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
});

/** Sends `body` as JSON with `status`. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends a text body (HTML, Prometheus text, ...) with `status` and `contentType`. */
export function sendText(res: http.ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * Sends `{code, message}` for any thrown value: a TfgwError keeps its code and gets the
 * status of {@link statusForCode}; anything else is a 500 `TFGW_ERR_INTERNAL` whose message
 * does not leak internals. `details` are never sent (they may name other owners).
 */
export function sendError(res: http.ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const e = asTfgwError(err, AdminErrorCodes.INTERNAL);
  const internal = e.code === AdminErrorCodes.INTERNAL;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, statusForCode(e.code), { code: e.code, message: internal ? 'internal error in the admin API' : e.message }, headers);
}
