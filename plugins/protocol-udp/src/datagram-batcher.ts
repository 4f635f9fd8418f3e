import type { Writable } from 'node:stream';
import { DATAGRAM_HEADER_BYTES, MAX_DATAGRAM, encodeDatagram } from './datagram-framer';

/** A batch is written at once when it grows past this many bytes. */
export const BATCH_FLUSH_BYTES = 64 * 1024;

/** Batchers with datagrams waiting, flushed together once per event-loop turn. */
const dirty: DatagramBatcher[] = [];
let scheduled = false;

function flushDirty(): void {
  scheduled = false;
  const list = dirty.splice(0, dirty.length);
  for (const b of list) b.flush();
}

/**
 * Frames datagrams onto one stream, coalescing those that arrive in the same event-loop
 * turn (a socket hands over up to dozens per poll) into one `write`, so a burst costs one
 * multiplexer frame instead of one per datagram. A lone datagram is framed alone; a batch
 * is assembled with one copy of each payload. All batchers share one `setImmediate` per
 * loop turn: no timer per datagram.
 *
 * UDP has no backpressure: a datagram is dropped (and counted) when it would bring the
 * stream's unsent bytes above `maxBufferedBytes`, or the stream is no longer writable.
 */
export class DatagramBatcher {
  /** Datagrams dropped because the stream was congested or closed. */
  dropped = 0;
  private pending: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly out: Writable,
    /** Unsent bytes on `out` above which datagrams are dropped. */
    private readonly maxBufferedBytes: number,
  ) {}

  /** Queue one datagram (payload ≤ 65 507 bytes; a larger one is dropped). Returns false when dropped. */
  push(payload: Buffer): boolean {
    const out = this.out;
    if (!out.writable || payload.length > MAX_DATAGRAM || out.writableLength + this.bytes + DATAGRAM_HEADER_BYTES + payload.length > this.maxBufferedBytes) {
      this.dropped++;
      return false;
    }
    if (this.pending.length === 0) {
      dirty.push(this);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushDirty);
      }
    }
    this.pending.push(payload);
    this.bytes += DATAGRAM_HEADER_BYTES + payload.length;
    if (this.bytes >= BATCH_FLUSH_BYTES) this.flush();
    return true;
  }

  /** Write what is queued now (also called by the shared turn-end flush). */
  flush(): void {
    const list = this.pending;
    if (list.length === 0) return;
    const total = this.bytes;
    this.pending = [];
    this.bytes = 0;
    if (!this.out.writable) {
      this.dropped += list.length;
      return;
    }
    if (list.length === 1) {
      this.out.write(encodeDatagram(list[0]));
      return;
    }
    const buf = Buffer.allocUnsafe(total);
    let off = 0;
    for (const p of list) {
      buf[off] = p.length >>> 8;
      buf[off + 1] = p.length & 0xff;
      p.copy(buf, off + DATAGRAM_HEADER_BYTES);
      off += DATAGRAM_HEADER_BYTES + p.length;
    }
    this.out.write(buf);
  }
}
