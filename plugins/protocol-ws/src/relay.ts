import type { Duplex } from 'node:stream';
import { closeFrame } from './close-frame';
import { CloseCodes, FrameScanner, type ScanError } from './frame-scanner';

/** Options of {@link relayWebSocket}. */
export interface RelayOptions {
  /** Largest message (payload bytes) either side may send; 0 = no limit. */
  maxMessageBytes: number;
  /** Close both sides (1001) after this long without a byte either way; 0 = never. */
  idleTimeoutMs: number;
  /** Bytes the visitor sent after its request head (already read from its socket). */
  visitorHead?: Buffer;
  /** Bytes the service sent after its 101 response head. */
  serviceHead?: Buffer;
  /** After the gateway sent close frames, how long the sides have to hang up before they are cut. @default 5000 */
  closeGraceMs?: number;
}

/** How a relayed WebSocket ended. */
export interface RelayResult {
  /** Bytes from the visitor to the service. */
  bytesIn: number;
  /** Bytes from the service to the visitor. */
  bytesOut: number;
  /** Set when the gateway closed the connection itself (limit, protocol error, idle). */
  closedByGateway?: { code: number; reason: string; side: 'visitor' | 'service' | 'both' };
}

/** One direction: forwards the frames of `src` to `dst`, following them with a scanner. */
class Pump {
  bytes = 0;
  private stopped = false;
  private closeToSend: Buffer | undefined;

  constructor(
    private readonly src: Duplex,
    private readonly dst: Duplex,
    private readonly scanner: FrameScanner,
    private readonly onViolation: (err: ScanError) => void,
    private readonly onActivity: () => void,
  ) {}

  start(head: Buffer | undefined): void {
    if (head && head.length > 0) this.feed(head);
    this.src.on('data', (chunk: Buffer) => this.feed(chunk));
    this.dst.on('drain', () => this.src.resume());
    this.src.once('end', () => {
      if (!this.stopped && !this.dst.writableEnded) this.dst.end();
    });
  }

  /** Sends a close frame to `dst` at the next frame boundary of this direction, then ends `dst`. */
  closeWith(frame: Buffer): void {
    if (this.closeToSend) return;
    this.closeToSend = frame;
    if (this.stopped || this.scanner.atBoundary) this.stopNow();
    else this.scanner.requestStop();
  }

  private feed(chunk: Buffer): void {
    if (this.stopped) return;
    this.onActivity();
    const step = this.scanner.scan(chunk);
    let ok = true;
    for (const piece of step.out) {
      this.bytes += piece.length;
      ok = this.dst.write(piece) && ok;
    }
    if (!ok) this.src.pause();
    if (step.error) {
      this.stopped = true;
      this.discard();
      this.onViolation(step.error);
    } else if (step.stopped) {
      this.stopNow();
    }
  }

  /** Stopped: read and drop what still comes, so the sender's FIN (its answer to our close) is seen. */
  private discard(): void {
    this.src.resume();
  }

  private stopNow(): void {
    this.stopped = true;
    this.discard();
    if (this.closeToSend && this.dst.writable) this.dst.write(this.closeToSend);
    if (!this.dst.writableEnded) this.dst.end();
  }
}

/**
 * Relays an upgraded WebSocket connection between a visitor and a service stream: bytes flow
 * both ways as they come (slices of the chunks, no copies), while a {@link FrameScanner} per
 * direction follows the frames. A message over `maxMessageBytes` is never forwarded: the
 * sender gets a close frame 1009 (at a frame boundary of the other direction) and the
 * receiver one too (masked toward the service); a framing error closes with 1002; idleness
 * closes both with 1001. Close frames the endpoints send pass through untouched, so close
 * codes propagate. Resolves once both sides are closed.
 */
export function relayWebSocket(visitor: Duplex, service: Duplex, opts: RelayOptions): Promise<RelayResult> {
  return new Promise((resolve) => {
    const result: RelayResult = { bytesIn: 0, bytesOut: 0 };
    let closed = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const graceMs = opts.closeGraceMs ?? 5000;

    const touch = () => idleTimer?.refresh();
    const teardown = () => {
      if (idleTimer) clearTimeout(idleTimer);
      if (graceTimer) clearTimeout(graceTimer);
      visitor.destroy();
      service.destroy();
    };
    const startGrace = () => {
      if (graceTimer) return;
      if (idleTimer) clearTimeout(idleTimer);
      graceTimer = setTimeout(teardown, graceMs);
      graceTimer.unref();
    };

    const toService = new Pump(visitor, service, new FrameScanner(opts.maxMessageBytes), (err) => violation(err, 'visitor'), touch);
    const toVisitor = new Pump(service, visitor, new FrameScanner(opts.maxMessageBytes), (err) => violation(err, 'service'), touch);

    function violation(err: ScanError, from: 'visitor' | 'service'): void {
      if (result.closedByGateway) return;
      result.closedByGateway = { code: err.code, reason: err.reason, side: from };
      // The direction that broke the rule stopped at a frame boundary: the receiver gets the
      // close now; the sender gets it once the other direction reaches a boundary.
      toService.closeWith(closeFrame(err.code, err.reason, true));
      toVisitor.closeWith(closeFrame(err.code, err.reason, false));
      startGrace();
    }

    const onClose = (side: Duplex, other: Duplex) => () => {
      if (!other.destroyed && !(side.readableEnded && side.writableFinished)) other.destroy();
      if (++closed === 2) {
        if (idleTimer) clearTimeout(idleTimer);
        if (graceTimer) clearTimeout(graceTimer);
        result.bytesIn = toService.bytes;
        result.bytesOut = toVisitor.bytes;
        resolve(result);
      }
    };
    const onError = () => teardown();
    visitor.on('error', onError);
    service.on('error', onError);
    visitor.once('close', onClose(visitor, service));
    service.once('close', onClose(service, visitor));

    if (opts.idleTimeoutMs > 0) {
      idleTimer = setTimeout(() => {
        if (result.closedByGateway) return;
        result.closedByGateway = { code: CloseCodes.GOING_AWAY, reason: 'idle timeout', side: 'both' };
        toService.closeWith(closeFrame(CloseCodes.GOING_AWAY, 'idle timeout', true));
        toVisitor.closeWith(closeFrame(CloseCodes.GOING_AWAY, 'idle timeout', false));
        startGrace();
      }, opts.idleTimeoutMs);
      idleTimer.unref();
    }
    toService.start(opts.visitorHead);
    toVisitor.start(opts.serviceHead);
  });
}
