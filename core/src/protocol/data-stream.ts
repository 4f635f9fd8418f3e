import type { MuxedSession, MuxedStream } from '../muxer';
import type { StreamHeader } from '../session-info';
import { ErrorCodes, TfgwError, asTfgwError } from '../errors';
import { readFrame, writeFrame } from './frame';
import { parseStreamHeader, type StreamReply } from './messages';

/**
 * Opens a data stream, sends its header and waits for the acceptor's reply. Resolves with
 * the stream ready for payload; rejects with the acceptor's coded error (and resets the stream).
 */
export async function openDataStream(session: MuxedSession, header: StreamHeader, maxHeaderBytes: number, signal?: AbortSignal): Promise<MuxedStream> {
  const stream = session.open();
  // A session closed with an error destroys its streams with one; whoever holds the stream
  // later adds its own listener, this one keeps an unowned moment from crashing the process.
  stream.on('error', ignore);
  writeFrame(stream, header);
  const onAbort = () => stream.destroy(new TfgwError(ErrorCodes.TIMEOUT, 'stream open aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const reply = (await readFrame(stream, maxHeaderBytes)) as StreamReply;
    if (reply.ok === true) return stream;
    const code = typeof reply.code === 'string' ? reply.code : ErrorCodes.BAD_MESSAGE;
    stream.destroy();
    throw new TfgwError(code, typeof reply.message === 'string' ? reply.message : 'stream refused');
  } catch (err) {
    stream.destroy();
    throw asTfgwError(err, ErrorCodes.SESSION_CLOSED);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

const ignore = () => undefined;

/** Reads and validates the header of an incoming data stream. */
export async function readStreamHeader(stream: MuxedStream, maxHeaderBytes: number): Promise<StreamHeader> {
  stream.on('error', ignore);
  const raw = await readFrame(stream, maxHeaderBytes);
  const header = parseStreamHeader(raw);
  if (!header) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'malformed stream header');
  return header;
}

/** Tells the opener the target was reached; payload may follow. */
export function acceptStream(stream: MuxedStream): void {
  writeFrame(stream, { ok: true } satisfies StreamReply);
}

/** Tells the opener why the stream is refused, then half-closes it. */
export function refuseStream(stream: MuxedStream, err: unknown): void {
  const e = asTfgwError(err, ErrorCodes.SERVICE_UNREACHABLE);
  // The opener resets the stream once it has read the refusal: that RST must not crash us.
  stream.on('error', () => undefined);
  if (stream.writable) {
    writeFrame(stream, { ok: false, code: e.code, message: e.message } satisfies StreamReply);
    stream.end();
  }
  stream.resume();
}
