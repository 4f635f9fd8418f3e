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
 *
 * Per direction this is `src.pipe(dst)` reduced to what a tunnel needs, with the byte count
 * in the same 'data' listener: backpressure as in `pipe` (pause when `dst.write` says so,
 * resume on its 'drain'), `src`'s end ends `dst`. The listeners are shared module-level
 * functions that find their splice through a symbol on the stream, so an idle connection
 * costs two small objects here instead of a dozen closures and `once` wrappers (tunnels
 * keep thousands of these alive).
 */
export function splice(a: Duplex, b: Duplex): Promise<SpliceResult> {
  return new Promise((resolve) => startSplice(a, b, resolve));
}

/**
 * {@link splice} without a promise: `onClosed` (if any) gets the byte counts once both sides
 * are closed. For callers that hold many idle connections and need nothing back, or only a
 * callback: no promise, and no suspended async function waiting on one, per connection.
 */
export function startSplice(a: Duplex, b: Duplex, onClosed?: (result: SpliceResult) => void): void {
  const state: SpliceState = { result: { aToB: 0, bToA: 0 }, a, b, closed: 0, onClosed };
  const sa: Side = { state, peer: b, aToB: true, paused: false, closed: false };
  const sb: Side = { state, peer: a, aToB: false, paused: false, closed: false };
  (a as Spliced)[kSide] = sa;
  (b as Spliced)[kSide] = sb;
  a.on('error', onError);
  a.on('close', onClose);
  b.on('error', onError);
  b.on('close', onClose);
  start(a, sa);
  start(b, sb);
}

const kSide = Symbol('tfgw.splice');

interface SpliceState {
  result: SpliceResult;
  a: Duplex;
  b: Duplex;
  /** Sides closed so far. */
  closed: number;
  /** Called once both sides closed. */
  onClosed: ((r: SpliceResult) => void) | undefined;
}

/** One stream of a splice: where its bytes go and whether we paused it. */
interface Side {
  state: SpliceState;
  /** The other stream: our readable side is written into it. */
  peer: Duplex;
  /** True for `a` (its bytes count as aToB). */
  aToB: boolean;
  /** We paused this stream because the peer asked for 'drain'. */
  paused: boolean;
  closed: boolean;
}

type Spliced = Duplex & { [kSide]: Side };

function start(src: Duplex, side: Side): void {
  src.on('data', onData);
  side.peer.on('drain', onDrain);
  if (src.readableEnded) process.nextTick(endPeer, side.peer);
  else src.on('end', onEnd);
  if (side.peer.writableNeedDrain) {
    side.paused = true;
    src.pause();
  } else {
    // A 'readable' listener (a header reader that just finished) may have left the stream paused.
    src.resume();
  }
}

function onData(this: Spliced, chunk: Buffer): void {
  const side = this[kSide];
  if (side.aToB) side.state.result.aToB += chunk.length;
  else side.state.result.bToA += chunk.length;
  if (!side.peer.write(chunk) && !side.paused) {
    side.paused = true;
    this.pause();
  }
}

/** 'drain' of a destination: resume the source we paused for it. */
function onDrain(this: Spliced): void {
  const src = this[kSide].peer as Spliced;
  const side = src[kSide];
  if (!side.paused) return;
  side.paused = false;
  src.resume();
}

function onEnd(this: Spliced): void {
  endPeer(this[kSide].peer);
}

function endPeer(peer: Duplex): void {
  peer.end();
}

function onError(this: Spliced, err: Error): void {
  const state = this[kSide].state;
  if (!state.result.error) state.result.error = err;
  state.a.destroy();
  state.b.destroy();
}

function onClose(this: Spliced): void {
  const side = this[kSide];
  if (side.closed) return;
  side.closed = true;
  // A side that closed without ending cleanly (reset) must take the other down too.
  if (!side.peer.destroyed && !(this.readableEnded && this.writableFinished)) side.peer.destroy();
  if (++side.state.closed === 2) side.state.onClosed?.(side.state.result);
}
