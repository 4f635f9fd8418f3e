import type { Duplex } from 'node:stream';
import type { Route, VisitorInfo } from '@tfgw/core';

/** Options of a {@link TunnelPool}. */
export interface TunnelPoolOptions {
  /** Idle streams kept for reuse (0 = a new stream per request); more stay only while they keep being reused (see TunnelPool). */
  maxIdleStreams: number;
  /** An idle stream is closed after at most this long. */
  idleTimeoutMs: number;
}

/** Whoever uses a pooled stream for one exchange: gets its bytes and its end. */
export interface TunnelUser {
  /** Bytes from the service. */
  onStreamData(chunk: Buffer): void;
  /** The service ended its side. */
  onStreamEnd(): void;
  /** The stream is gone (`err` when it failed). */
  onStreamClose(err: Error | undefined): void;
}

/**
 * One tunnel stream of a route, owned by at most one exchange at a time. Its listeners are
 * attached once for its whole life and forward to the current owner, so reusing it costs
 * no listener churn. Bytes that arrive while nobody owns it mean the service sent more than
 * it framed: the stream is destroyed, never read as the next visitor's answer.
 */
export class PooledStream {
  /** The exchange using it, or null while idle. */
  owner: TunnelUser | null = null;
  /** True once it served an exchange (a failure on it may be a stale keep-alive connection). */
  reused = false;
  /** When it went idle (performance.now()). */
  idleSince = 0;
  /** The stream ended or closed: never reuse. */
  dead = false;
  private error: Error | undefined;

  constructor(
    readonly stream: Duplex,
    private readonly pool: TunnelPool,
  ) {
    stream.on('data', (chunk: Buffer) => {
      const owner = this.owner;
      if (owner) owner.onStreamData(chunk);
      else stream.destroy();
    });
    stream.on('end', () => {
      this.dead = true;
      // Like a socket without allowHalfOpen: the service is done, finish our side too.
      if (!stream.writableEnded) stream.end();
      const owner = this.owner;
      if (owner) owner.onStreamEnd();
      else pool.forget(this);
    });
    stream.on('error', (err: Error) => {
      this.error = err;
    });
    stream.on('close', () => {
      this.dead = true;
      pool.forget(this);
      const owner = this.owner;
      this.owner = null;
      owner?.onStreamClose(this.error);
    });
  }

  /** Closes the stream (mid-exchange or unusable). */
  destroy(): void {
    this.dead = true;
    this.owner = null;
    this.stream.destroy();
  }
}

/**
 * The tunnel streams of one route, reused across requests like a reverse proxy's upstream
 * keep-alive connections (LIFO, so a few streams stay warm and the rest age out). A stream
 * serves one exchange at a time; the stream header names the visitor of its first
 * exchange, forwarding headers name each request's own visitor.
 *
 * `maxIdleStreams` is enforced by the sweep, not at release: under more concurrency than
 * that, streams go idle and are taken again within milliseconds, and closing them at
 * release only to open new ones a moment later (a stream open costs the agent a dial to the
 * service) made 500 concurrent visitors 2.3 times slower than with a large enough cap.
 * Each sweep (every quarter of `idleTimeoutMs`, at most 1 s) closes the oldest idle streams
 * beyond `maxIdleStreams` that were not reused since the previous sweep, and every stream
 * idle for `idleTimeoutMs`.
 */
export class TunnelPool {
  private readonly idle: PooledStream[] = [];
  /** Every open stream, idle or in use (touched only when a stream opens or closes, not per request). */
  private readonly all = new Set<PooledStream>();
  private pooling: boolean;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepMs: number;

  constructor(
    private readonly route: Route,
    private readonly opts: TunnelPoolOptions,
  ) {
    this.pooling = opts.maxIdleStreams > 0;
    this.sweepMs = Math.max(10, Math.min(1000, Math.floor(opts.idleTimeoutMs / 4)));
  }

  /** Idle streams now (for tests and metrics). */
  get idleCount(): number {
    return this.idle.length;
  }

  /** The most recently used idle stream, owned by `user`, or undefined when none is idle. */
  takeIdle(user: TunnelUser): PooledStream | undefined {
    for (;;) {
      const ps = this.idle.pop();
      if (!ps) return undefined;
      if (ps.dead) continue;
      ps.owner = user;
      return ps;
    }
  }

  /** Opens a new stream owned by `user` (rejects with the route's coded error: agent offline, service unreachable, ...). */
  async open(visitor: VisitorInfo, user: TunnelUser): Promise<PooledStream> {
    const stream = await this.route.connect(visitor);
    const ps = new PooledStream(stream, this);
    ps.owner = user;
    if (ps.dead) return ps;
    this.all.add(ps);
    return ps;
  }

  /** An exchange is over and left the stream clean: keep it for the next one (or close it when the pool is full or stopped). */
  release(ps: PooledStream): void {
    ps.owner = null;
    if (ps.dead) return;
    if (!this.pooling) {
      ps.destroy();
      return;
    }
    ps.reused = true;
    ps.idleSince = performance.now();
    this.idle.push(ps);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
      this.sweeper.unref();
    }
  }

  /** A stream is gone: drop it from the lists. */
  forget(ps: PooledStream): void {
    this.all.delete(ps);
    const i = this.idle.indexOf(ps);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes idle streams and pools no more: streams in use close when their exchange ends. */
  stopPooling(): void {
    this.pooling = false;
    for (const ps of this.idle.splice(0)) ps.destroy();
    this.stopSweeper();
  }

  /** Closes every stream, idle or in use (the route is gone). */
  destroy(): void {
    this.stopPooling();
    for (const ps of [...this.all]) ps.destroy();
    this.all.clear();
  }

  /** Closes streams idle for (about) idleTimeoutMs: never later than that. */
  private sweep(): void {
    const now = performance.now();
    const expired = now - Math.max(0, this.opts.idleTimeoutMs - this.sweepMs);
    const unused = now - this.sweepMs;
    const excess = this.idle.length - this.opts.maxIdleStreams;
    // LIFO: the oldest are at the bottom.
    let n = 0;
    while (n < this.idle.length && (this.idle[n].idleSince <= expired || (n < excess && this.idle[n].idleSince <= unused))) n++;
    if (n > 0) for (const ps of this.idle.splice(0, n)) ps.destroy();
    if (this.idle.length === 0) this.stopSweeper();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
