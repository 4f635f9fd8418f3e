import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { ErrorCodes, TfgwError } from '../errors';
import type { MuxedSession, MuxedSessionStats, MuxedStream } from '../muxer';
import { Flag, FrameType, GoAwayCode, HEADER_SIZE, MAX_UINT32, SPEC_INITIAL_WINDOW } from './constants';
import { encodeHeader, writeHeader } from './frame';
import { FrameDecoder, type FrameSink } from './frame-decoder';
import { resolveYamuxOptions, type ResolvedYamuxOptions, type YamuxOptions } from './options';
import { YamuxStream, type StreamHost } from './yamux-stream';

/**
 * Data writes wait for 'drain' once the connection holds this many unsent bytes. Above the
 * socket's own high-water mark on purpose: on loopback a write usually completes at once,
 * and waiting a tick for 'drain' after every 64 KiB chunk would halve throughput.
 */
export const CONN_HIGH_WATER = 1024 * 1024;

/**
 * Frames we send only because the peer asked (ping answers, resets of refused streams)
 * that may sit unflushed at once. A peer that floods pings without reading our answers
 * would otherwise grow our write buffer without bound; answers beyond this are dropped.
 */
export const MAX_UNFLUSHED_REPLIES = 1024;

/**
 * DATA payloads up to this size are copied behind their header into one buffer and written
 * once; larger ones go out corked as header + payload (one `writev`, payload not copied).
 * Below about 512 bytes the copy costs less than the corked path's bookkeeping; above it the
 * copy (and refilling Node's buffer pool) costs more (datapath.manual.ts, 64 B: -7%, 1 KiB: +8%).
 */
export const SMALL_FRAME_COPY = 512;

/** How long a graceful close waits for buffered frames to flush before destroying the connection. */
export const CLOSE_FLUSH_MS = 2000;

interface PendingPing {
  start: number;
  done: (rttMs: number) => void;
}

/**
 * A yamux session over any byte duplex (hashicorp/yamux `spec.md`). Implements
 * {@link MuxedSession}; streams are {@link YamuxStream}s.
 *
 * Events: `'stream'` (MuxedStream) for each stream the peer opens (unless `onStream` is
 * set; with neither, inbound streams are refused with RST), `'goaway'` (code) when the
 * peer announces it accepts no new streams, `'close'` (err?) once.
 */
export class YamuxSession extends EventEmitter implements MuxedSession, StreamHost, FrameSink {
  private readonly opts: ResolvedYamuxOptions;
  private readonly decoder: FrameDecoder;
  private readonly streamMap = new Map<number, YamuxStream>();
  private nextId: number;
  private maxInboundId = 0;
  private pendingOpens = 0;
  /** Opens waiting for a pending slot (FIFO, so SYNs leave in id order); entries may be done already. */
  private queuedOpens: YamuxStream[] = [];
  /** Live (not done) entries of {@link queuedOpens}. */
  private queuedOpenCount = 0;
  private remoteGoAway = false;
  private localGoAway = false;
  private isClosed = false;
  /** Target of the DATA payload being received; undefined means discard it. */
  private current: YamuxStream | undefined;
  private drainWaiters: YamuxStream[] = [];
  private unflushedReplies = 0;
  /** Never below the connection's own high-water mark, or 'drain' (which needs it crossed) might never come. */
  private readonly connHighWater: number;

  private readonly pings = new Map<number, PendingPing>();
  private nextPingId = 0;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private keepaliveDeadline: NodeJS.Timeout | undefined;
  private keepalivePingId: number | undefined;
  /** Counts received chunks: any traffic proves the peer alive while a keepalive is late. */
  private rxChunks = 0;
  private rxMark = 0;

  private bytesIn = 0;
  private bytesOut = 0;
  private lastRtt: number | undefined;

