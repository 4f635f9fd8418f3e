import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import type { TfgwError, VisitorInfo } from '@tfgw/core';
import { renderPage, ERROR_CODE_HEADER, type ErrorPage } from './error-pages';
import { TunnelExchange, type ExchangeOptions } from './exchange';
import { keepResponseField } from './forward';
import type { ForwardedMemo } from './request-head';
import { parseFastRequestHead, type FastRequestHead } from './request-parser';
import type { HeaderChange } from './route-options';
import type { ResponseHead } from './response-parser';

/**
 * The ingress's fast path: plain HTTP/1.1 requests (no body, or a small one that arrived
 * with its head) are read straight from the
 * visitor's socket ({@link parseFastRequestHead}), forwarded, and answered by writing the
 * response bytes to the socket, without Node's HTTP server objects (IncomingMessage,
 * ServerResponse, their events and timers), which cost about as much again as the rest of
 * the ingress. Everything else, from the first request that is not plain on, is handed
 * with its bytes to Node's HTTP server, which serves the connection from then on: uploads,
 * upgrades, `Expect`, HTTP/1.0, heads split over several reads (slow clients), oversized or
 * malformed heads, unknown hosts, basic-auth failures, `httpRequest` taps.
 */

/** A request the fast path accepted, ready to forward. */
export interface FastForward {
  /** The route's pool and limits. */
  exchange: ExchangeOptions;
  /** The visitor, named in the header of a newly opened stream. */
  visitor: VisitorInfo;
  /** The request head for the service. */
  requestHead: Buffer;
  /** The route's response header changes. */
  responseChanges: readonly HeaderChange[];
  /** For the log line and the byte counts (updated as the exchange goes). */
  log: FastRequestLog;
}

/** The log facts of one request of the fast path. */
export interface FastRequestLog {
  started: number;
  method: string;
  host: string;
  path: string;
  visitor: string;
  bytesIn: number;
  bytesOut: number;
  code?: string;
  /** Opaque for the fast path: the route, for the log. */
  route?: unknown;
}

/** What the fast path needs from the ingress. */
export interface FastPathHost {
  /** Routes and admits a request: a forward, a page to answer (e.g. the visitor hook refused), or undefined to hand the request to Node's server. May be async (a visitor hook with async taps). */
  admitFast(head: FastRequestHead, body: Buffer | null, conn: FastConnection): FastForward | { page: ErrorPage; log: FastRequestLog } | undefined | Promise<FastForward | { page: ErrorPage; log: FastRequestLog } | undefined>;
  /** The page for an error that stopped a forwarded request before the service answered. */
  pageFor(err: TfgwError, log: FastRequestLog): ErrorPage;
  /** Logs one finished request and counts its bytes. */
  finishLog(log: FastRequestLog, status: number): void;
  /** Gives the connection (and bytes already read from it) to Node's HTTP server. */
  handOver(socket: net.Socket, bytes: Buffer | null): void;
  /** The connection closed or was handed over. */
  forget(conn: FastConnection): void;
  /** Something failed inside the fast path itself (a bug or a throwing tap): report it; the connection is closed. */
  internalError(err: unknown): void;
}

/** Timing and size limits of the fast path (the ingress options). */
export interface FastPathLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** The keep-alive fields of every answer (see {@link keepAliveFields}). */
  keepAliveFields: string;
}

