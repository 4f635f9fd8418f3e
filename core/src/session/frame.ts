import { HEADER_SIZE, YAMUX_VERSION } from './constants';

/**
 * Builds one 12-byte yamux header. It is a fresh small buffer (carved from Node's shared
 * pool by `allocUnsafe`) because the socket may still hold a previous header when we
 * write the next one; the payload is never copied into it.
 */
export function encodeHeader(type: number, flags: number, streamId: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE);
  h[0] = YAMUX_VERSION;
  h[1] = type;
  h[2] = (flags >>> 8) & 0xff;
  h[3] = flags & 0xff;
  h.writeUInt32BE(streamId >>> 0, 4);
  h.writeUInt32BE(length >>> 0, 8);
  return h;
}
