import type { Duplex } from 'node:stream';

/** Bytes moved by {@link splice}. */
export interface SpliceResult {
  /** Bytes from `a` to `b`. */
  aToB: number;
  /** Bytes from `b` to `a`. */
  bToA: number;
  /** The first error either side raised, if any. */
  error?: Error;
}

/**
 * Pipes two duplexes into each other with half-close (a FIN on one side ends the other's
 * writable side) and counts bytes. An error on either side destroys both, so neither side
 * hangs. Resolves once both sides are closed.
 */
export function splice(a: Duplex, b: Duplex): Promise<SpliceResult> {
  return new Promise((resolve) => {
    const result: SpliceResult = { aToB: 0, bToA: 0 };
    let closed = 0;
    const onClose = () => {
      if (++closed === 2) resolve(result);
    };
    const onError = (err: Error) => {
      if (!result.error) result.error = err;
      a.destroy();
      b.destroy();
    };
    a.on('data', (c: Buffer) => (result.aToB += c.length));
    b.on('data', (c: Buffer) => (result.bToA += c.length));
    a.on('error', onError);
    b.on('error', onError);
    a.once('close', onClose);
    b.once('close', onClose);
    // A side that closed without ending cleanly (reset) must take the other down too.
    a.once('close', () => { if (!b.destroyed && !(a.readableEnded && a.writableFinished)) b.destroy(); });
    b.once('close', () => { if (!a.destroyed && !(b.readableEnded && b.writableFinished)) a.destroy(); });
    a.pipe(b);
    b.pipe(a);
  });
}
