import { ErrorCodes, TfgwError } from '../errors';
import { FrameType, HEADER_SIZE, YAMUX_VERSION } from './constants';

/**
 * Receives what a {@link FrameDecoder} finds, in wire order. DATA payloads are streamed
 * (`onDataStart`, zero or more `onData`, `onDataEnd`) so a frame split over many socket
 * chunks is delivered as sub-slices of those chunks, never re-assembled by copying.
 */
export interface FrameSink {
  /** A WINDOW_UPDATE, PING or GO_AWAY frame; `value` is its length field. */
  onControl(type: number, flags: number, streamId: number, value: number): void;
  /** The header of a DATA frame whose `length` payload bytes follow. */
  onDataStart(flags: number, streamId: number, length: number): void;
  /** A piece of the current DATA frame's payload (a view into the received chunk). */
  onData(piece: Buffer): void;
  /** The current DATA frame's payload is complete (also called for empty payloads). */
  onDataEnd(flags: number, streamId: number): void;
  /** The input is not valid yamux; the decoder has stopped and ignores further input. */
  onError(err: TfgwError): void;
}

/**
 * Incremental yamux frame decoder. Only header-level validity is checked here (version,
 * type, DATA frame size); stream state rules belong to the session.
 * It never throws on input: a bad frame is reported once through `onError`.
 */
export class FrameDecoder {
  /** Holds a header that arrived split across chunks; the only copy on the read path. */
  private readonly headerBuf = Buffer.alloc(HEADER_SIZE);
  private headerFill = 0;
  private payloadLeft = 0;
  private dataFlags = 0;
  private dataStream = 0;
  private halted = false;

  /**
   * @param sink receives the decoded frames
   * @param maxFrameBytes largest DATA payload accepted; a larger one is TFGW_ERR_FRAME_TOO_LARGE
   */
  constructor(
    private readonly sink: FrameSink,
    private readonly maxFrameBytes: number,
  ) {}

  /** True once an error was reported or {@link stop} was called. */
  get stopped(): boolean {
    return this.halted;
  }

  /** True between frames, i.e. no header or payload is partially received. */
  get idle(): boolean {
    return this.headerFill === 0 && this.payloadLeft === 0;
  }

  /** Stops decoding; the rest of the current chunk and later chunks are ignored. */
  stop(): void {
    this.halted = true;
  }

  /** Feeds the next chunk of the byte stream. */
  push(chunk: Buffer): void {
    const len = chunk.length;
    let off = 0;
    while (off < len && !this.halted) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, len - off);
        this.payloadLeft -= n;
        const piece = chunk.subarray(off, off + n);
        off += n;
        this.sink.onData(piece);
        if (this.payloadLeft === 0 && !this.halted) this.sink.onDataEnd(this.dataFlags, this.dataStream);
        continue;
      }
      if (this.headerFill === 0 && len - off >= HEADER_SIZE) {
        this.header(chunk, off);
        off += HEADER_SIZE;
        continue;
      }
      const n = Math.min(HEADER_SIZE - this.headerFill, len - off);
      chunk.copy(this.headerBuf, this.headerFill, off, off + n);
      this.headerFill += n;
      off += n;
      if (this.headerFill === HEADER_SIZE) {
        this.headerFill = 0;
        this.header(this.headerBuf, 0);
      }
    }
  }

  private header(h: Buffer, o: number): void {
    const version = h[o];
    const type = h[o + 1];
    const flags = (h[o + 2] << 8) | h[o + 3];
    const streamId = h.readUInt32BE(o + 4);
    const length = h.readUInt32BE(o + 8);
    if (version !== YAMUX_VERSION) {
      this.fail(new TfgwError(ErrorCodes.PROTOCOL, `yamux: unsupported version ${version}`, { details: { version } }));
      return;
    }
    if (type === FrameType.DATA) {
      if (length > this.maxFrameBytes) {
        this.fail(
          new TfgwError(ErrorCodes.FRAME_TOO_LARGE, `yamux: DATA frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`, {
            details: { length, limit: this.maxFrameBytes, streamId },
          }),
        );
        return;
      }
      this.dataFlags = flags;
      this.dataStream = streamId;
      this.payloadLeft = length;
      this.sink.onDataStart(flags, streamId, length);
      if (length === 0 && !this.halted) this.sink.onDataEnd(flags, streamId);
      return;
    }
    if (type === FrameType.WINDOW_UPDATE || type === FrameType.PING || type === FrameType.GO_AWAY) {
      this.sink.onControl(type, flags, streamId, length);
      return;
    }
    this.fail(new TfgwError(ErrorCodes.PROTOCOL, `yamux: unknown frame type ${type}`, { details: { type } }));
  }

  private fail(err: TfgwError): void {
    this.halted = true;
    this.sink.onError(err);
  }
}
