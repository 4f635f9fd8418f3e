import type dgram from 'node:dgram';
import type { MuxedStream } from '@tfgw/core';
import { DatagramBatcher } from './datagram-batcher';
import { DatagramDecoder } from './datagram-framer';

/** Limits an association obeys (from the plugin and service options). */
export interface AssociationLimits {
  /** Datagrams queued while the stream is being opened. */
  pendingDatagrams: number;
  /** Unsent bytes on the stream above which datagrams are dropped. */
  maxBufferedBytes: number;
}

/**
 * One visitor address (`ip:port`) talking to one UDP service on the gateway: its stream to
 * the agent, carrying length-prefixed datagrams both ways. States: `pending` (visitor hook
 * and stream open in progress; datagrams are queued), `open`, `refused` (datagrams are
 * dropped until `refusedUntil`), `closed`.
 */
export class Association {
  state: 'pending' | 'open' | 'refused' | 'closed' = 'pending';
  /** Epoch ms of the last datagram in either direction. */
  lastSeen: number;
  /** Until when a refused association drops datagrams (epoch ms). */
  refusedUntil = 0;
  /** Payload bytes visitor -> service, service -> visitor. */
  bytesIn = 0;
  bytesOut = 0;
  /** Datagrams dropped (queue full, stream congested, refused). */
  dropped = 0;
  /** Aborts the stream open when the association ends first. */
  readonly abort = new AbortController();
  /** The stream, once open. */
  stream?: MuxedStream;
  /** Epoch ms `end()` was sent after idling, or 0. */
  endingSince = 0;

  private queue: Buffer[] = [];
  private batcher?: DatagramBatcher;

  constructor(
    /** Map key: `address|port`. */
    readonly key: string,
    /** Visitor IP. */
    readonly address: string,
    /** Visitor port. */
    readonly port: number,
    private readonly socket: dgram.Socket,
    private readonly limits: AssociationLimits,
    now: number,
  ) {
    this.lastSeen = now;
  }

  /** A datagram from the visitor. */
  fromVisitor(msg: Buffer): void {
    if (this.state === 'open') {
      if (this.batcher!.push(msg)) this.bytesIn += msg.length;
      else this.dropped++;
    } else if (this.state === 'pending') {
      if (this.queue.length < this.limits.pendingDatagrams) this.queue.push(msg);
      else this.dropped++;
    } else {
      this.dropped++;
    }
  }

  /**
   * Wire the opened stream: replies go to the visitor from the public socket; `onClose`
   * runs once when the stream is gone; `onBadFrame` when the agent breaks the framing.
   */
  attach(stream: MuxedStream, onClose: () => void, onBadFrame: (err: Error) => void): void {
    this.stream = stream;
    this.state = 'open';
    this.batcher = new DatagramBatcher(stream, this.limits.maxBufferedBytes);
    const decoder = new DatagramDecoder((d) => {
      this.bytesOut += d.length;
      this.lastSeen = Date.now();
      this.socket.send(d, this.port, this.address);
    });
    stream.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        onBadFrame(err as Error);
        stream.destroy();
      }
    });
    stream.on('end', () => stream.end());
    stream.on('error', () => undefined);
    stream.once('close', () => {
      this.state = 'closed';
      onClose();
    });
    const queued = this.queue;
    this.queue = [];
    for (const msg of queued) this.fromVisitor(msg);
  }

  /** Drop datagrams until `until` (epoch ms). */
  refuse(until: number): void {
    this.state = 'refused';
    this.refusedUntil = until;
    this.dropped += this.queue.length;
    this.queue = [];
  }

  /** Idle: half-close the stream (the agent closes its socket and ends its side). */
  end(now: number): void {
    this.endingSince = now;
    this.stream?.end();
  }

  /** Tear down at once (release, shutdown, an agent that does not end an idle stream). */
  destroy(): void {
    if (this.state === 'pending') this.abort.abort();
    this.queue = [];
    this.stream?.destroy();
    if (!this.stream) this.state = 'closed';
  }
}
