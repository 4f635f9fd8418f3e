/**
 * The core session multiplexer: hashicorp/yamux framing and flow control over any byte
 * duplex. See README.md in this folder.
 */
export { createSession, YamuxSession, CONN_HIGH_WATER, MAX_UNFLUSHED_REPLIES, CLOSE_FLUSH_MS } from './yamux-session';
export { YamuxStream, MAX_SEND_FRAME } from './yamux-stream';
export { autotuneWindow, AUTOTUNE_RTT_FACTOR, AUTOTUNE_RTT_FLOOR_MS } from './autotune';
export type { StreamHost } from './yamux-stream';
export { resolveYamuxOptions, YAMUX_DEFAULTS } from './options';
export type { YamuxOptions, ResolvedYamuxOptions } from './options';
export { FrameDecoder as YamuxFrameDecoder } from './frame-decoder';
export type { FrameSink as YamuxFrameSink } from './frame-decoder';
export { encodeHeader as encodeYamuxHeader } from './frame';
export {
  FrameType as YamuxFrameType,
  Flag as YamuxFlag,
  GoAwayCode as YamuxGoAwayCode,
  HEADER_SIZE as YAMUX_HEADER_SIZE,
  YAMUX_VERSION,
  SPEC_INITIAL_WINDOW as YAMUX_INITIAL_WINDOW,
} from './constants';
