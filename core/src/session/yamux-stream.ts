import { Duplex } from 'node:stream';
import { ErrorCodes, TfgwError } from '../errors';
import type { MuxedStream } from '../muxer';
import { autotuneWindow } from './autotune';
import { Flag, FrameType, MAX_UINT32, SPEC_INITIAL_WINDOW } from './constants';

/** Largest DATA frame we send: every spec peer must accept a full initial window in one frame. */
export const MAX_SEND_FRAME = SPEC_INITIAL_WINDOW;


/** What a stream needs from its session; implemented by the session. */
export interface StreamHost {
  /** True once the session is closed. */
  readonly closed: boolean;
  /** Cap for auto-tuned receive windows. */
  readonly maxWindow: number;
  /** Last measured RTT in ms, undefined before the first ping answer. */
  readonly rttMs: number | undefined;
  /** Writes one DATA frame (header + payload, payload not copied). */
  sendData(streamId: number, payload: Buffer): void;
  /** Holds writes so several frames leave in one `writev`; pairs with {@link uncork}. */
  cork(): void;
  /** Releases what {@link cork} held. */
  uncork(): void;
  /** Writes one header-only frame. */
  sendControl(type: number, flags: number, streamId: number, value: number): void;
  /** True while the connection has buffered enough that data writes should wait for 'drain'. */
  connBlocked(): boolean;
  /** Calls `stream.flush()` again once the connection drains. */
  waitDrain(stream: YamuxStream): void;
  /** The stream is finished (both FINs, or reset): forget it. */
  streamDone(stream: YamuxStream): void;
}

/**
 * One yamux stream as a Node `Duplex`.
 *
 * Send side: `_write` sends as many DATA frames as the peer's window allows and holds the
 * write callback while the window is empty or the connection is congested, so
 * backpressure reaches whatever pipes into the stream.
 *
 * Receive side: payload slices are pushed as they arrive; window credit is returned only
 * for bytes the application has consumed (checked after each push and each `read()`), in
 * batches of half a window, so buffered bytes never exceed the window.
 */
export class YamuxStream extends Duplex implements MuxedStream {
  /** Stream id, odd when opened by the client side. */
  readonly id: number;

  /** Bytes we may still send before the peer grants more. */
  private sendAvail = SPEC_INITIAL_WINDOW;
  /** Bytes the peer may still send us (our view of its send window). */
  private recvAvail = SPEC_INITIAL_WINDOW;
  /** Current receive window size (grows with auto-tuning). */
  private windowSize = SPEC_INITIAL_WINDOW;
  /** Bytes received and not yet credited back (buffered or consumed since the last grant). */
  private unacked = 0;
  /** When we last granted window (performance.now()), for auto-tuning. */
  private lastGrantAt = performance.now();

  private pending: Buffer | null = null;
  private pendingOff = 0;
  private pendingCb: ((err?: Error | null) => void) | null = null;

  /** @internal set by the session while this stream is queued for the connection's 'drain'. */
  waitingDrain = false;
  /** @internal true for an outbound stream until the peer's ACK arrives. */
  awaitingAck = false;
  /** @internal true for an outbound stream queued behind maxPendingOpens: no SYN sent yet, nothing else may be. */
  synDeferred = false;
  /** `_final`'s callback when the stream ended before its SYN was sent. */
  private deferredFinal: ((err?: Error | null) => void) | null = null;
  /** @internal the session has forgotten this stream (no more frames are sent for it). */
  done = false;

  private localFin = false;
  private remoteFin = false;
  private resetByPeer = false;

