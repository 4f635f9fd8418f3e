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
    a.on('error', onError);
    b.on('error', onError);
    a.once('close', onClose);
    b.once('close', onClose);
    // A side that closed without ending cleanly (reset) must take the other down too.
    a.once('close', () => { if (!b.destroyed && !(a.readableEnded && a.writableFinished)) b.destroy(); });
    b.once('close', () => { if (!a.destroyed && !(b.readableEnded && b.writableFinished)) a.destroy(); });
    forward(a, b, (n) => (result.aToB += n));
    forward(b, a, (n) => (result.bToA += n));
  });
}

/**
 * `src.pipe(dst)` reduced to what {@link splice} needs, with the byte count in the same
 * listener: one 'data' listener per direction instead of pipe's plus a counting one (the
 * per-chunk cost is on the latency path of every tunnel). Backpressure as in `pipe`: pause
 * when `dst.write` says so, resume on its 'drain'; `src`'s end ends `dst`. Errors and
 * teardown are {@link splice}'s.
 */
function forward(src: Duplex, dst: Duplex, count: (n: number) => void): void {
  let paused = false;
  src.on('data', (chunk: Buffer) => {
    count(chunk.length);
    if (!dst.write(chunk) && !paused) {
      paused = true;
      src.pause();
    }
  });
  dst.on('drain', () => {
    if (!paused) return;
    paused = false;
    src.resume();
  });
  const end = () => dst.end();
  if (src.readableEnded) process.nextTick(end);
  else src.once('end', end);
  if (dst.writableNeedDrain) {
    paused = true;
    src.pause();
  } else {
    // A 'readable' listener (a header reader that just finished) may have left the stream paused.
    src.resume();
  }
}
