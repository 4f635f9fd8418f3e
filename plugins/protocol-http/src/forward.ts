import type http from 'node:http';
import { TfgwError, asTfgwError, ErrorCodes, type VisitorInfo } from '@tfgw/core';
import { HttpErrorCodes } from './error-pages';
import type { HeaderChange } from './route-options';
import { serializeRequestHead } from './request-head';
import { ResponseReader, type ResponseHead, type ResponseSink } from './response-parser';
import type { PooledStream, TunnelPool, TunnelUser } from './tunnel-pool';

/** What {@link forwardRequest} needs besides the request and response. */
export interface ForwardOptions {
  /** The route's stream pool. */
  pool: TunnelPool;
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
  /** Largest response head (and trailer section) accepted from the service. */
  maxHeadBytes: number;
  /** Check method, target and headers before sending (an httpRequest tap may have changed them). */
  checkHead: boolean;
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
const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** Response fields never passed to the visitor (hop-by-hop; Node frames the visitor's response itself). */
const RESPONSE_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'trailer', 'upgrade']);
/** Lengths of those names and of content-length: other names are passed on without lower-casing. */
const CHECKED_NAME_LENGTH = new Uint8Array(32);
for (const n of [...RESPONSE_HOP_BY_HOP, 'content-length']) CHECKED_NAME_LENGTH[n.length] = 1;

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/**
 * The fields of the service's answer to send to the visitor, flat (`name, value, ...`):
 * hop-by-hop fields and those `Connection` names removed, one Content-Length, then the
 * route's changes (set or removed).
 */
export function visitorResponseHeaders(head: ResponseHead, changes: readonly HeaderChange[]): string[] {
  const raw = head.rawHeaders;
  const tokens = head.connectionTokens;
  const out: string[] = [];
  let contentLength = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const len = name.length;
    if (tokens !== undefined || changes.length > 0 || (len < 32 && CHECKED_NAME_LENGTH[len] === 1)) {
      const lname = name.toLowerCase();
      if (RESPONSE_HOP_BY_HOP.has(lname) || tokens?.includes(lname)) continue;
      if (lname === 'content-length') {
        if (contentLength) continue;
        contentLength = true;
      }
      if (changes.length > 0 && changes.some((c) => c.name === lname)) continue;
    }
    out.push(name, raw[i + 1]);
  }
  for (const c of changes) if (c.value !== null) out.push(c.name, c.value);
  return out;
}

/**
 * One request on its way to the service and its answer on the way back, over a pooled
 * tunnel stream: the request head is written as one buffer and the body streamed (re-chunked
 * when the visitor sent it chunked); the answer is read by {@link ResponseReader} and written
 * to the visitor's `ServerResponse` with backpressure both ways. The stream goes back to the
 * pool only when the exchange left it clean (whole request sent, whole answer read, nothing
 * extra, keep-alive); otherwise it is closed.
 */
