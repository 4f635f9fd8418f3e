import { Duplex } from 'node:stream';
import { ErrorCodes, TfgwError, type MuxedStream } from '@tfgw/core';
import { classifyNativeError, type NativeStream } from './native';
import { writeSlabs } from './write-slabs';

/** Largest chunk asked of one native read. */
export const READ_CHUNK = 256 * 1024;
/**
 * Smallest chunk asked of one native read. The library allocates the whole buffer of a read
 * while it waits, and each stream always has one read waiting: at 256 KiB, 10 000 idle
 * streams held 1.8 GB (glibc serves such buffers from the heap, zeroed, once its mmap
 * threshold has grown). Reads start at this size; see {@link nextReadSize}.
 */
export const MIN_READ_CHUNK = 4 * 1024;

/**
 * Size of the next native read after one of `asked` bytes returned `got`: 4 times more after
 * a full read (data is streaming in), else the power of two that holds `got` (what arrives
 * between two reads), within [{@link MIN_READ_CHUNK}, {@link READ_CHUNK}]. So a stream that
 * gets a few bytes at a time waits with a small buffer, and a bulk transfer reads 256 KiB.
 */
export function nextReadSize(asked: number, got: number): number {
  if (got >= asked) return Math.min(READ_CHUNK, asked * 4);
  let size = MIN_READ_CHUNK;
  while (size < got && size < READ_CHUNK) size *= 2;
  return size;
}

/** Writes of at least this many bytes are copied into a write slab before the native write. */
export const MIN_SLAB_COPY = 8 * 1024;

/** Bytes buffered on each side of the Duplex before it signals backpressure. */
export const STREAM_HIGH_WATER_MARK = 256 * 1024;

/** Byte counters a stream adds to (its session's). */
export interface ByteCounters {
  /** Payload bytes received. */
  bytesIn: number;
  /** Payload bytes sent. */
  bytesOut: number;
}

/** What a {@link QuicMuxedStream} needs from its session. */
export interface QuicStreamInit {
  /** QUIC stream id (same number on both peers). */
  id: number;
  /** The native stream, or a promise of it while the open waits for the peer's stream limit. */
  native: NativeStream | Promise<NativeStream>;
  /** Session counters to add to. */
  counters: ByteCounters;
  /** Called once when the stream is destroyed (after 'close' is scheduled). */
  onClosed: (stream: QuicMuxedStream) => void;
}

/**
 * One native QUIC stream as a {@link MuxedStream}: `end()` sends FIN, the peer's FIN ends
 * the readable side, `reset()` / `destroy()` before both sides finished send RESET_STREAM
 * and STOP_SENDING. A peer reset destroys it with TFGW_ERR_STREAM_RESET.
 *
 * Backpressure is the library's: a write completes only once QUIC flow control took the
 * bytes, and nothing is read from the library while the readable side is full.
 */
export class QuicMuxedStream extends Duplex implements MuxedStream {
  /** QUIC stream id. */
  readonly id: number;
  private native?: NativeStream;
  private readonly pending?: Promise<NativeStream>;
  private readonly counters: ByteCounters;
  private readonly onClosed: (stream: QuicMuxedStream) => void;
  private reading = false;
  /** The consumer asked (_read) and nothing was pushed since. */
  private wanted = false;
  /** A chunk read ahead (null: the FIN), waiting for the consumer. */
  private held?: Buffer | null;
  /** The native read side is over (FIN or error). */
  private readDone = false;
  /** Size of the next native read: small while the stream is idle, growing while data streams in. */
  private readSize = MIN_READ_CHUNK;

  constructor(init: QuicStreamInit) {
    super({ allowHalfOpen: true, readableHighWaterMark: STREAM_HIGH_WATER_MARK, writableHighWaterMark: STREAM_HIGH_WATER_MARK });
    this.id = init.id;
    this.counters = init.counters;
    this.onClosed = init.onClosed;
    if ('then' in init.native) {
      this.pending = init.native;
      // Keep an early failure from being an unhandled rejection; _construct reports it.
      this.pending.catch(() => undefined);
    } else {
      this.native = init.native;
      this.pump();
    }
  }

