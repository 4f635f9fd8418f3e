import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { ErrorCodes, TfgwError } from '@tfgw/core';

/** Writes larger than this go out as several messages, so no peer needs a huge maxPayload. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Stream buffer size on each side; bounds memory per connection while keeping the pipe full. */
export const WS_STREAM_HIGH_WATER_MARK = 256 * 1024;

const EOF = Buffer.alloc(0);
const SEND = { binary: true, compress: false, fin: true } as const;

/**
 * A byte Duplex over a WebSocket, one binary message per write.
 *
 * WebSocket has no half-close (a close frame ends both directions and the `ws` package
 * answers it at once), so end-of-stream is an empty binary message: `end()` sends it and
 * the peer's readable side ends when it arrives, while the other direction goes on. Once
 * both sides have sent it the socket is closed with 1000. Data messages are never empty.
 *
 * A WebSocket that closes before both empty messages were exchanged (the peer destroyed
 * its side, or the network dropped) destroys this stream with TFGW_ERR_CONNECTION_RESET;
 * `destroy()` here terminates the socket without a close handshake, so the peer sees that.
 *
 * Backpressure: incoming messages pause the socket when the readable buffer is full;
 * writes complete at once while the socket's send buffer is below the high-water mark and
 * wait for the flush otherwise.
 */
export class WebSocketDuplex extends Duplex {
  private eofSent = false;
  private eofReceived = false;

  constructor(readonly ws: WebSocket) {
    super({ allowHalfOpen: true, readableHighWaterMark: WS_STREAM_HIGH_WATER_MARK, writableHighWaterMark: WS_STREAM_HIGH_WATER_MARK });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => this.onMessage(data));
    ws.on('close', (code: number) => this.onSocketClose(code));
    ws.on('error', (err: Error) =>
      this.destroy(new TfgwError(ErrorCodes.CONNECTION_RESET, `WebSocket failed: ${err.message}`, { cause: err })),
    );
  }

  private onMessage(data: Buffer): void {
    if (this.eofReceived) {
      this.destroy(new TfgwError(ErrorCodes.PROTOCOL, 'WebSocket peer sent data after ending its stream'));
      return;
    }
    if (data.length === 0) {
      this.eofReceived = true;
      this.push(null);
      this.closeWhenBothEnded();
      return;
    }
    if (!this.push(data)) this.ws.pause();
  }

  private onSocketClose(code: number): void {
    if (this.eofReceived && this.eofSent) return;
    this.destroy(
      new TfgwError(ErrorCodes.CONNECTION_RESET, `WebSocket closed (code ${code}) before both sides ended the stream`, { details: { closeCode: code } }),
    );
  }

  private closeWhenBothEnded(): void {
    if (this.eofSent && this.eofReceived && this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }

  /** @internal */
  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  /** @internal */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    let called = false;
    const done = (err?: Error | null): void => {
      if (called) {
        if (err) this.destroy(err);
        return;
      }
      called = true;
      callback(err);
    };
    for (let off = 0; off < chunk.length; off += MAX_MESSAGE_BYTES) {
      const last = off + MAX_MESSAGE_BYTES >= chunk.length;
      this.ws.send(chunk.subarray(off, off + MAX_MESSAGE_BYTES), SEND, last ? done : (err) => err && done(err));
    }
    // Completing before the flush keeps several messages in flight; the socket's own buffer
    // is the bound, so a slow peer still stops the writer.
    if (this.ws.bufferedAmount < this.writableHighWaterMark) done();
  }

  /** @internal */
  override _final(callback: (err?: Error | null) => void): void {
    this.eofSent = true;
    this.ws.send(EOF, SEND, (err) => callback(err));
    this.closeWhenBothEnded();
  }

  /** @internal */
  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const state = this.ws.readyState;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) {
      if (err || !(this.eofSent && this.eofReceived)) this.ws.terminate();
      else this.ws.close(1000);
    }
    callback(err);
  }
}
