import { TfgwError, asTfgwError, ErrorCodes, type VisitorInfo } from '@tfgw/core';
import { HttpErrorCodes } from './error-pages';
import { ResponseReader, type ResponseHead, type ResponseSink } from './response-parser';
import type { PooledStream, TunnelPool, TunnelUser } from './tunnel-pool';

/** A bodiless idempotent request that failed on a reused stream before any answer is sent again, at most this often. */
const MAX_RETRIES = 2;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** What every exchange of a route needs to reach the service (one object per route, shared). */
export interface ExchangeOptions {
  /** The route's stream pool. */
  pool: TunnelPool;
  /** Time the service has to send its response head; 0 = none. */
  responseTimeoutMs: number;
  /** Largest response head (and trailer section) accepted from the service. */
  maxHeadBytes: number;
}

/**
 * One request on its way to the service and its answer on the way back, over a pooled
 * tunnel stream. This base class owns the service side: it takes a stream from the pool
 * (or opens one), writes the request head, reads the answer with {@link ResponseReader},
 * retries a bodiless idempotent request whose reused stream turned out stale, enforces the
 * response timeout, and gives the stream back to the pool only when the exchange left it
 * clean (whole request sent, whole answer read, nothing extra, keep-alive); otherwise it is
 * closed. Subclasses deliver the answer to the visitor (a Node `ServerResponse`, or the raw
 * socket of the fast path) and may stream a request body.
 */
export abstract class TunnelExchange implements TunnelUser, ResponseSink {
  protected ps: PooledStream | undefined;
  protected reader: ResponseReader | undefined;
  protected head: ResponseHead | undefined;
  private attempts = 0;
  /** The visitor's response head was written. */
  protected answered = false;
  protected settled = false;
  /** The whole request (head and body) went to the stream. */
  protected requestSent = false;
  private streamPaused = false;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param opts pool and limits
   * @param visitor the visitor, named in the header of a newly opened stream
   * @param requestHead the request head bytes for the service
   * @param method request method (HEAD answers have no body; only idempotent ones are retried)
   * @param withBody the request has a body (never retried; {@link sendBody} streams it)
   */
  constructor(
    protected readonly opts: ExchangeOptions,
    private readonly visitor: VisitorInfo,
    private readonly requestHead: Buffer,
    protected readonly method: string,
    protected readonly withBody: boolean,
  ) {}

  // ---- what subclasses provide ----