  /** Abort both directions and tell the peer (RESET_STREAM + STOP_SENDING). */
  reset(): void {
    this.destroy();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    if (!this.pending) {
      callback();
      return;
    }
    this.pending.then(
      (native) => {
        this.native = native;
        callback();
        this.pump();
      },
      (err) => callback(err instanceof TfgwError ? err : streamError(err, 'open')),
    );
  }

  override _read(): void {
    if (this.held !== undefined) {
      const chunk = this.held;
      this.held = undefined;
      this.deliver(chunk);
    } else {
      this.wanted = true;
    }
    this.pump();
  }

  /**
   * Keep one native read in flight whenever nothing is held, even while the consumer is
   * not asking: that is how a peer reset or FIN is noticed on an idle stream. At most one
   * chunk beyond the readable buffer is held, so memory stays bounded and QUIC flow control
   * holds the sender back.
   */
  private pump(): void {
    const native = this.native;
    if (this.reading || this.held !== undefined || this.readDone || !native) return;
    this.reading = true;
    const asked = this.readSize;
    native.read(asked).then(
      (chunk) => {
        this.reading = false;
        if (this.destroyed) return;
        if (chunk !== null) this.readSize = nextReadSize(asked, chunk.byteLength);
        const buf = chunk === null ? null : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (buf === null) this.readDone = true;
        if (this.wanted) {
          this.wanted = false;
          this.deliver(buf);
        } else {
          this.held = buf;
        }
        this.pump();
      },
      (err) => {
        this.reading = false;
        this.readDone = true;
        this.destroy(streamError(err, 'read'));
      },
    );
  }

  private deliver(chunk: Buffer | null): void {
    if (chunk !== null) this.counters.bytesIn += chunk.length;
    this.push(chunk);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, undefined, chunk.length, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    let total = 0;
    for (const c of chunks) total += c.chunk.length;
    this.send(undefined, chunks, total, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.native!.finishWrite();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const native = this.native;
    if (native) {
      // Anything short of a clean finish on both sides is an abort the peer must hear of.
      if (!this.writableFinished) native.resetWrite();
      if (!this.readableEnded) native.stopRead();
    } else {
      this.pending?.then(
        (late) => {
          late.resetWrite();
          late.stopRead();
        },
        () => undefined,
      );
    }
    this.onClosed(this);
    callback(error);
  }

  /**
   * One native write of `chunk`, or of `chunks` in order, `total` bytes. Bulk data is copied
   * into a write slab first ({@link WriteSlabs} says why); small writes, and bulk writes when
   * every slab is busy, go out as they are.
   */
  private send(chunk: Buffer | undefined, chunks: Array<{ chunk: Buffer }> | undefined, total: number, callback: (error?: Error | null) => void): void {
    const slab = total >= MIN_SLAB_COPY && total <= writeSlabs.slabSize ? writeSlabs.take() : undefined;
    let data: Buffer;
    if (slab) {
      if (chunk) chunk.copy(slab, 0);
      else {
        let at = 0;
        for (const c of chunks!) at += c.chunk.copy(slab, at);
      }
      data = slab.subarray(0, total);
    } else {
      data = chunk ?? (chunks!.length === 1 ? chunks![0].chunk : Buffer.concat(chunks!.map((c) => c.chunk), total));
    }
    this.native!.write(data).then(
      () => {
        if (slab) writeSlabs.give(slab);
        this.counters.bytesOut += total;
        callback();
      },
      (err) => {
        if (slab) writeSlabs.give(slab);
        callback(streamError(err, 'write'));
      },
    );
  }
}

/** Map a native stream failure to the error the stream is destroyed with. */
export function streamError(err: unknown, op: 'open' | 'read' | 'write'): TfgwError {
  const kind = classifyNativeError(err);
  if (kind === 'stream-reset' || kind === 'stream-stopped') {
    return new TfgwError(ErrorCodes.STREAM_RESET, `stream reset by peer (${op})`, { cause: err });
  }
  if (kind === 'timeout') return new TfgwError(ErrorCodes.TIMEOUT, `QUIC connection timed out (${op})`, { cause: err });
  return new TfgwError(ErrorCodes.SESSION_CLOSED, `QUIC connection closed (${op}: ${(err as Error)?.message ?? String(err)})`, { cause: err });
}
