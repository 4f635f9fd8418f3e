import type { Duplex } from 'node:stream';
import type { EventEmitter } from 'node:events';

/**
 * One bidirectional stream of a multiplexed session. It is a Node `Duplex`:
 * `end()` half-closes our side (yamux FIN), the peer's FIN ends the readable side,
 * `destroy(err)` / `reset()` aborts both sides (yamux RST).
 * A stream reset by the peer is destroyed with a TfgwError of code `TFGW_ERR_STREAM_RESET`.
 */
export interface MuxedStream extends Duplex {
  /** Stream id, unique within its session. */
  readonly id: number;
  /** Abort the stream in both directions and tell the peer (RST). */
  reset(): void;
}

/** Counters every session keeps. */
export interface MuxedSessionStats {
  /** Payload bytes received on all streams. */
  bytesIn: number;
  /** Payload bytes sent on all streams. */
  bytesOut: number;
  /** Streams currently open. */
  streams: number;
  /** Last measured round-trip time in milliseconds, or undefined before the first ping. */
  rttMs?: number;
}

/**
 * A multiplexed session between two tfgw processes. The core's yamux session implements
 * it over any byte pipe; a transport with native streams (QUIC) implements it itself and
 * says so with `Transport.nativeStreams`.
 *
 * Events: `'stream'` (MuxedStream) for each stream the peer opens, `'close'` (err?) once.
 */
export interface MuxedSession extends EventEmitter {
  /** Open a new outbound stream. Throws TFGW_ERR_STREAM_LIMIT / TFGW_ERR_SESSION_CLOSED / TFGW_ERR_GOAWAY. */
  open(): MuxedStream;
  /** Measure the round trip to the peer, in milliseconds. */
  ping(timeoutMs?: number): Promise<number>;
  /** Tell the peer we accept no new streams; existing streams go on. */
  goAway(): void;
  /** Close the session and every stream; `err` is reported on 'close'. */
  close(err?: Error): void;
  /** True once closed. */
  readonly closed: boolean;
  /** Live counters. */
  readonly stats: MuxedSessionStats;
}
