import { HEADER_SIZE, YAMUX_VERSION } from './constants';

/**
 * Builds one 12-byte yamux header. It is a fresh small buffer (carved from Node's shared
 * pool by `allocUnsafe`) because the socket may still hold a previous header when we
 * write the next one; the payload is never copied into it.
 */
export function encodeHeader(type: number, flags: number, streamId: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE);
  writeHeader(h, type, flags, streamId, length);
  return h;
}

/** Writes a 12-byte yamux header at the start of `out` (at least 12 bytes long). */
export function writeHeader(out: Buffer, type: number, flags: number, streamId: number, length: number): void {
  out[0] = YAMUX_VERSION;
  out[1] = type;
  out[2] = (flags >>> 8) & 0xff;
  out[3] = flags & 0xff;
  out.writeUInt32BE(streamId >>> 0, 4);
  out.writeUInt32BE(length >>> 0, 8);
}
