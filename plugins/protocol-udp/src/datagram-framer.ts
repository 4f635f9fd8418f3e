import { ErrorCodes, TfgwError } from '@tfgw/core';

/**
 * Largest UDP payload carried: 65 535 − 8 (UDP header) − 20 (IPv4 header). Also the largest
 * value the u16 length prefix is allowed to take on a tfgw UDP stream.
 */
export const MAX_DATAGRAM = 65507;

/** Bytes of the length prefix in front of each datagram. */
export const DATAGRAM_HEADER_BYTES = 2;

/**
 * Frames one datagram for a UDP stream: `u16 big-endian length` + payload, in one buffer.
 *
 * One small copy of the payload is cheaper here than two writes: a yamux stream sends one
 * DATA frame (12-byte header, one socket write) per `write()` and has no `writev`, so a
 * separate 2-byte header write would double the frames per datagram. Use
 * {@link datagramHeader} to write the prefix yourself when the writer gathers writes.
 * Throws TFGW_ERR_FRAME_TOO_LARGE above {@link MAX_DATAGRAM}.
 */
export function encodeDatagram(payload: Uint8Array): Buffer {
  const len = payload.length;
  if (len > MAX_DATAGRAM) throw tooLarge(len);
  const out = Buffer.allocUnsafe(DATAGRAM_HEADER_BYTES + len);
  out[0] = len >>> 8;
  out[1] = len & 0xff;
  out.set(payload, DATAGRAM_HEADER_BYTES);
  return out;
}

/** The 2-byte length prefix alone, for writers that gather (writev) header and payload. */
export function datagramHeader(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0) throw new TfgwError(ErrorCodes.BAD_MESSAGE, `datagram length must be a non-negative integer, got ${length}`);
  if (length > MAX_DATAGRAM) throw tooLarge(length);
  const out = Buffer.allocUnsafe(DATAGRAM_HEADER_BYTES);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  return out;
}

function tooLarge(len: number): TfgwError {
  return new TfgwError(ErrorCodes.FRAME_TOO_LARGE, `datagram of ${len} bytes exceeds the UDP maximum of ${MAX_DATAGRAM}`, { details: { length: len, max: MAX_DATAGRAM } });
}

/**
 * Splits a byte stream of length-prefixed datagrams back into datagrams, however the bytes
 * were cut into chunks. A datagram that lies inside one chunk is handed out as a view of that
 * chunk (no copy); only a datagram split across chunks is assembled into its own buffer.
 *
 * A length above `maxLength` is a protocol violation: {@link push} throws
 * TFGW_ERR_BAD_MESSAGE and the decoder must not be used again (close the stream).
 */
export class DatagramDecoder {
  /** Datagram being assembled across chunks. */
  private partial: Buffer | null = null;
  private partialFill = 0;
  /** First byte of a length prefix that was cut after one byte, or -1. */
  private headHigh = -1;
  private failed = false;

  constructor(
    /** Called once per datagram, in order. The buffer may be a view of the pushed chunk. */
    private readonly onDatagram: (datagram: Buffer) => void,
    /** Largest length accepted. @default MAX_DATAGRAM */
    private readonly maxLength = MAX_DATAGRAM,
  ) {}

  /** Bytes held for an unfinished datagram (prefix included). */
  get buffered(): number {
    if (this.partial) return DATAGRAM_HEADER_BYTES + this.partialFill;
    return this.headHigh >= 0 ? 1 : 0;
  }

  /** Feed the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.failed) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'datagram decoder used after a framing error');
    let off = 0;
    const end = chunk.length;
    if (this.headHigh >= 0 && off < end) {
      const len = (this.headHigh << 8) | chunk[off++];
      this.headHigh = -1;
      this.begin(len);
    }
    if (this.partial) {
      const need = this.partial.length - this.partialFill;
      const take = Math.min(need, end - off);
      chunk.copy(this.partial, this.partialFill, off, off + take);
      this.partialFill += take;
      off += take;
      if (this.partialFill < this.partial.length) return;
      const done = this.partial;
      this.partial = null;
      this.partialFill = 0;
      this.onDatagram(done);
    }
    while (off < end) {
      if (end - off < DATAGRAM_HEADER_BYTES) {
        this.headHigh = chunk[off];
        return;
      }
      const len = (chunk[off] << 8) | chunk[off + 1];
      off += DATAGRAM_HEADER_BYTES;
      this.check(len);
      if (end - off >= len) {
        this.onDatagram(chunk.subarray(off, off + len));
        off += len;
        continue;
      }
      this.begin(len);
      const take = end - off;
      chunk.copy(this.partial!, 0, off, end);
      this.partialFill = take;
      return;
    }
  }

  /** Start assembling a datagram of `len` bytes (a zero-length one is complete at once). */
  private begin(len: number): void {
    this.check(len);
    if (len === 0) {
      this.onDatagram(Buffer.alloc(0));
      return;
    }
    this.partial = Buffer.allocUnsafe(len);
    this.partialFill = 0;
  }

  private check(len: number): void {
    if (len > this.maxLength) {
      this.failed = true;
      throw new TfgwError(ErrorCodes.BAD_MESSAGE, `datagram length ${len} exceeds the maximum of ${this.maxLength}`, { details: { length: len, max: this.maxLength } });
    }
  }
}
