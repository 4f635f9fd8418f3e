import type { Duplex } from 'node:stream';

/** What a framing parser says about the bytes received so far. */
export type FrameParse<T> = { complete: false } | { complete: true; bytes: number; value: T };

/**
 * Reads from `socket` until `parse` recognises a complete message, then puts any bytes
 * after it back (`unshift`) so the next reader sees them, and resolves with the value.
 * Uses paused-mode reads, so the socket is left neither flowing nor paused: whoever reads
 * next (pipe, 'data', async iteration) gets every byte.
 * Rejects with what `parse` throws, with `onError(err)` for a socket error, and with
 * `onEnd()` when the peer closes first.
 */
export function readFramed<T>(
  socket: Duplex,
  parse: (buf: Buffer) => FrameParse<T>,
  onEnd: () => Error,
  onError: (err: Error) => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.off('readable', onReadable);
      socket.off('end', onClosed);
      socket.off('close', onClosed);
      socket.off('error', onSocketError);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        let result: FrameParse<T>;
        try {
          result = parse(buf);
        } catch (err) {
          cleanup();
          reject(err);
          return;
        }
        if (result.complete) {
          cleanup();
          if (result.bytes < buf.length) socket.unshift(buf.subarray(result.bytes));
          resolve(result.value);
          return;
        }
      }
    };
    const onClosed = (): void => {
      cleanup();
      reject(onEnd());
    };
    const onSocketError = (err: Error): void => {
      cleanup();
      reject(onError(err));
    };
    socket.on('readable', onReadable);
    socket.once('end', onClosed);
    socket.once('close', onClosed);
    socket.once('error', onSocketError);
  });
}
