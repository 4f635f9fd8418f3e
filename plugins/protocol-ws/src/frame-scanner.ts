/** WebSocket close codes the scanner reports (RFC 6455 §7.4.1). */
export const CloseCodes = {
  /** Normal closure. */
  NORMAL: 1000,
  /** The endpoint is going away (used for the idle timeout). */
  GOING_AWAY: 1001,
  /** Protocol error: a frame header the scanner cannot follow. */
  PROTOCOL_ERROR: 1002,
  /** A message larger than the limit. */
  MESSAGE_TOO_BIG: 1009,
} as const;

/** Why a scanner stopped forwarding. */
export interface ScanError {
  /** Close code to send: 1009 (message too big) or 1002 (protocol error). */
  code: number;
  /** Short reason for the close frame and the log. */
  reason: string;
}

/** What to do with one chunk. */
export interface ScanStep {
  /** Bytes to forward, in order: slices of the chunk (never copies), plus a copied frame header when one was split across chunks. */
  out: Buffer[];
  /** Set when a frame broke a rule: nothing from that frame's header on was forwarded; the scanner accepts no more input. */
  error?: ScanError;
  /** Set when {@link FrameScanner.requestStop} was honoured: `out` ends at a frame boundary; the rest of the chunk is not forwarded. */
  stopped?: boolean;
}

/** Largest frame header: 2 bytes + 8 bytes of length + 4 bytes of mask key. */
const MAX_HEADER = 14;

/**
 * Follows WebSocket frames (RFC 6455 §5.2) on a byte stream without copying payloads: it
 * reads each frame header, skips the payload by count, and tells the caller which slices of
 * each chunk may be forwarded. It enforces a per-message size limit (the sum of a message's
 * frame payloads, continuation frames included; control frames do not count) and the
 * framing rules it relies on (known opcodes, unfragmented control frames of at most 125
 * bytes, continuation only inside a fragmented message). The limit counts payload bytes on
 * the wire, i.e. compressed bytes when permessage-deflate is in use; RSV bits are left to
 * the endpoints, which negotiated the extensions.
 *
 * A header split across chunks is held back (at most 14 bytes copied) until it is whole, so
 * an offending frame is refused before any of it is forwarded.
 */
export class FrameScanner {
  private readonly header = Buffer.alloc(MAX_HEADER);
  private headerLen = 0;
  private payloadLeft = 0;
  private inMessage = false;
  private messageBytes = 0;
  private stopWanted = false;
  private failed: ScanError | undefined;
  private completed = 0;

  /** @param maxMessageBytes largest message in payload bytes; 0 = no limit. */
  constructor(private readonly maxMessageBytes: number) {}

  /** Data messages completed so far (the final frame seen). */
  get messages(): number {
    return this.completed;
  }

  /** True between frames: the next byte starts a new frame header. */
  get atBoundary(): boolean {
    return this.payloadLeft === 0 && this.headerLen === 0 && this.failed === undefined;
  }

  /** Stop forwarding at the next frame boundary (the caller will inject a close frame there). */
  requestStop(): void {
    this.stopWanted = true;
  }

  /** Scans one chunk; see {@link ScanStep}. */
  scan(chunk: Buffer): ScanStep {
    const out: Buffer[] = [];
    if (this.failed) return { out, error: this.failed };
    let pos = 0;
    // Start of the run of bytes of this chunk not yet emitted.
    let runStart = 0;
    const flush = (end: number) => {
      if (end > runStart) out.push(chunk.subarray(runStart, end));
      runStart = end;
    };
    while (pos < chunk.length) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - pos);
        pos += take;
        this.payloadLeft -= take;
        continue;
      }
      if (this.headerLen === 0 && this.stopWanted) {
        flush(pos);
        return { out, stopped: true };
      }
      // Collect a header, possibly continuing one held from the previous chunk.
      const carried = this.headerLen > 0;
      const headerStart = pos;
      while (pos < chunk.length && (this.headerLen < 2 || this.headerLen < headerSize(this.header))) {
        this.header[this.headerLen++] = chunk[pos++];
      }
      if (this.headerLen < 2 || this.headerLen < headerSize(this.header)) {
        // Incomplete: hold it back (it is already copied), forward what came before it.
        flush(headerStart);
        runStart = chunk.length;
        return { out };
      }
      const error = this.acceptHeader();
      if (error) {
        this.failed = error;
        flush(headerStart);
        return { out, error };
      }
      if (carried) {
        flush(headerStart);
        out.push(Buffer.from(this.header.subarray(0, this.headerLen)));
        runStart = pos;
      }
      this.headerLen = 0;
    }
    flush(pos);
    if (this.stopWanted && this.atBoundary) return { out, stopped: true };
    return { out };
  }

  /** Checks a whole header in `this.header`; sets up the payload count. */
  private acceptHeader(): ScanError | undefined {
    const h = this.header;
    const fin = (h[0] & 0x80) !== 0;
    const opcode = h[0] & 0x0f;
    const length = payloadLength(h);
    if (opcode >= 0x8) {
      if (opcode > 0xa) return { code: CloseCodes.PROTOCOL_ERROR, reason: `unknown control opcode ${opcode}` };
      if (!fin) return { code: CloseCodes.PROTOCOL_ERROR, reason: 'fragmented control frame' };
      if (length > 125) return { code: CloseCodes.PROTOCOL_ERROR, reason: 'control frame longer than 125 bytes' };
      this.payloadLeft = length;
      return undefined;
    }
    if (opcode > 0x2) return { code: CloseCodes.PROTOCOL_ERROR, reason: `unknown data opcode ${opcode}` };
    if (opcode === 0x0 && !this.inMessage) return { code: CloseCodes.PROTOCOL_ERROR, reason: 'continuation frame outside a message' };
    if (opcode !== 0x0 && this.inMessage) return { code: CloseCodes.PROTOCOL_ERROR, reason: 'new message inside a fragmented message' };
    const total = (opcode === 0x0 ? this.messageBytes : 0) + length;
    if (this.maxMessageBytes > 0 && total > this.maxMessageBytes) {
      return { code: CloseCodes.MESSAGE_TOO_BIG, reason: `message larger than ${this.maxMessageBytes} bytes` };
    }
    if (!Number.isSafeInteger(total)) return { code: CloseCodes.MESSAGE_TOO_BIG, reason: 'message length out of range' };
    this.payloadLeft = length;
    if (fin) {
      this.inMessage = false;
      this.messageBytes = 0;
      this.completed++;
    } else {
      this.inMessage = true;
      this.messageBytes = total;
    }
    return undefined;
  }
}

/** Size of a frame header from its first two bytes. */
export function headerSize(h: Buffer): number {
  const len7 = h[1] & 0x7f;
  const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  return 2 + ext + ((h[1] & 0x80) !== 0 ? 4 : 0);
}

/** Payload length of a whole header (a 64-bit length beyond 2^53 comes back as Infinity). */
export function payloadLength(h: Buffer): number {
  const len7 = h[1] & 0x7f;
  if (len7 < 126) return len7;
  if (len7 === 126) return h.readUInt16BE(2);
  const high = h.readUInt32BE(2);
  const low = h.readUInt32BE(6);
  if (high > 0x1fffff) return Infinity;
  return high * 0x100000000 + low;
}