  /**
   * @param conn the byte pipe; the session owns it from now on and destroys it on close
   * @param options see {@link YamuxOptions}; invalid values throw TFGW_ERR_CONFIG
   */
  constructor(
    private readonly conn: Duplex,
    options: YamuxOptions,
  ) {
    super();
    this.opts = resolveYamuxOptions(options);
    this.nextId = this.opts.client ? 1 : 2;
    this.decoder = new FrameDecoder(this, this.opts.maxFrameBytes);
    this.connHighWater = Math.max(CONN_HIGH_WATER, conn.writableHighWaterMark || 0);
    conn.on('data', this.onConnData);
    conn.on('drain', this.onConnDrain);
    conn.on('end', this.onConnEnd);
    conn.on('error', this.onConnError);
    conn.on('close', this.onConnClose);
    if (conn.destroyed) {
      queueMicrotask(() => this.onConnClose());
      return;
    }
    // One ping right away seeds the RTT that window auto-tuning needs.
    this.sendPing(() => undefined);
    if (this.opts.keepaliveMs > 0) {
      this.keepaliveTimer = setInterval(this.keepaliveTick, this.opts.keepaliveMs);
      this.keepaliveTimer.unref();
    }
  }

  /** True once closed. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Live counters (a fresh snapshot on each read). */
  get stats(): MuxedSessionStats {
    return { bytesIn: this.bytesIn, bytesOut: this.bytesOut, streams: this.streamMap.size, rttMs: this.lastRtt };
  }

  /** @internal StreamHost */
  get rttMs(): number | undefined {
    return this.lastRtt;
  }

  /** @internal StreamHost */
  get maxWindow(): number {
    return this.opts.maxWindow;
  }

  /** True after the peer sent GO_AWAY: `open()` throws TFGW_ERR_GOAWAY. */
  get goneAway(): boolean {
    return this.remoteGoAway;
  }

  /** Open a new outbound stream; the SYN is sent at once. */
  open(): YamuxStream {
    if (this.isClosed) throw new TfgwError(ErrorCodes.SESSION_CLOSED, 'yamux: session is closed');
    if (this.remoteGoAway) throw new TfgwError(ErrorCodes.GOAWAY, 'yamux: the peer sent GO_AWAY and accepts no new streams');
    if (this.streamMap.size >= this.opts.maxStreams) {
      throw new TfgwError(ErrorCodes.STREAM_LIMIT, `yamux: ${this.opts.maxStreams} streams are open (maxStreams)`, {
        details: { limit: 'maxStreams', value: this.opts.maxStreams },
      });
    }
    const queue = this.pendingOpens >= this.opts.maxPendingOpens || this.queuedOpenCount > 0;
    if (queue && this.queuedOpenCount >= this.opts.maxPendingOpens) {
      throw new TfgwError(
        ErrorCodes.PENDING_LIMIT,
        `yamux: ${this.opts.maxPendingOpens} opened streams await the peer's ACK and as many more wait to be opened (maxPendingOpens)`,
        { details: { limit: 'maxPendingOpens', value: this.opts.maxPendingOpens } },
      );
    }
    if (this.nextId > MAX_UINT32) {
      throw new TfgwError(ErrorCodes.STREAM_LIMIT, 'yamux: stream ids exhausted', { details: { limit: 'streamIds' } });
    }
    const id = this.nextId;
    this.nextId += 2;
    const s = new YamuxStream(this, id, this.opts.initialWindow);
    this.streamMap.set(id, s);
    if (queue) {
      // A burst of opens faster than the peer's ACKs come back waits here instead of failing;
      // the stream buffers what is written to it until its SYN is sent.
      s.holdForSyn();
      this.queuedOpens.push(s);
      this.queuedOpenCount++;
    } else {
      this.sendSyn(s);
    }
    return s;
  }

  private sendSyn(s: YamuxStream): void {
    s.awaitingAck = true;
    this.pendingOpens++;
    this.sendControl(FrameType.WINDOW_UPDATE, Flag.SYN, s.id, this.opts.initialWindow - SPEC_INITIAL_WINDOW);
  }

