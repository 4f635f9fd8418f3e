import type { Readable, Writable } from 'node:stream';
import { ErrorCodes, TfgwError } from '../errors';

/** Length prefix of every control message and stream header: 4 bytes, big endian. */
export const FRAME_PREFIX_BYTES = 4;

/** Encodes one JSON message as `[u32 length][utf-8 JSON]`. */
export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const out = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, FRAME_PREFIX_BYTES);
  return out;
}

/** Parses a frame body; throws TFGW_ERR_BAD_MESSAGE unless it is a JSON object. */
export function decodeFrameBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'message is not valid JSON', { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'message is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Writes one frame. */
export function writeFrame(stream: Writable, message: unknown): boolean {
  return stream.write(encodeFrame(message));
}

/**
 * Reads exactly one frame from a readable without consuming the bytes after it, so the
 * stream can be piped afterwards. Rejects with TFGW_ERR_LIMIT when the frame is larger
 * than `maxBytes`, TFGW_ERR_BAD_MESSAGE on a bad body or an early end.
 */
export function readFrame(stream: Readable, maxBytes: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let length = -1;
    const cleanup = () => {
      stream.removeListener('readable', onReadable);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      stream.removeListener('close', onEnd);
    };
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onEnd = () => fail(new TfgwError(ErrorCodes.BAD_MESSAGE, 'stream ended before a complete message'));
    const onError = (err: Error) => fail(err);
    const onReadable = () => {
      for (;;) {
        if (length < 0) {
          const head = stream.read(FRAME_PREFIX_BYTES) as Buffer | null;
          if (head === null) return;
          length = head.readUInt32BE(0);
          if (length > maxBytes) {
            fail(new TfgwError(ErrorCodes.LIMIT, `message of ${length} bytes exceeds the limit of ${maxBytes} (limits.controlMessageBytes)`, { details: { limit: 'limits.controlMessageBytes' } }));
            return;
          }
        }
        const body = length === 0 ? Buffer.alloc(0) : (stream.read(length) as Buffer | null);
        if (body === null) return;
        cleanup();
        try {
          resolve(decodeFrameBody(body));
        } catch (err) {
          reject(err);
        }
        return;
      }
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
    onReadable();
  });
}
