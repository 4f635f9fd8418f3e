/**
 * The first byte of every QUIC stream tfgw opens says what the stream is for. QUIC has no
 * stream-open frame (a stream exists for the peer once data arrives), no ping the
 * application can time and no go-away, so one byte gives the peer an immediate `'stream'`
 * event (like a yamux SYN) and carries the session-level signals.
 */
export const StreamKind = {
  /** An application stream, emitted as `'stream'`; payload follows. */
  DATA: 0x00,
  /** A ping: the peer answers with one PONG byte and FIN. */
  PING: 0x01,
  /** The sender accepts no new streams (go-away); then FIN. */
  GOAWAY: 0x02,
  /** The answer on a ping stream. */
  PONG: 0x03,
} as const;

/** One of the {@link StreamKind} values. */
export type StreamKindValue = (typeof StreamKind)[keyof typeof StreamKind];

/** The one-byte preamble of a stream of this kind. */
export function kindByte(kind: StreamKindValue): Buffer {
  return Buffer.of(kind);
}
