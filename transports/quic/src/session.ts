import { EventEmitter } from 'node:events';
import { ErrorCodes, TfgwError, type MuxedSession, type MuxedSessionStats, type MuxedStream } from '@tfgw/core';
import { classifyNativeError, type NativeConnection, type NativeStream } from './native';
import { QuicMuxedStream, streamError, type ByteCounters } from './stream';
import { StreamKind, kindByte, type StreamKindValue } from './stream-kind';

/** Default time a ping may take. */
export const DEFAULT_PING_TIMEOUT_MS = 10_000;

/** What a {@link QuicSession} needs. */
export interface QuicSessionInit {
  /** The established connection. */
  connection: NativeConnection;
  /** Which side we are: decides the low bit of stream ids (QUIC: client 0, server 1). */
  role: 'client' | 'server';
  /** Peer address, for messages. */
  remoteAddress: string;
  /** Idle timeout in effect, for the TFGW_ERR_TIMEOUT message. */
  idleTimeoutMs: number;
  /** Local opens allowed to wait for the peer's stream limit. */
  pendingOpens: number;
  /** Longest wait of one open for the peer's stream limit (then TFGW_ERR_STREAM_LIMIT). */
  openTimeoutMs: number;
  /** Called once after the session closed (free the endpoint, forget the session). */
  onClosed?: () => void;
}

/**
 * A QUIC connection as a {@link MuxedSession}: every stream is a native QUIC stream (no
 * yamux on top). Stream ids are the QUIC stream ids, identical on both peers. Liveness is
 * QUIC's own: keep-alive packets, and the idle timeout closes the session with
 * TFGW_ERR_TIMEOUT. Ping and go-away ride on streams marked by their first byte
 * (see {@link StreamKind}).
 *
 * Events: `'stream'` (MuxedStream) for each stream the peer opens (with no listener they
 * are refused), `'goaway'` (0) when the peer announces it accepts no new streams,
 * `'close'` (err?) once. A close the peer asked for, or ours without an error, carries no
 * error. `close()` is immediate, as in QUIC: bytes not yet sent are dropped.
 */
export class QuicSession extends EventEmitter implements MuxedSession {
  private readonly connection: NativeConnection;
  private readonly init: QuicSessionInit;
  private readonly streams = new Set<QuicMuxedStream>();
  private readonly counters: ByteCounters = { bytesIn: 0, bytesOut: 0 };
  private readonly localBit: number;
  private nextOutboundIndex = 0;
  private openChain: Promise<unknown> = Promise.resolve();
  private waitingOpens = 0;
  private localGoAway = false;
  private remoteGoAway = false;
  private rttMs?: number;
  private isClosed = false;

  constructor(init: QuicSessionInit) {
    super();
    this.init = init;
    this.connection = init.connection;
    this.localBit = init.role === 'server' ? 1 : 0;
    void this.acceptLoop();
  }

  /** True once closed. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** True after the peer sent go-away: `open()` throws TFGW_ERR_GOAWAY. */
  get goneAway(): boolean {
    return this.remoteGoAway;
  }

  /** Live counters (payload bytes of data streams, open data streams, last ping). */
  get stats(): MuxedSessionStats {
    return { bytesIn: this.counters.bytesIn, bytesOut: this.counters.bytesOut, streams: this.streams.size, rttMs: this.rttMs };
  }

  /**
   * Open a data stream. It is usable at once; writes wait while the peer's concurrent-stream
   * limit is reached, and if no slot comes within `openTimeoutMs` the stream is destroyed
   * with TFGW_ERR_STREAM_LIMIT. Throws TFGW_ERR_SESSION_CLOSED, TFGW_ERR_GOAWAY (the peer
   * sent go-away) or TFGW_ERR_PENDING_LIMIT (too many opens waiting for the peer).
   */
  open(): MuxedStream {
    if (this.isClosed) throw new TfgwError(ErrorCodes.SESSION_CLOSED, 'QUIC session is closed');
    if (this.remoteGoAway) throw new TfgwError(ErrorCodes.GOAWAY, 'the peer is going away and accepts no new streams');
    if (this.waitingOpens >= this.init.pendingOpens) {
      throw new TfgwError(ErrorCodes.PENDING_LIMIT, `${this.waitingOpens} stream opens are already waiting for the peer's stream limit (pendingOpens)`, {
        details: { limit: 'pendingOpens', value: this.init.pendingOpens },
      });
    }
    const { id, native } = this.openNative(StreamKind.DATA);
    const stream = new QuicMuxedStream({ id, native, counters: this.counters, onClosed: (s) => this.streams.delete(s) });
    this.streams.add(stream);
    return stream;
  }