  /** A pending open was answered or dropped: queued opens take the free slots, in order. */
  private openFreed(): void {
    this.pendingOpens--;
    while (this.queuedOpenCount > 0 && this.pendingOpens < this.opts.maxPendingOpens && !this.isClosed) {
      const s = this.queuedOpens.shift()!;
      if (s.done) continue;
      this.queuedOpenCount--;
      this.sendSyn(s);
      s.synSent();
    }
  }

  /** Measure the round trip to the peer in ms; rejects TFGW_ERR_TIMEOUT / TFGW_ERR_SESSION_CLOSED. */
  ping(timeoutMs: number = this.opts.keepaliveTimeoutMs): Promise<number> {
    if (this.isClosed) return Promise.reject(new TfgwError(ErrorCodes.SESSION_CLOSED, 'yamux: session is closed'));
    return new Promise<number>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const id = this.sendPing((rtt) => {
        if (timer) clearTimeout(timer);
        if (rtt < 0) reject(new TfgwError(ErrorCodes.SESSION_CLOSED, 'yamux: session closed before the ping was answered'));
        else resolve(rtt);
      });
      timer = setTimeout(() => {
        this.pings.delete(id);
        reject(new TfgwError(ErrorCodes.TIMEOUT, `yamux: ping not answered within ${timeoutMs} ms`, { details: { timeoutMs } }));
      }, timeoutMs);
    });
  }

  /** Tell the peer we accept no new streams (later SYNs are reset); existing streams go on. */
  goAway(): void {
    if (this.isClosed || this.localGoAway) return;
    this.localGoAway = true;
    this.sendControl(FrameType.GO_AWAY, 0, 0, GoAwayCode.NORMAL);
  }

  /**
   * Close the session: GO_AWAY to the peer (protocol-error code when `err` is a protocol
   * error, normal otherwise), every stream destroyed (without an error when `err` is
   * undefined, like HTTP/2; with TFGW_ERR_SESSION_CLOSED caused by `err` otherwise), the
   * connection destroyed; `err` is reported on 'close'.
   */
  close(err?: Error): void {
    this.shutdown(err, true);
  }

  // ---- StreamHost -------------------------------------------------------------------

  /** @internal */
  sendData(streamId: number, payload: Buffer): void {
    if (this.isClosed) return;
    const conn = this.conn;
    const n = payload.length;
    if (n <= SMALL_FRAME_COPY) {
      // One buffer, one plain write: cheaper than cork + two writes + writev for small payloads.
      const frame = Buffer.allocUnsafe(HEADER_SIZE + n);
      writeHeader(frame, FrameType.DATA, 0, streamId, n);
      payload.copy(frame, HEADER_SIZE);
      conn.write(frame);
    } else {
      conn.cork();
      conn.write(encodeHeader(FrameType.DATA, 0, streamId, n));
      conn.write(payload);
      conn.uncork();
    }
    this.bytesOut += n;
  }

  /** @internal */
  cork(): void {
    this.conn.cork();
  }

  /** @internal */
  uncork(): void {
    this.conn.uncork();
  }

  /** @internal */
  sendControl(type: number, flags: number, streamId: number, value: number): void {
    if (this.isClosed) return;
    this.conn.write(encodeHeader(type, flags, streamId, value));
  }

  /** @internal */
  connBlocked(): boolean {
    return this.conn.writableLength >= this.connHighWater;
  }

  /** @internal */
  waitDrain(stream: YamuxStream): void {
    if (stream.waitingDrain) return;
    stream.waitingDrain = true;
    this.drainWaiters.push(stream);
  }

  /** @internal */
  streamDone(stream: YamuxStream): void {
    if (stream.done) return;
    stream.done = true;
    if (stream.synDeferred) this.queuedOpenCount--;
    if (this.streamMap.get(stream.id) === stream) this.streamMap.delete(stream.id);
    if (this.current === stream) this.current = undefined;
    if (stream.awaitingAck) {
      stream.awaitingAck = false;
      this.openFreed();
    }
  }

  // ---- FrameSink --------------------------------------------------------------------

  /** @internal */
  onControl(type: number, flags: number, streamId: number, value: number): void {
    if (type === FrameType.WINDOW_UPDATE) {
      const s = this.streamFor(flags, streamId);
      if (s === undefined) return;
      if (value > 0 && !s.addSendWindow(value)) {
        this.protocolError(`window update overflows the send window of stream ${streamId}`, { streamId });
        return;
      }
      this.endFlags(s, flags);
    } else if (type === FrameType.PING) {
      if (flags & Flag.SYN) this.sendReply(FrameType.PING, Flag.ACK, 0, value);
      else if (flags & Flag.ACK) this.pingAnswered(value);
    } else {
      this.onGoAway(value);
    }
  }

  /** @internal */
  onDataStart(flags: number, streamId: number, length: number): void {
    const s = this.streamFor(flags, streamId);
    this.current = s;
    if (s !== undefined && !s.acceptData(length)) {
      this.current = undefined;
      this.protocolError(`DATA frame of ${length} bytes exceeds the receive window or follows FIN on stream ${streamId}`, { streamId, length });
    }
  }

  /** @internal */
  onData(piece: Buffer): void {
    this.bytesIn += piece.length;
    const s = this.current;
    if (s !== undefined) s.receive(piece);
  }

  /** @internal */
  onDataEnd(flags: number): void {
    const s = this.current;
    this.current = undefined;
    if (s !== undefined) this.endFlags(s, flags);
  }

  /** @internal */
  onError(err: TfgwError): void {
    this.shutdown(err, true);
  }

  // ---- internals --------------------------------------------------------------------

  /**
   * Applies SYN / ACK of a stream frame and finds its stream. Undefined means "ignore the
   * frame": a stream we already forgot (frames in flight after a reset are normal), a
   * refused SYN, or a protocol error that already closed the session.
   */
  private streamFor(flags: number, id: number): YamuxStream | undefined {
    if (id === 0) {
      this.protocolError('stream frame with stream id 0', { streamId: 0 });
      return undefined;
    }
    if (flags & Flag.SYN) return this.inboundStream(id);
    const s = this.streamMap.get(id);
    if (s === undefined) {
      const ours = (id & 1) === (this.opts.client ? 1 : 0);
      const known = ours ? id < this.nextId : id <= this.maxInboundId;
      if (!known) this.protocolError(`frame for stream ${id}, which was never opened`, { streamId: id });
      return undefined;
    }
    if (flags & Flag.ACK && s.awaitingAck) {
      s.awaitingAck = false;
      this.openFreed();
    }
    return s;
  }

  private inboundStream(id: number): YamuxStream | undefined {
    const ours = (id & 1) === (this.opts.client ? 1 : 0);
    if (ours) {
      this.protocolError(`peer opened stream ${id}, an id of our parity`, { streamId: id });
      return undefined;
    }
    if (this.streamMap.has(id)) {
      this.protocolError(`peer opened stream ${id} twice`, { streamId: id });
      return undefined;
    }
    if (id > this.maxInboundId) this.maxInboundId = id;
    const acceptor = this.opts.onStream;
    if (this.localGoAway || this.streamMap.size >= this.opts.maxStreams || (!acceptor && this.listenerCount('stream') === 0)) {
      this.sendReply(FrameType.WINDOW_UPDATE, Flag.RST, id, 0);
      return undefined;
    }
    const s = new YamuxStream(this, id, this.opts.initialWindow);
    this.streamMap.set(id, s);
    this.sendControl(FrameType.WINDOW_UPDATE, Flag.ACK, id, this.opts.initialWindow - SPEC_INITIAL_WINDOW);
    if (acceptor) acceptor(s);
    else this.emit('stream', s as MuxedStream);
    return s.done ? undefined : s;
  }

  /** FIN and RST take effect after the frame's window delta / payload. */
  private endFlags(s: YamuxStream, flags: number): void {
    if (flags & Flag.FIN) s.onRemoteFin();
    if (flags & Flag.RST) s.onRemoteReset();
  }

  private onGoAway(code: number): void {
    if (code === GoAwayCode.NORMAL) {
      this.remoteGoAway = true;
      // Opens still queued behind maxPendingOpens will never be accepted now.
      for (const s of this.queuedOpens.splice(0)) {
        if (!s.done) s.destroy(new TfgwError(ErrorCodes.GOAWAY, 'yamux: the peer sent GO_AWAY before this queued stream was opened'));
      }
      this.emit('goaway', code);
    } else if (code === GoAwayCode.PROTOCOL_ERROR) {
      this.shutdown(new TfgwError(ErrorCodes.PROTOCOL, 'yamux: the peer reported a protocol error (GO_AWAY)', { details: { goAway: code } }), false);
    } else if (code === GoAwayCode.INTERNAL_ERROR) {
      this.shutdown(new TfgwError(ErrorCodes.SESSION_CLOSED, 'yamux: the peer closed the session with an internal error (GO_AWAY)', { details: { goAway: code } }), false);
    } else {
      this.protocolError(`unknown GO_AWAY code ${code}`, { goAway: code });
    }
  }

  private protocolError(message: string, details: Record<string, unknown>): void {
    this.shutdown(new TfgwError(ErrorCodes.PROTOCOL, `yamux: ${message}`, { details }), true);
  }

  /** Sends a frame the peer asked for, within the {@link MAX_UNFLUSHED_REPLIES} budget. */
  private sendReply(type: number, flags: number, streamId: number, value: number): void {
    if (this.isClosed || this.unflushedReplies >= MAX_UNFLUSHED_REPLIES) return;
    this.unflushedReplies++;
    this.conn.write(encodeHeader(type, flags, streamId, value), this.onReplyFlushed);
  }

  private readonly onReplyFlushed = (): void => {
    this.unflushedReplies--;
  };

  /** Sends a ping; `done` gets the RTT in ms, or -1 when the session closes first. */
  private sendPing(done: (rttMs: number) => void): number {
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId + 1) >>> 0;
    this.pings.set(id, { start: performance.now(), done });
    this.sendControl(FrameType.PING, Flag.SYN, 0, id);
    return id;
  }

  private pingAnswered(id: number): void {
    const p = this.pings.get(id);
    if (p === undefined) return;
    this.pings.delete(id);
    const rtt = performance.now() - p.start;
    this.lastRtt = rtt;
    p.done(rtt);
  }

  private readonly keepaliveTick = (): void => {
    if (this.isClosed || this.keepalivePingId !== undefined) return;
    this.rxMark = this.rxChunks;
    this.keepalivePingId = this.sendPing(() => {
      this.keepalivePingId = undefined;
      if (this.keepaliveDeadline) clearTimeout(this.keepaliveDeadline);
      this.keepaliveDeadline = undefined;
    });
    this.armKeepaliveDeadline();
  };

  private armKeepaliveDeadline(): void {
    this.keepaliveDeadline = setTimeout(this.keepaliveExpired, this.opts.keepaliveTimeoutMs);
    this.keepaliveDeadline.unref();
  }

  private readonly keepaliveExpired = (): void => {
    this.keepaliveDeadline = undefined;
    if (this.isClosed || this.keepalivePingId === undefined) return;
    if (this.rxChunks !== this.rxMark) {
      // The answer may be queued behind data the peer is still sending: it is alive.
      this.rxMark = this.rxChunks;
      this.armKeepaliveDeadline();
      return;
    }
    this.shutdown(
      new TfgwError(ErrorCodes.TIMEOUT, `yamux: keepalive ping not answered within ${this.opts.keepaliveTimeoutMs} ms`, {
        details: { keepaliveTimeoutMs: this.opts.keepaliveTimeoutMs },
      }),
      false,
    );
  };

  private readonly onConnData = (chunk: Buffer): void => {
    this.rxChunks++;
    this.decoder.push(chunk);
  };

  private readonly onConnDrain = (): void => {
    const waiters = this.drainWaiters;
    if (waiters.length === 0) return;
    this.drainWaiters = [];
    for (const s of waiters) {
      s.waitingDrain = false;
      if (!s.done && !s.destroyed) s.flush();
    }
  };

  private readonly onConnEnd = (): void => {
    this.connLost();
  };

  private readonly onConnError = (err: Error): void => {
    this.connLost(err);
  };

  private readonly onConnClose = (): void => {
    this.connLost();
  };

  /**
   * The connection ended or failed. That is a clean end when the peer said GO_AWAY first
   * and no stream was cut (a reset right after the GO_AWAY counts as the peer closing);
   * otherwise the session failed with TFGW_ERR_SESSION_CLOSED.
   */
  private connLost(cause?: Error): void {
    if (this.isClosed) return;
    if (this.remoteGoAway && this.streamMap.size === 0 && this.decoder.idle) {
      this.shutdown(undefined, false);
      return;
    }
    const why = cause ? `the connection failed: ${cause.message}` : this.remoteGoAway ? 'the peer closed the connection with streams open' : 'the connection closed without GO_AWAY';
    this.shutdown(new TfgwError(ErrorCodes.SESSION_CLOSED, `yamux: ${why}`, cause ? { cause } : {}), false);
  }

  private shutdown(err: Error | undefined, tellPeer: boolean): void {
    if (this.isClosed) return;
    const conn = this.conn;
    const graceful = tellPeer && !conn.destroyed && conn.writable;
    if (graceful) {
      const e = err as TfgwError | undefined;
      const code = e && (e.code === ErrorCodes.PROTOCOL || e.code === ErrorCodes.FRAME_TOO_LARGE) ? GoAwayCode.PROTOCOL_ERROR : GoAwayCode.NORMAL;
      conn.write(encodeHeader(FrameType.GO_AWAY, 0, 0, code));
    }
    this.isClosed = true;
    this.decoder.stop();
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.keepaliveDeadline) clearTimeout(this.keepaliveDeadline);
    this.keepaliveTimer = this.keepaliveDeadline = undefined;
    this.current = undefined;
    this.drainWaiters = [];

    // Like HTTP/2: a clean close destroys streams quietly, a failed session fails them.
    const streamErr = err ? new TfgwError(ErrorCodes.SESSION_CLOSED, `yamux: session failed: ${err.message}`, { cause: err }) : undefined;
    const streams = [...this.streamMap.values()];
    this.streamMap.clear();
    this.pendingOpens = 0;
    this.queuedOpens = [];
    this.queuedOpenCount = 0;
    for (const s of streams) s.sessionClosed(streamErr);
    const pings = [...this.pings.values()];
    this.pings.clear();
    for (const p of pings) p.done(-1);

    conn.off('data', this.onConnData);
    conn.off('drain', this.onConnDrain);
    conn.off('end', this.onConnEnd);
    conn.off('close', this.onConnClose);
    // onConnError stays attached: later connection errors are expected and swallowed.
    if (graceful) {
      // FIN after the GO_AWAY, and keep reading (into the void) until the peer closes too:
      // closing a socket with unread input makes the kernel send RST, which can destroy
      // the GO_AWAY before the peer reads it. Bounded, for peers that never close.
      const timer = setTimeout(() => conn.destroy(), CLOSE_FLUSH_MS);
      timer.unref();
      conn.once('close', () => clearTimeout(timer));
      conn.once('end', () => conn.destroy());
      conn.resume();
      conn.end();
    } else {
      conn.destroy();
    }
    this.emit('close', err);
  }
}

/** Creates a yamux session over `conn` (the session owns it). See {@link YamuxOptions}. */
export function createSession(conn: Duplex, opts: YamuxOptions): YamuxSession {
  return new YamuxSession(conn, opts);
}