  /** Writes the visitor's response head. A throw means the head is unusable (502 TFGW_ERR_BAD_MESSAGE). */
  protected abstract deliverHead(head: ResponseHead): void;
  /** Writes a piece of the body; false when the visitor is congested (call {@link visitorDrained} later). */
  protected abstract deliverBody(chunk: Buffer): boolean;
  /** The answer is complete. */
  protected abstract deliverEnd(): void;
  /** The answer broke after its head went out: close the visitor's connection (a cut answer must not look whole). */
  protected abstract cutVisitor(): void;
  /** The exchange is over; `error` when it failed before the service answered (answer with a page). Called once. */
  protected abstract finished(error: TfgwError | undefined): void;
  /** Streams the request body into the stream (only when `withBody`); sets {@link requestSent} at its end. */
  protected sendBody(_ps: PooledStream): void {
    this.requestSent = true;
  }
  /** Called after each piece of the answer was handled (the fast path uncorks the visitor socket here). */
  protected afterFeed(): void {}
  /**
   * Starts the response timeout: {@link timedOut} is called unless {@link disarmTimeout}
   * comes first. This default sets a timer per exchange; the fast path re-arms one timer
   * per connection instead (no Timeout object per request). A shared set of the exchanges
   * in flight, swept by one interval, was tried and is much worse: it made V8's scavenges
   * 5-10 times slower and promoted megabytes per scavenge (measured with --trace-gc).
   */
  protected armTimeout(ms: number): void {
    this.timer = setTimeout(() => this.timedOut(), ms);
    this.timer.unref();
  }
  /** Stops the response timeout (the head arrived, or the exchange is over). */
  protected disarmTimeout(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  // ---- flow ----

  /** The request is HEAD. */
  get headRequest(): boolean {
    return this.method === 'HEAD';
  }

  /** Starts the exchange. */
  start(): void {
    if (this.opts.responseTimeoutMs > 0) this.armTimeout(this.opts.responseTimeoutMs);
    this.attempt();
  }

  private attempt(): void {
    this.attempts++;
    const ps = this.opts.pool.takeIdle(this);
    if (ps) {
      this.send(ps);
      return;
    }
    this.opts.pool.open(this.visitor, this).then(
      (opened) => {
        if (this.settled) opened.destroy();
        else this.send(opened);
      },
      (err: unknown) => this.fail(asTfgwError(err, ErrorCodes.CONNECTION_RESET)),
    );
  }

  private send(ps: PooledStream): void {
    this.ps = ps;
    this.reader = new ResponseReader(this, this.method === 'HEAD', this.opts.maxHeadBytes);
    ps.stream.write(this.requestHead);
    if (this.withBody) this.sendBody(ps);
    else this.requestSent = true;
  }

  /** The visitor can take more: resume reading the answer. */
  protected visitorDrained(): void {
    if (!this.streamPaused) return;
    this.streamPaused = false;
    this.ps?.stream.resume();
  }

  /** The visitor went away before the exchange ended: the stream is closed, never reused mid-exchange. */
  visitorGone(): void {
    if (this.settled) return;
    this.reader?.abort();
    const ps = this.ps;
    this.ps = undefined;
    ps?.destroy();
    this.settle(undefined);
  }

  // ---- TunnelUser ----

  onStreamData(chunk: Buffer): void {
    try {
      this.reader!.feed(chunk);
    } catch (err) {
      this.streamFailed(asTfgwError(err, ErrorCodes.BAD_MESSAGE));
    }
    this.afterFeed();
  }

  onStreamEnd(): void {
    try {
      this.reader?.end();
    } catch (err) {
      this.streamFailed(asTfgwError(err, ErrorCodes.CONNECTION_RESET));
    }
    this.afterFeed();
  }

  onStreamClose(err: Error | undefined): void {
    if (this.settled || this.reader?.complete) return;
    this.streamFailed(asTfgwError(err ?? new TfgwError(ErrorCodes.CONNECTION_RESET, 'the tunnel stream closed before the answer was complete'), ErrorCodes.CONNECTION_RESET));
    this.afterFeed();
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
      const retry = ps !== undefined && ps.reused && received === 0 && !this.withBody && err.code !== ErrorCodes.BAD_MESSAGE && IDEMPOTENT.has(this.method) && this.attempts <= MAX_RETRIES;
      if (retry) {
        this.attempt();
        return;
      }
      this.fail(err);
      return;
    }
    this.cutVisitor();
    this.settle(undefined);
  }

  // ---- ResponseSink ----

  onHead(head: ResponseHead): void {
    this.disarmTimeout();
    this.head = head;
    try {
      this.deliverHead(head);
    } catch (err) {
      this.streamFailed(new TfgwError(ErrorCodes.BAD_MESSAGE, `the service sent an invalid response head: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.answered = true;
  }

  onBody(chunk: Buffer): void {
    if (!this.deliverBody(chunk) && !this.streamPaused && this.ps) {
      this.streamPaused = true;
      this.ps.stream.pause();
    }
  }

  onEnd(extra: boolean): void {
    const ps = this.ps!;
    this.ps = undefined;
    if (this.streamPaused) {
      this.streamPaused = false;
      ps.stream.resume();
    }
    if (!extra && this.head!.keepAlive && this.requestSent && !ps.dead) this.opts.pool.release(ps);
    else ps.destroy();
    this.deliverEnd();
    this.settle(undefined);
  }

  // ---- the end ----

  /** The service did not answer in time. */
  timedOut(): void {
    if (this.settled || this.answered) return;
    this.reader?.abort();
    const ps = this.ps;
    this.ps = undefined;
    ps?.destroy();
    this.fail(new TfgwError(HttpErrorCodes.RESPONSE_TIMEOUT, `the service did not answer within ${this.opts.responseTimeoutMs} ms (responseTimeoutMs)`));
  }

  private fail(error: TfgwError): void {
    this.settle(error);
  }

  private settle(error: TfgwError | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.disarmTimeout();
    this.finished(error);
  }
}

