/**
 * Wire constants of the yamux framing (hashicorp/yamux `spec.md`). Every yamux
 * implementation shares these numbers, which is what makes interop possible.
 */

/** The only protocol version yamux defines. */
export const YAMUX_VERSION = 0;

/** Size of every frame header: version(1) type(1) flags(2) stream id(4) length(4). */
export const HEADER_SIZE = 12;

/** Frame types (header byte 1). */
export const FrameType = {
  /** Payload of `length` bytes follows the header. */
  DATA: 0,
  /** `length` is a window delta for the stream; no payload. */
  WINDOW_UPDATE: 1,
  /** `length` is an opaque value echoed in the ACK; stream id 0. */
  PING: 2,
  /** `length` is a go-away code; stream id 0. */
  GO_AWAY: 3,
} as const;

/** Frame flags (header bytes 2-3, big endian). */
export const Flag = {
  /** Opens a stream (DATA / WINDOW_UPDATE) or asks for a ping reply. */
  SYN: 1,
  /** Acknowledges a stream open or answers a ping. */
  ACK: 2,
  /** Half-closes the sender's side of a stream. */
  FIN: 4,
  /** Aborts a stream in both directions. */
  RST: 8,
} as const;

/** Codes carried in the `length` field of a GO_AWAY frame. */
export const GoAwayCode = {
  /** Orderly shutdown: no new streams, existing ones continue. */
  NORMAL: 0,
  /** The sender saw a protocol violation. */
  PROTOCOL_ERROR: 1,
  /** The sender hit an internal error. */
  INTERNAL_ERROR: 2,
} as const;

/** Initial per-stream window every yamux peer assumes when a stream starts. */
export const SPEC_INITIAL_WINDOW = 256 * 1024;

/** Largest value a 32-bit length / window field can carry. */
export const MAX_UINT32 = 0xffff_ffff;