class Exchange implements TunnelUser, ResponseSink {
  private ps: PooledStream | undefined;
  private reader: ResponseReader | undefined;
  private head: ResponseHead | undefined;
  private attempts = 0;
  /** The visitor's response head was written. */
  private answered = false;
  private settled = false;
  /** The whole request (head and body) went to the stream. */
  private requestSent = false;
  private bodyAttached = false;
  private streamPaused = false;
  private reqPaused = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly requestHead: Buffer;
  private readonly withBody: boolean;
  private readonly chunked: boolean;
  private readonly counters: { bytesIn: number; bytesOut: number };

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly opts: ForwardOptions,
    private readonly resolve: (r: ForwardResult) => void,
  ) {
    this.counters = opts.counters ?? { bytesIn: 0, bytesOut: 0 };
    this.withBody = hasBody(req);
    this.chunked = this.withBody && req.headers['transfer-encoding'] !== undefined;
    this.requestHead = Buffer.from(serializeRequestHead(req.method ?? 'GET', opts.path, opts.headers, opts.checkHead), 'latin1');
  }

  start(): void {
    this.res.once('close', this.onResClose);
    if (this.opts.responseTimeoutMs > 0) {
      this.timer = setTimeout(this.onTimeout, this.opts.responseTimeoutMs);
      this.timer.unref();
    }
    this.attempt();
  }

  private attempt(): void {
    this.attempts++;
    const ps = this.opts.pool.takeIdle(this);
    if (ps) {
      this.send(ps);
      return;
    }
    this.opts.pool.open(this.opts.visitor, this).then(
      (opened) => {
        if (this.settled) opened.destroy();
        else this.send(opened);
      },
      (err: unknown) => this.fail(asTfgwError(err, ErrorCodes.CONNECTION_RESET)),
    );
  }

  private send(ps: PooledStream): void {
    this.ps = ps;
    this.reader = new ResponseReader(this, this.req.method === 'HEAD', this.opts.maxHeadBytes);
    ps.stream.write(this.requestHead);
    if (!this.withBody) {
      this.requestSent = true;
      return;
    }
    this.bodyAttached = true;
    this.req.on('data', this.onReqData);
    this.req.on('end', this.onReqEnd);
  }

  // ---- request body ----

  private readonly onReqData = (chunk: Buffer): void => {
    this.counters.bytesIn += chunk.length;
    const ps = this.ps;
    if (!ps || ps.dead || chunk.length === 0) return;
    const data = this.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF]) : chunk;
    if (!ps.stream.write(data)) {
      this.reqPaused = true;
      this.req.pause();
      ps.stream.once('drain', this.onStreamDrain);
    }
  };

  private readonly onStreamDrain = (): void => {
    if (!this.reqPaused) return;
    this.reqPaused = false;
    this.req.resume();
  };

  private readonly onReqEnd = (): void => {
    this.detachBody();
    const ps = this.ps;
    if (!ps || ps.dead) return;
    if (this.chunked) ps.stream.write(LAST_CHUNK);
    this.requestSent = true;
  };

  private detachBody(): void {
    if (!this.bodyAttached) return;
    this.bodyAttached = false;
    this.req.removeListener('data', this.onReqData);
    this.req.removeListener('end', this.onReqEnd);
    this.ps?.stream.removeListener('drain', this.onStreamDrain);
    if (this.reqPaused) {
      this.reqPaused = false;
      this.req.resume();
    }
  }

  // ---- TunnelUser ----

  onStreamData(chunk: Buffer): void {
    try {
      this.reader!.feed(chunk);
    } catch (err) {
      this.streamFailed(asTfgwError(err, ErrorCodes.BAD_MESSAGE));
    }
  }

  onStreamEnd(): void {
    try {
      this.reader?.end();
    } catch (err) {
      this.streamFailed(asTfgwError(err, ErrorCodes.CONNECTION_RESET));
    }
  }

  onStreamClose(err: Error | undefined): void {
    if (this.settled || this.reader?.complete) return;
    this.streamFailed(asTfgwError(err ?? new TfgwError(ErrorCodes.CONNECTION_RESET, 'the tunnel stream closed before the answer was complete'), ErrorCodes.CONNECTION_RESET));
  }

  /** The stream broke or the answer was malformed: retry, answer with a page, or cut the visitor's connection. */
  private streamFailed(err: TfgwError): void {
    if (this.settled) return;
    const ps = this.ps;
    const received = this.reader?.received ?? 0;
    this.reader?.abort();
    this.ps = undefined;
    ps?.destroy();
    if (!this.answered) {
      const retry =
        ps !== undefined && ps.reused && received === 0 && !this.withBody && err.code !== ErrorCodes.BAD_MESSAGE && IDEMPOTENT.has(this.req.method ?? '') && this.attempts <= MAX_RETRIES;
      if (retry) {
        this.attempt();
        return;
      }
      this.fail(err);
      return;
    }
    // Mid-answer: a truncated answer must never look whole.
    this.res.destroy();
    this.settle();
  }

  // ---- ResponseSink ----

  onHead(head: ResponseHead): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.head = head;
    try {
      this.res.writeHead(head.statusCode, head.statusMessage, visitorResponseHeaders(head, this.opts.responseChanges));
    } catch (err) {
      this.streamFailed(new TfgwError(ErrorCodes.BAD_MESSAGE, `the service sent an invalid response head: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.answered = true;
  }

  onBody(chunk: Buffer): void {
    this.counters.bytesOut += chunk.length;
    if (!this.res.write(chunk) && !this.streamPaused && this.ps) {
      this.streamPaused = true;
      this.ps.stream.pause();
      this.res.once('drain', this.onResDrain);
    }
  }

  private readonly onResDrain = (): void => {
    if (!this.streamPaused) return;
    this.streamPaused = false;
    this.ps?.stream.resume();
  };

  onEnd(extra: boolean): void {
    const ps = this.ps!;
    this.ps = undefined;
    if (this.streamPaused) {
      this.streamPaused = false;
      this.res.removeListener('drain', this.onResDrain);
      ps.stream.resume();
    }
    const clean = !extra && this.head!.keepAlive && this.requestSent && !ps.dead;
    this.detachBody();
    if (clean) this.opts.pool.release(ps);
    else ps.destroy();
    this.res.end();
    this.settle();
  }

  // ---- the end ----

  private readonly onTimeout = (): void => {
    this.timer = undefined;
    if (this.settled || this.answered) return;
    this.reader?.abort();
    const ps = this.ps;
    this.ps = undefined;
    ps?.destroy();
    this.fail(new TfgwError(HttpErrorCodes.RESPONSE_TIMEOUT, `the service did not answer within ${this.opts.responseTimeoutMs} ms (responseTimeoutMs)`));
  };

  /** The visitor's response closed: finished, or the visitor went away (then the stream is closed, never reused mid-exchange). */
  private readonly onResClose = (): void => {
    if (!this.settled) {
      this.reader?.abort();
      const ps = this.ps;
      this.ps = undefined;
      ps?.destroy();
    }
    this.settle();
  };

  private fail(error: TfgwError): void {
    if (this.settled) return;
    this.detachBody();
    this.settle(error);
  }

  private settle(error?: TfgwError): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.resolve({ bytesIn: this.counters.bytesIn, bytesOut: this.counters.bytesOut, ...(error ? { error } : {}) });
  }
}

/**
 * Sends a visitor's request to the service over a pooled stream and streams the answer back
 * (bodies flow both ways without buffering; backpressure follows). Resolves once the
 * exchange is over. Before the service answered, failures resolve with `error` set (the
 * caller sends the error page); after, the visitor's connection is destroyed, so a
 * truncated answer is never mistaken for a whole one. A bodiless idempotent request that
 * fails on a reused stream before any answer byte is sent again on another stream.
 */
export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, opts: ForwardOptions): Promise<ForwardResult> {
  return new Promise((resolve) => {
    try {
      new Exchange(req, res, opts, resolve).start();
    } catch (err) {
      resolve({ bytesIn: 0, bytesOut: 0, error: asTfgwError(err) });
    }
  });
}