  /**
   * @param host the owning session
   * @param id stream id
   * @param initialWindow receive window the session grants at open (>= 256 KiB)
   */
  constructor(
    private readonly host: StreamHost,
    id: number,
    initialWindow: number,
  ) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: initialWindow,
      writableHighWaterMark: SPEC_INITIAL_WINDOW,
    });
    this.id = id;
    this.recvAvail = initialWindow;
    this.windowSize = initialWindow;
  }

  /** Bytes this side may still send before the peer grants more window. */
  get sendWindow(): number {
    return this.sendAvail;
  }

  /** Current receive window size of this stream (grows with auto-tuning up to maxWindow). */
  get receiveWindow(): number {
    return this.windowSize;
  }

  /** Abort both directions and tell the peer (RST). */
  reset(): void {
    this.destroy();
  }

  /** @internal Queued open: hold every frame (no send window) until {@link synSent}. */
  holdForSyn(): void {
    this.synDeferred = true;
    this.sendAvail = 0;
  }

  /** @internal The session sent our SYN: the spec's initial window applies, queued writes (and FIN) go out. */
  synSent(): void {
    this.synDeferred = false;
    this.addSendWindow(SPEC_INITIAL_WINDOW);
    const fin = this.deferredFinal;
    this.deferredFinal = null;
    if (fin) this._final(fin);
  }

  /** @internal Adds peer-granted window; false when it would overflow 32 bits (protocol error). */
  addSendWindow(delta: number): boolean {
    const next = this.sendAvail + delta;
    if (next > MAX_UINT32) return false;
    this.sendAvail = next;
    if (this.pending && !this.waitingDrain) this.flush();
    return true;
  }

  /** @internal Called at the header of a DATA frame; false when it breaks the window or follows our peer's FIN. */
  acceptData(length: number): boolean {
    if (length > this.recvAvail || (this.remoteFin && length > 0)) return false;
    this.recvAvail -= length;
    return true;
  }

  /** @internal A piece of payload for this stream. */
  receive(piece: Buffer): void {
    this.unacked += piece.length;
    if (this.destroyed || this.readableEnded || this.remoteFin) return;
    if (this.readableFlowing === true && this.readableLength === 0 && this.readableDidRead && this.readableEncoding === null) {
      // What push() does in this state (flowing, nothing buffered) minus its bookkeeping:
      // hand the piece to the 'data' listeners now. Skips Readable's per-chunk work and the
      // read-ahead tick it schedules; anything else (paused, buffered, not yet read) pushes.
      this.emit('data', piece);
    } else {
      this.push(piece);
    }
    this.maybeGrant();
  }

  /** @internal Peer half-closed: end our readable side. */
  onRemoteFin(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    if (!this.destroyed) this.push(null);
    if (this.localFin) this.host.streamDone(this);
  }

  /** @internal Peer reset the stream. */
  onRemoteReset(): void {
    this.resetByPeer = true;
    this.host.streamDone(this);
    this.destroy(new TfgwError(ErrorCodes.STREAM_RESET, `stream ${this.id} was reset by the peer`, { details: { streamId: this.id } }));
  }

  /** @internal The session is gone; fail without sending anything. */
  sessionClosed(err: TfgwError | undefined): void {
    this.done = true;
    if (!this.destroyed) this.destroy(err);
  }

  /**
   * @internal Sends as much of the pending write as window and connection allow, and
   * completes the write once all of it is handed to the connection.
   */
  flush(): void {
    const p = this.pending;
    if (p === null) return;
    const host = this.host;
    let off = this.pendingOff;
    const batch = p.length - off > MAX_SEND_FRAME;
    if (batch) host.cork();
    while (off < p.length) {
      if (this.sendAvail === 0) break;
      if (host.connBlocked()) {
        host.waitDrain(this);
        break;
      }
      const n = Math.min(this.sendAvail, p.length - off, MAX_SEND_FRAME);
      host.sendData(this.id, n === p.length ? p : p.subarray(off, off + n));
      this.sendAvail -= n;
      off += n;
    }
    if (batch) host.uncork();
    this.pendingOff = off;
    if (off < p.length) return;
    const cb = this.pendingCb!;
    this.pending = null;
    this.pendingCb = null;
    cb();
  }

  /**
   * Sends a Buffer written with neither encoding nor callback straight away as one DATA
   * frame when nothing is queued and window and connection allow; everything else takes
   * the `Writable` path ({@link _write}). Same bytes, same order, same return value (true):
   * the frame is with the connection when this returns, as after a synchronous `_write`.
   */
  override write(chunk: any, encoding?: any, cb?: any): boolean {
    if (
      encoding === undefined &&
      cb === undefined &&
      this.pending === null &&
      Buffer.isBuffer(chunk) &&
      chunk.length > 0 &&
      chunk.length <= this.sendAvail &&
      chunk.length <= MAX_SEND_FRAME &&
      this.writableLength === 0 &&
      !this.writableEnded &&
      !this.writableCorked &&
      !this.destroyed &&
      !this.done &&
      !this.host.closed &&
      !this.host.connBlocked()
    ) {
      this.host.sendData(this.id, chunk);
      this.sendAvail -= chunk.length;
      return true;
    }
    return super.write(chunk, encoding, cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.host.closed || this.done) {
      cb(new TfgwError(ErrorCodes.SESSION_CLOSED, `stream ${this.id}: session is closed`));
      return;
    }
    this.pending = chunk;
    this.pendingOff = 0;
    this.pendingCb = cb;
    this.flush();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.host.closed || this.done) {
      cb(new TfgwError(ErrorCodes.SESSION_CLOSED, `stream ${this.id}: session is closed`));
      return;
    }
    if (this.synDeferred) {
      this.deferredFinal = cb;
      return;
    }
    this.localFin = true;
    this.host.sendControl(FrameType.WINDOW_UPDATE, Flag.FIN, this.id, 0);
    if (this.remoteFin) this.host.streamDone(this);
    cb();
  }

  override _read(): void {
    this.maybeGrant();
  }

  /**
   * Consumption happens inside `read()` (flowing mode, pipes and async iterators all go
   * through it), and `_read` is not called again while a previous one is unanswered, so
   * credit is checked here too; otherwise a reader that drains the buffer without
   * triggering `_read` would leave the peer blocked forever.
   */
  override read(size?: number): any {
    const chunk = super.read(size);
    this.maybeGrant();
    return chunk;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.pendingCb) {
      const pcb = this.pendingCb;
      this.pending = null;
      this.pendingCb = null;
      pcb(
        err ??
          (this.host.closed
            ? new TfgwError(ErrorCodes.SESSION_CLOSED, `stream ${this.id}: session closed`)
            : new TfgwError(ErrorCodes.STREAM_RESET, `stream ${this.id} was destroyed`)),
      );
    }
    if (!this.done) {
      // A queued open never reached the peer: nothing to reset.
      if (!this.resetByPeer && !this.synDeferred && !(this.localFin && this.remoteFin)) this.host.sendControl(FrameType.WINDOW_UPDATE, Flag.RST, this.id, 0);
      this.host.streamDone(this);
    }
    cb(err);
  }

  /** Returns window credit for consumed bytes once half a window is due; grows the window when the peer is window-limited. */
  private maybeGrant(): void {
    if (this.remoteFin || this.done) return;
    const consumed = this.unacked - this.readableLength;
    if (consumed < this.windowSize / 2) return;
    const now = performance.now();
    const grown = autotuneWindow(this.windowSize, this.host.maxWindow, now - this.lastGrantAt, this.host.rttMs);
    const delta = consumed + grown - this.windowSize;
    this.windowSize = grown;
    this.lastGrantAt = now;
    this.unacked -= consumed;
    this.recvAvail += delta;
    this.host.sendControl(FrameType.WINDOW_UPDATE, 0, this.id, delta);
  }
}
