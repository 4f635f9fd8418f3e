import type net from 'node:net';
import { parseClientHello } from './client-hello';

/** Outcome of {@link peekClientHello}. */
export type PeekResult =
  /** A complete ClientHello; its bytes were put back into the socket (`unshift`) to be replayed. */
  | { kind: 'hello'; serverName: string | undefined; recordVersion: number }
  /** Not TLS. */
  | { kind: 'not-tls'; reason: string }
  /** TLS but malformed or too large. */
  | { kind: 'invalid'; reason: string; recordVersion: number }
  /** The whole ClientHello did not arrive within the timeout. */
  | { kind: 'timeout' }
  /** The visitor ended or reset before sending a whole ClientHello. */
  | { kind: 'closed' };

/** Bounds of {@link peekClientHello}. */
export interface PeekOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Largest ClientHello message; the bytes buffered are bounded by this plus record headers. */
  maxHelloBytes: number;
}

/**
 * Reads a visitor's first bytes until they hold a whole ClientHello (however many TCP
 * segments and TLS records it spans), bounded in size and time. On success the socket is
 * paused with every byte read put back, so piping it replays the hello untouched.
 */
export function peekClientHello(socket: net.Socket, opts: PeekOptions): Promise<PeekResult> {
  // Records of at least 1 byte each: allow generous header overhead, but bounded.
  const maxBuffered = opts.maxHelloBytes + 4 + 5 * 64;
  return new Promise((resolve) => {
    let buf: Buffer | null = null;
    let done = false;
    const finish = (r: PeekResult, replay?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onClosed);
      socket.removeListener('close', onClosed);
      socket.pause();
      if (replay) socket.unshift(replay);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      const r = parseClientHello(buf, opts.maxHelloBytes);
      if (r.kind === 'incomplete') {
        if (buf.length > maxBuffered) finish({ kind: 'invalid', reason: `no complete ClientHello within ${maxBuffered} bytes`, recordVersion: 0x0303 });
        return;
      }
      if (r.kind === 'hello') finish({ kind: 'hello', serverName: r.serverName, recordVersion: r.recordVersion }, buf);
      else finish(r);
    };
    const onClosed = () => finish({ kind: 'closed' });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), opts.timeoutMs);
    socket.on('data', onData);
    socket.once('end', onClosed);
    socket.once('close', onClosed);
  });
}
