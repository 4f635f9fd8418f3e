import http from 'node:http';
import { TfgwError, asTfgwError, ErrorCodes, type VisitorInfo } from '@tfgw/core';
import { HttpErrorCodes } from './error-pages';
import { stripResponseHopByHop } from './headers';
import { applyHeaderChanges, type HeaderChange } from './route-options';
import type { RouteStreamAgent } from './stream-agent';

/** What {@link forwardRequest} needs besides the request and response. */
export interface ForwardOptions {
  /** The route's stream pool. */
  agent: RouteStreamAgent;
  /** The visitor, named in the header of a newly opened stream. */
  visitor: VisitorInfo;
  /** Origin-form path to request. */
  path: string;
  /** Headers for the service (see outgoingRequestHeaders). */
  headers: http.OutgoingHttpHeaders;
  /** The route's response header changes. */
  responseChanges: readonly HeaderChange[];
  /** Time the service has to send its response head; 0 = none. */
  responseTimeoutMs: number;
  /** Counters updated as bytes flow (the same object is returned in the result). */
  counters?: { bytesIn: number; bytesOut: number };
}

/** How a forwarded request ended. */
export interface ForwardResult {
  /** Request body bytes sent to the service. */
  bytesIn: number;
  /** Response body bytes sent to the visitor. */
  bytesOut: number;
  /** Why it failed before the service answered (the caller answers with a page), if it did. */
  error?: TfgwError;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** A bodiless idempotent request that failed on a reused stream before any answer is sent again, at most this often. */
const MAX_RETRIES = 2;

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/**
 * Sends a visitor's request to the service over a pooled stream and streams the answer back
 * (bodies flow both ways without buffering; backpressure follows the pipes). Resolves once
 * the exchange is over. Before the service answered, failures resolve with `error` set
 * (the caller sends the error page); after, the visitor's connection is destroyed, so a
 * truncated answer is never mistaken for a whole one.
 */
export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, opts: ForwardOptions): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const counters = opts.counters ?? { bytesIn: 0, bytesOut: 0 };
    const withBody = hasBody(req);
    let settled = false;
    let answered = false;
    let current: http.ClientRequest | undefined;
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;

    const finish = (error?: TfgwError) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({ bytesIn: counters.bytesIn, bytesOut: counters.bytesOut, ...(error ? { error } : {}) });
    };

    // The visitor went away: abort the exchange with the service (its stream is not reused).
    res.once('close', () => {
      if (!res.writableFinished) current?.destroy();
      finish();
    });

    const attempt = () => {
      attempts++;
      const preq = http.request({
        agent: opts.agent,
        method: req.method,
        path: opts.path,
        headers: opts.headers,
        setHost: false,
        // Passed through the Agent to createConnection, for the stream header.
        tfgwVisitor: opts.visitor,
      } as http.RequestOptions);
      current = preq;
      if (opts.responseTimeoutMs > 0) {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => preq.destroy(new TfgwError(HttpErrorCodes.RESPONSE_TIMEOUT, `the service did not answer within ${opts.responseTimeoutMs} ms (responseTimeoutMs)`)), opts.responseTimeoutMs);
        timer.unref();
      }
      preq.on('error', (err) => {
        if (answered || settled) {
          res.destroy();
          return;
        }
        const retry = preq.reusedSocket && !withBody && IDEMPOTENT.has(req.method ?? '') && attempts <= MAX_RETRIES;
        if (retry) {
          attempt();
          return;
        }
        finish(asTfgwError(err, ErrorCodes.CONNECTION_RESET));
      });
      preq.on('response', (pres) => {
        if (settled) {
          preq.destroy();
          return;
        }
        answered = true;
        if (timer) clearTimeout(timer);
        const headers = stripResponseHopByHop(pres.headers);
        applyHeaderChanges(headers as Record<string, string | string[] | number | undefined>, opts.responseChanges);
        try {
          res.writeHead(pres.statusCode ?? 502, pres.statusMessage, headers);
        } catch (err) {
          pres.destroy();
          preq.destroy();
          finish(new TfgwError(ErrorCodes.BAD_MESSAGE, `the service sent an invalid response head: ${(err as Error).message}`, { cause: err }));
          return;
        }
        pres.pipe(res);
        pres.on('data', (chunk: Buffer) => (counters.bytesOut += chunk.length));
        // A stream that dies mid-answer (agent gone, service reset) must not look like a whole answer.
        pres.once('close', () => {
          if (!pres.complete) res.destroy();
        });
      });
      if (withBody) {
        req.pipe(preq);
        req.on('data', (chunk: Buffer) => (counters.bytesIn += chunk.length));
      } else {
        preq.end();
      }
    };
    attempt();
  });
}
