import { EventEmitter } from 'node:events';
import type { MuxedStream } from '@tfgw/core';
import { DatagramDecoder, encodeDatagram, MAX_DATAGRAM } from '@tfgw/protocol-udp';

/** Datagrams queued while the stream is being opened; more are dropped. */
export const PENDING_DATAGRAMS = 64;
/** Unsent bytes on the stream above which datagrams are dropped (UDP may lose, never block). */
export const MAX_BUFFERED_BYTES = 1 << 20;
/** How long a refused association drops datagrams (at most the idle timeout) before the next one tries again. */
export const REFUSED_HOLD_MS = 5_000;

/**
 * One UDP association on the client side: a local peer (and, for SOCKS, one destination)
 * talking to one agent service or target over one stream of length-prefixed datagrams (the
 * framing of `@tfgw/protocol-udp`). States: `opening` (datagrams queued), `open`, `refused`
 * (datagrams dropped for {@link REFUSED_HOLD_MS}, at most the idle timeout, whatever the
 * traffic: one refusal log line per hold, then the next datagram tries again), `closed`.
 * The idle timer restarts on every datagram either way.
 *
 * Emits `'close'` once.
 */
export class DatagramFlow extends EventEmitter {
  /** Where the flow is. */
  state: 'opening' | 'open' | 'refused' | 'closed' = 'opening';
  /** Datagrams dropped (queue full, stream congested, refused, too large). */
  dropped = 0;
  private stream?: MuxedStream;
  private queue: Buffer[] = [];
  private idle?: NodeJS.Timeout;

  constructor(
    open: () => Promise<MuxedStream>,
    /** Called with each datagram from the service. */
    private readonly onDatagram: (datagram: Buffer) => void,
    private readonly idleTimeoutMs: number,
  ) {
    super();
    this.touch();
    open().then(
      (stream) => this.attach(stream),
      () => {
        if (this.state === 'closed') return;
        this.state = 'refused';
        this.dropped += this.queue.length;
        this.queue = [];
        clearTimeout(this.idle);
        this.idle = setTimeout(() => this.close(), Math.min(REFUSED_HOLD_MS, this.idleTimeoutMs));
        this.idle.unref();
      },
    );
  }

  /** A datagram from the local peer. */
  send(datagram: Buffer): void {
    if (this.state === 'closed') return;
    this.touch();
    if (datagram.length > MAX_DATAGRAM) {
      this.dropped++;
      return;
    }
    if (this.state === 'open') {
      const s = this.stream!;
      if (!s.writable || s.writableLength > MAX_BUFFERED_BYTES) {
        this.dropped++;
        return;
      }
      s.write(encodeDatagram(datagram));
    } else if (this.state === 'opening' && this.queue.length < PENDING_DATAGRAMS) {
      this.queue.push(Buffer.from(datagram));
    } else {
      this.dropped++;
    }
  }

  /** End the flow now (idle, shutdown, the local side went away). */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.idle);
    this.queue = [];
    if (this.stream) {
      this.stream.end();
      this.stream.destroy();
    }
    this.emit('close');
  }

  private touch(): void {
    if (this.state === 'refused') return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.close(), this.idleTimeoutMs);
    this.idle.unref();
  }

  private attach(stream: MuxedStream): void {
    if (this.state === 'closed') {
      stream.destroy();
      return;
    }
    this.stream = stream;
    this.state = 'open';
    const decoder = new DatagramDecoder((d) => {
      this.touch();
      this.onDatagram(d);
    });
    stream.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch {
        this.close();
      }
    });
    stream.on('error', () => undefined);
    stream.once('end', () => this.close());
    stream.once('close', () => this.close());
    const queued = this.queue;
    this.queue = [];
    for (const d of queued) this.send(d);
  }
}