/** The keep-alive fields for a keep-alive timeout, as Node's server writes them. */
export function keepAliveFields(keepAliveTimeoutMs: number): string {
  return keepAliveTimeoutMs > 0 ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n` : 'Connection: keep-alive\r\n';
}

let dateSecond = -1;
let dateText = '';
/** The current time as an HTTP date, computed at most once a second. */
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** `buf.latin1Write` (Node's own, skips `write`'s argument juggling) where it exists, else `write(…, 'latin1')`. */
const latin1Write: (buf: Buffer, text: string, at: number) => number =
  typeof (Buffer.prototype as { latin1Write?: unknown }).latin1Write === 'function'
    ? (buf, text, at) => (buf as unknown as { latin1Write(t: string, o: number): number }).latin1Write(text, at)
    : (buf, text, at) => buf.write(text, at, 'latin1');

const LAST_CHUNK = '0\r\n\r\n';
const CRLF = '\r\n';

/** Bodies up to this size are copied behind the response head, so head and body leave in one write. */
const COALESCE_BYTES = 16 * 1024;

/**
 * One request of the fast path: its answer is written to the visitor's socket as bytes,
 * head and first body piece in one write. Bodies the service frames as chunked or by
 * closing the stream go to the visitor chunked, so the visitor's connection stays usable.
 */
class RawExchange extends TunnelExchange {
  private corked = false;
  private chunkedOut = false;
  /** The response head, until it is written with the first body piece (or alone after the piece of input that brought it). */
  private pendingHead: string | null = null;
  /** Status sent to the visitor, for the log. */
  status = 0;

  constructor(
    private readonly conn: FastConnection,
    private readonly fwd: FastForward,
    method: string,
    /** The visitor's Accept, for an error page. */
    readonly accept: string | undefined,
    /** A body went with the head (in `requestHead`): the request is never sent twice. */
    withBody: boolean,
  ) {
    super(fwd.exchange, fwd.visitor, fwd.requestHead, method, withBody);
  }

  /** The body left with the head, in one write. */
  protected override sendBody(): void {
    this.requestSent = true;
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.conn.socket.cork();
  }

  protected deliverHead(head: ResponseHead): void {
    const raw = head.rawHeaders;
    const changes = this.fwd.responseChanges;
    let text = `HTTP/1.1 ${head.statusCode} ${head.statusMessage}\r\n`;
    for (let i = 0; i < raw.length; i += 2) if (keepResponseField(head, i >> 1, changes)) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
    if (changes.length > 0) for (const c of changes) if (c.value !== null) text += `${c.name}: ${c.value}\r\n`;
    if (!head.hasDate) text += `Date: ${httpDate()}\r\n`;
    if (head.framing === 'chunked' || head.framing === 'close') {
      this.chunkedOut = true;
      text += 'Transfer-Encoding: chunked\r\n';
    }
    text += this.conn.closeAfter ? 'Connection: close\r\n' : this.conn.keepAliveFields;
    this.status = head.statusCode;
    this.pendingHead = `${text}\r\n`;
  }

  protected deliverBody(chunk: Buffer): boolean {
    this.fwd.log.bytesOut += chunk.length;
    const socket = this.conn.socket;
    const head = this.pendingHead;
    let ok: boolean;
    if (head !== null && chunk.length <= COALESCE_BYTES) {
      // One buffer: head (+ chunk size line) + body (+ CRLF).
      this.pendingHead = null;
      const size = this.chunkedOut ? `${chunk.length.toString(16)}\r\n` : '';
      const tail = this.chunkedOut ? 2 : 0;
      const out = Buffer.allocUnsafe(head.length + size.length + chunk.length + tail);
      let at = latin1Write(out, head, 0);
      if (size.length > 0) at += latin1Write(out, size, at);
      at += chunk.copy(out, at);
      if (tail > 0) latin1Write(out, CRLF, at);
      ok = socket.write(out);
    } else {
      if (head !== null || this.chunkedOut) this.cork();
      if (head !== null) {
        this.pendingHead = null;
        socket.write(head, 'latin1');
      }
      if (this.chunkedOut) {
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write(CRLF, 'latin1');
      } else ok = socket.write(chunk);
    }
    if (!ok) socket.once('drain', this.onDrain);
    return ok;
  }

  private readonly onDrain = (): void => this.visitorDrained();

  protected deliverEnd(): void {
    const head = this.pendingHead;
    this.pendingHead = null;
    if (head !== null) this.conn.socket.write(this.chunkedOut ? head + LAST_CHUNK : head, 'latin1');
    else if (this.chunkedOut) this.conn.socket.write(LAST_CHUNK, 'latin1');
  }

  protected override afterFeed(): void {
    // A head whose body has not come yet goes out now: the visitor sees the answer start.
    const head = this.pendingHead;
    if (head !== null && this.answered && !this.settled) {
      this.pendingHead = null;
      this.conn.socket.write(head, 'latin1');
    }
    if (!this.corked) return;
    this.corked = false;
    this.conn.socket.uncork();
  }

  protected cutVisitor(): void {
    this.conn.socket.destroy();
  }

  protected override armTimeout(ms: number): void {
    this.conn.armResponseTimer(this, ms);
  }

  protected override disarmTimeout(): void {
    this.conn.disarmResponseTimer(this);
  }

  protected finished(error: TfgwError | undefined): void {
    this.conn.exchangeDone(this, this.fwd.log, error);
  }
}

/**
 * A visitor connection served by the fast path, one request at a time (pipelined requests
 * wait in the buffer). Keep-alive: after `headersTimeoutMs` without a first request, or
 * `keepAliveTimeoutMs` idle after an answer, the connection is closed.
 */
export class FastConnection {
  private buf: Buffer | null = null;
  private exchange: RawExchange | null = null;
  private waiting = false;
  private paused = false;
  private gone = false;
  private ended = false;
  private timeoutMs = 0;
  /** The response timer, one per connection, re-armed per request (see TunnelExchange.armTimeout). */
  private responseTimer: NodeJS.Timeout | undefined;
  private timedExchange: RawExchange | null = null;
  private responseDeadline = 0;
  /** Close the connection after the current answer (the visitor asked, or the ingress is stopping). */
  closeAfter = false;
  /** The visitor's address and port (read once). */
  readonly address: string;
  readonly port: number;
  /** `Connection: keep-alive` and the `Keep-Alive: timeout=` hint Node's server sends too (clients close idle connections before the server does). */
  get keepAliveFields(): string {
    return this.limits.keepAliveFields;
  }
  /** Per-connection memo for the forwarding headers (a keep-alive connection mostly asks for one host); `xff` is the visitor address as headers show it. */
  readonly cache: ForwardedMemo & { xff: string | undefined } = { host: undefined, element: undefined, xff: undefined };

  constructor(
    readonly socket: net.Socket,
    readonly proto: 'http' | 'https',
    private readonly host: FastPathHost,
    private readonly limits: FastPathLimits,
  ) {
    this.address = socket.remoteAddress ?? '';
    this.port = socket.remotePort ?? 0;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
    this.timeoutMs = limits.headersTimeoutMs;
    if (this.timeoutMs > 0) socket.setTimeout(this.timeoutMs);
  }

  /** True while no request is in flight. */
  get idle(): boolean {
    return this.exchange === null && !this.waiting;
  }

  /** Closes the connection now when idle, else after the current answer. */
  closeWhenIdle(): void {
    this.closeAfter = true;
    if (this.idle) this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.exchange !== null || this.waiting) {
      // Pipelined: wait for the answer in flight; do not read without bound meanwhile.
      if (this.buf.length > this.limits.maxHeaderBytes && !this.paused) {
        this.paused = true;
        this.socket.pause();
      }
      return;
    }
    this.process();
  };

  /** Serves the buffered requests until one is in flight, the buffer is empty, or the connection went to Node. Never throws. */
  private process(): void {
    try {
      this.serve();
    } catch (err) {
      this.fail(err);
    }
  }

  /** An unexpected failure: reported, and the connection is closed (never a throw out of an event handler). */
  private fail(err: unknown): void {
    this.host.internalError(err);
    this.socket.destroy();
  }

  /** Logs a finished request (a throwing requestLog tap must not break the connection or the tunnel). */
  private logDone(log: FastRequestLog, status: number): void {
    try {
      this.host.finishLog(log, status);
    } catch (err) {
      this.host.internalError(err);
    }
  }

  private serve(): void {
    while (this.exchange === null && !this.waiting && !this.gone) {
      if (this.closeAfter) {
        // Nothing after a request that closes the connection is read.
        this.buf = null;
        this.socket.end();
        return;
      }
      if (this.buf === null) {
        if (this.ended) this.socket.end();
        return;
      }
      const whole = this.buf;
      const end = whole.indexOf('\r\n\r\n', 0, 'latin1');
      // An incomplete head (a slow or huge one) or anything the fast path does not serve: Node's server takes over.
      if (end < 0 || end + 4 > this.limits.maxHeaderBytes) return this.handOver(whole);
      const head = parseFastRequestHead(whole.toString('latin1', 0, end));
      if (head === undefined) return this.handOver(whole);
      // A body must have arrived whole with its head; a longer upload streams through Node's server.
      const bodyEnd = end + 4 + head.contentLength;
      if (bodyEnd > whole.length) return this.handOver(whole);
      const body = head.contentLength > 0 ? whole.subarray(end + 4, bodyEnd) : null;
      const verdict = this.host.admitFast(head, body, this);
      if (verdict === undefined) return this.handOver(whole);
      this.buf = bodyEnd === whole.length ? null : whole.subarray(bodyEnd);
      if (head.close) this.closeAfter = true;
      if (verdict instanceof Promise) {
        this.waiting = true;
        verdict.then(
          (v) => {
            this.waiting = false;
            if (this.gone) return;
            if (v === undefined) {
              // Too late to hand over (the head was consumed): answer like Node would not, but safely.
              this.socket.destroy();
              return;
            }
            try {
              this.begin(head, v);
            } catch (err) {
              this.fail(err);
              return;
            }
            this.next();
          },
          (err: unknown) => {
            this.waiting = false;
            this.fail(err);
          },
        );
        return;
      }
      this.begin(head, verdict);
    }
  }

  private begin(head: FastRequestHead, verdict: FastForward | { page: ErrorPage; log: FastRequestLog }): void {
    if ('page' in verdict) {
      this.writePage(verdict.page, head.accept, head.method === 'HEAD', verdict.log);
      this.logDone(verdict.log, verdict.page.status);
      // The loop in process() goes on with buffered requests (no recursion).
      return;
    }
    const ex = new RawExchange(this, verdict, head.method, head.accept, head.contentLength > 0);
    this.exchange = ex;
    ex.start();
  }

  /** @internal Starts the response timeout of `ex`. */
  armResponseTimer(ex: RawExchange, ms: number): void {
    this.timedExchange = ex;
    this.responseDeadline = performance.now() + ms;
    if (this.responseTimer === undefined) {
      this.responseTimer = setTimeout(this.onResponseTimer, ms);
      this.responseTimer.unref();
    } else this.responseTimer.refresh();
  }

  /** @internal Stops it (the timer stays armed: when it fires it finds nothing to do). */
  disarmResponseTimer(ex: RawExchange): void {
    if (this.timedExchange === ex) this.timedExchange = null;
  }

  private readonly onResponseTimer = (): void => {
    const ex = this.timedExchange;
    if (ex === null) return;
    const left = this.responseDeadline - performance.now();
    if (left > 1) {
      this.responseTimer = setTimeout(this.onResponseTimer, left);
      this.responseTimer.unref();
      return;
    }
    this.timedExchange = null;
    ex.timedOut();
  };

  /** @internal An exchange ended (answered, failed before its answer, or cut). */
  exchangeDone(ex: RawExchange, log: FastRequestLog, error: TfgwError | undefined): void {
    if (this.exchange !== ex) return;
    this.exchange = null;
    let status = ex.status;
    if (error !== undefined && status === 0 && !this.gone && !this.socket.destroyed) {
      const page = this.host.pageFor(error, log);
      log.code = page.code;
      status = page.status;
      this.writePage(page, ex.accept, ex.headRequest, log);
    }
    this.logDone(log, status);
    this.next();
  }

  /** After an answer: close if asked to, else go on with buffered requests, or wait (keep-alive). */
  private next(): void {
    if (this.gone || this.exchange !== null) return;
    if (this.timeoutMs !== this.limits.keepAliveTimeoutMs) {
      this.timeoutMs = this.limits.keepAliveTimeoutMs;
      this.socket.setTimeout(this.timeoutMs);
    }
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    this.process();
  }

  private writePage(page: ErrorPage, accept: string | undefined, headRequest: boolean, log: FastRequestLog): void {
    const { type, body } = renderPage(page, accept);
    const length = Buffer.byteLength(body);
    let text = `HTTP/1.1 ${page.status} ${STATUS_CODES[page.status] ?? 'Error'}\r\ncontent-type: ${type}\r\ncontent-length: ${length}\r\ncache-control: no-store\r\n${ERROR_CODE_HEADER}: ${page.code}\r\n`;
    for (const [k, v] of Object.entries(page.headers ?? {})) text += `${k}: ${v}\r\n`;
    text += `date: ${httpDate()}\r\n`;
    text += this.closeAfter ? 'Connection: close\r\n' : this.keepAliveFields;
    text += '\r\n';
    this.socket.write(headRequest ? text : text + body, 'utf8');
    log.bytesOut = headRequest ? 0 : length;
  }

  private handOver(bytes: Buffer): void {
    if (this.responseTimer !== undefined) clearTimeout(this.responseTimer);
    this.responseTimer = undefined;
    this.gone = true;
    this.buf = null;
    this.detach();
    this.host.forget(this);
    // Half-closed already: Node's server would abort this request too (it ends the connection on the visitor's end).
    if (this.ended || this.socket.readableEnded) {
      this.socket.destroy();
      return;
    }
    this.host.handOver(this.socket, bytes);
  }

  private detach(): void {
    const s = this.socket;
    s.removeListener('data', this.onData);
    s.removeListener('end', this.onEnd);
    s.removeListener('close', this.onClose);
    s.removeListener('error', this.onError);
    s.removeListener('timeout', this.onTimeout);
    s.setTimeout(0);
  }

  private readonly onEnd = (): void => {
    this.ended = true;
    // allowHalfOpen: answer what was asked, then close.
    if (this.idle) this.process();
  };

  private readonly onError = (): void => {
    // 'close' follows.
  };

  private readonly onTimeout = (): void => {
    if (this.idle) this.socket.destroy();
  };

  private readonly onClose = (): void => {
    if (this.responseTimer !== undefined) clearTimeout(this.responseTimer);
    this.responseTimer = undefined;
    if (this.gone) return;
    this.gone = true;
    this.host.forget(this);
    const ex = this.exchange;
    if (ex) ex.visitorGone();
  };
}

