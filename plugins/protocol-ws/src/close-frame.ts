import crypto from 'node:crypto';

/**
 * A WebSocket close frame (RFC 6455 §5.5.1) with a status code and a UTF-8 reason (cut to
 * fit the 125-byte control frame limit). `masked` is for frames sent to a server, which
 * must be masked; frames to a client must not be.
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  let text = Buffer.from(reason, 'utf8');
  if (text.length > 123) text = text.subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  const head = Buffer.from([0x88, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  const key = crypto.randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
  return Buffer.concat([head, key, payload]);
}
