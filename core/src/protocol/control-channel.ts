import { EventEmitter } from 'node:events';
import type { MuxedStream } from '../muxer';
import { ErrorCodes, TfgwError } from '../errors';
import { decodeFrameBody, encodeFrame, FRAME_PREFIX_BYTES } from './frame';
import type { ControlMessage } from './messages';

/**
 * The control stream: length-prefixed JSON messages both ways. Emits `'message'` for each
 * decoded message and `'close'` (err?) once. Oversized or malformed messages close it with
 * a coded error (the session owner then closes the session).
 */
export class ControlChannel extends EventEmitter {
  private pending: Buffer | undefined;
  private closedFlag = false;

  constructor(
    /** The underlying stream. */
    readonly stream: MuxedStream,
    /** Largest message accepted. */
    private readonly maxBytes: number,
  ) {
    super();
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err) => this.finish(err));
    stream.on('close', () => this.finish());
    stream.on('end', () => this.finish());
  }

  /** Send one message. */
  send(message: ControlMessage): void {
    if (!this.closedFlag && this.stream.writable) this.stream.write(encodeFrame(message));
  }

  /** Wait for the next message of type `t` (or any error message). */
  next<T extends ControlMessage['t']>(t: T, timeoutMs: number): Promise<Extract<ControlMessage, { t: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new TfgwError(ErrorCodes.TIMEOUT, `no "${t}" message within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (m: ControlMessage) => {
        if (m.t === t) done(undefined, m as Extract<ControlMessage, { t: T }>);
        else if (m.t === 'error') done(new TfgwError(m.code, m.message));
      };
      const onClose = (err?: Error) => done(err ?? new TfgwError(ErrorCodes.SESSION_CLOSED, 'control stream closed'));
      const done = (err?: Error, m?: Extract<ControlMessage, { t: T }>) => {
        clearTimeout(timer);
        this.removeListener('message', onMessage);
        this.removeListener('close', onClose);
        if (err) reject(err);
        else resolve(m!);
      };
      this.on('message', onMessage);
      this.once('close', onClose);
    });
  }

  /** Close the channel's stream. */
  close(): void {
    this.stream.end();
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    while (buf.length >= FRAME_PREFIX_BYTES) {
      const len = buf.readUInt32BE(0);
      if (len > this.maxBytes) {
        this.fail(new TfgwError(ErrorCodes.LIMIT, `control message of ${len} bytes exceeds limits.controlMessageBytes (${this.maxBytes})`, { details: { limit: 'limits.controlMessageBytes' } }));
        return;
      }
      if (buf.length < FRAME_PREFIX_BYTES + len) break;
      const body = buf.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + len);
      buf = buf.subarray(FRAME_PREFIX_BYTES + len);
      let msg: Record<string, unknown>;
      try {
        msg = decodeFrameBody(body);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (typeof msg.t !== 'string') {
        this.fail(new TfgwError(ErrorCodes.BAD_MESSAGE, 'control message without a type "t"'));
        return;
      }
      this.emit('message', msg as unknown as ControlMessage);
      if (this.closedFlag) return;
    }
    if (buf.length > 0) this.pending = Buffer.from(buf);
  }

  private fail(err: Error): void {
    this.stream.destroy(err);
    this.finish(err);
  }

  private finish(err?: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.emit('close', err);
  }
}