  /** Round trip of a PING stream to the peer and back, in ms (fractional). */
  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<number> {
    if (this.isClosed) throw new TfgwError(ErrorCodes.SESSION_CLOSED, 'QUIC session is closed');
    const started = process.hrtime.bigint();
    const { native } = this.openNative(StreamKind.PING);
    let stream: NativeStream | undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TfgwError(ErrorCodes.TIMEOUT, `QUIC ping got no answer within ${timeoutMs} ms`, { details: { timeoutMs } })), timeoutMs);
    });
    try {
      const answer = await Promise.race([
        native.then((s) => {
          stream = s;
          s.finishWrite();
          return s.read(1);
        }),
        timeout,
      ]);
      if (!answer || answer[0] !== StreamKind.PONG) throw new TfgwError(ErrorCodes.PROTOCOL, 'QUIC ping: the peer did not answer with PONG');
      const rtt = Number(process.hrtime.bigint() - started) / 1e6;
      this.rttMs = rtt;
      return rtt;
    } catch (err) {
      native.then(discard, () => undefined);
      throw err instanceof TfgwError ? err : streamError(err, 'read');
    } finally {
      clearTimeout(timer);
      stream?.stopRead();
    }
  }

  /** Tell the peer we accept no new streams; streams it opens from now on are reset. */
  goAway(): void {
    if (this.isClosed || this.localGoAway) return;
    this.localGoAway = true;
    const { native } = this.openNative(StreamKind.GOAWAY);
    native.then(
      (s) => {
        s.finishWrite();
        s.stopRead();
      },
      () => undefined,
    );
  }

  /** Close the connection and destroy every stream; `err` is reported on 'close'. */
  close(err?: Error): void {
    this.finish(err);
  }

  private finish(err?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.connection.abort();
    const streamErr = new TfgwError(ErrorCodes.SESSION_CLOSED, 'QUIC session closed', err ? { cause: err } : {});
    for (const s of [...this.streams]) s.destroy(streamErr);
    this.streams.clear();
    this.init.onClosed?.();
    this.emit('close', err);
  }

  /**
   * Open a native stream and write its kind byte. Opens are serialised so that the QUIC
   * stream index is the order of calls, which makes the id known before the library
   * returns the stream.
   *
   * An open that waits for the peer's stream limit longer than `openTimeoutMs` fails with
   * TFGW_ERR_STREAM_LIMIT. The library cannot cancel it, and its index is taken, so it stays
   * in the chain (and counts against `pendingOpens`) until its slot comes; the stream it
   * then gets is reset at once, which frees the slot for the next open.
   */
  private openNative(kind: StreamKindValue): { id: number; native: Promise<NativeStream> } {
    const id = this.nextOutboundIndex++ * 4 + this.localBit;
    this.waitingOpens++;
    const opened = this.openChain.then(() => {
      if (this.isClosed) throw new TfgwError(ErrorCodes.SESSION_CLOSED, 'QUIC session is closed');
      return this.connection.outboundStream();
    });
    this.openChain = opened.then(
      () => undefined,
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    let gaveUp = false;
    const timeoutMs = this.init.openTimeoutMs;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        reject(
          new TfgwError(ErrorCodes.STREAM_LIMIT, `QUIC stream open waited ${timeoutMs} ms for the peer's concurrent-stream limit (its maxStreams) without a slot`, {
            details: { limit: 'maxStreams', timeoutMs },
          }),
        );
      }, timeoutMs);
    });
    opened.then(
      (s) => {
        clearTimeout(timer);
        if (gaveUp) discard(s);
      },
      () => clearTimeout(timer),
    );
    const native = Promise.race([
      opened.finally(() => {
        this.waitingOpens--;
      }),
      limit,
    ]).then(async (s) => {
      await s.write(kindByte(kind));
      return s;
    });
    return { id, native };
  }

  private async acceptLoop(): Promise<void> {
    for (;;) {
      let native: NativeStream;
      try {
        native = await this.connection.inboundStream();
      } catch (err) {
        this.onConnectionEnd(err);
        return;
      }
      void this.onInbound(native);
    }
  }

  private async onInbound(native: NativeStream): Promise<void> {
    let kind: number | undefined;
    try {
      kind = (await native.read(1))?.[0];
    } catch {
      discard(native); // reset before it said what it is, or the connection ended: free its slot
      return;
    }
    if (this.isClosed) return;
    switch (kind) {
      case StreamKind.DATA: {
        if (this.localGoAway || this.listenerCount('stream') === 0) {
          discard(native);
          return;
        }
        const id = Number(native.id()) * 4 + (1 - this.localBit);
        const stream = new QuicMuxedStream({ id, native, counters: this.counters, onClosed: (s) => this.streams.delete(s) });
        this.streams.add(stream);
        this.emit('stream', stream);
        return;
      }
      case StreamKind.PING:
        native.stopRead();
        native.write(kindByte(StreamKind.PONG)).then(
          () => native.finishWrite(),
          () => undefined,
        );
        return;
      case StreamKind.GOAWAY:
        native.stopRead();
        native.finishWrite();
        if (!this.remoteGoAway) {
          this.remoteGoAway = true;
          this.emit('goaway', 0);
        }
        return;
      default:
        discard(native);
    }
  }

  private onConnectionEnd(err: unknown): void {
    if (this.isClosed) return;
    const kind = classifyNativeError(err);
    if (kind === 'timeout') {
      this.finish(
        new TfgwError(ErrorCodes.TIMEOUT, `QUIC peer ${this.init.remoteAddress} went silent (idle timeout: the shorter of ours, ${this.init.idleTimeoutMs} ms, and the peer's)`, {
          cause: err,
          details: { idleTimeoutMs: this.init.idleTimeoutMs },
        }),
      );
    } else if (kind === 'peer-closed' || kind === 'local-closed') {
      this.finish();
    } else if (kind === 'stateless-reset') {
      this.finish(
        new TfgwError(ErrorCodes.SESSION_CLOSED, `QUIC peer ${this.init.remoteAddress} no longer knows this connection (stateless reset: it restarted or timed us out)`, { cause: err }),
      );
    } else {
      this.finish(new TfgwError(ErrorCodes.SESSION_CLOSED, `QUIC connection to ${this.init.remoteAddress} ended: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
    }
  }
}

/** Abort a native stream in both directions. */
function discard(native: NativeStream): void {
  native.resetWrite();
  native.stopRead();
}
