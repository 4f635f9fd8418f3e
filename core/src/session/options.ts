import { ErrorCodes, TfgwError } from '../errors';
import type { MuxedStream } from '../muxer';
import { MAX_UINT32, SPEC_INITIAL_WINDOW } from './constants';

/** Options of {@link createSession}. Every limit has a default and a coded error when hit. */
export interface YamuxOptions {
  /** True on the dialing side: our stream ids are odd. The listening side uses even ids. */
  client: boolean;
  /**
   * Receive window granted to each new stream, in bytes. Streams start at the spec's
   * 256 KiB on the wire (the peer assumes it); a larger value is granted right away with
   * the SYN / ACK window update. Must be at least 256 KiB.
   * @default 262144
   */
  initialWindow?: number;
  /** Cap to which a stream's receive window auto-grows. @default 16777216 */
  maxWindow?: number;
  /** Open streams (both directions); `open()` throws TFGW_ERR_STREAM_LIMIT, an inbound SYN over it is reset. @default 65536 */
  maxStreams?: number;
  /**
   * Outbound streams whose SYN is not yet acknowledged. Opens beyond it queue until ACKs free
   * a slot; with as many queued, `open()` throws TFGW_ERR_PENDING_LIMIT. @default 1024
   */
  maxPendingOpens?: number;
  /**
   * Largest DATA frame accepted; a larger one closes the session with TFGW_ERR_FRAME_TOO_LARGE.
   * At least 256 KiB, because a spec peer may send a whole initial window in one frame
   * (tfgw itself never sends frames above 256 KiB; Go's hashicorp/yamux sends up to the
   * whole window it was granted, so keep this at or above `maxWindow` for such peers).
   * @default 16777216
   */
  maxFrameBytes?: number;
  /** Keepalive ping interval in ms (the pings also measure `stats.rttMs`); 0 disables. @default 15000 */
  keepaliveMs?: number;
  /** A keepalive ping unanswered (and nothing else received) this long closes the session with TFGW_ERR_TIMEOUT. @default 30000 */
  keepaliveTimeoutMs?: number;
  /** Called for each stream the peer opens; replaces the `'stream'` event. */
  onStream?: (stream: MuxedStream) => void;
}

/** {@link YamuxOptions} with every default filled in and checked. */
export interface ResolvedYamuxOptions {
  client: boolean;
  initialWindow: number;
  maxWindow: number;
  maxStreams: number;
  maxPendingOpens: number;
  maxFrameBytes: number;
  keepaliveMs: number;
  keepaliveTimeoutMs: number;
  onStream?: (stream: MuxedStream) => void;
}

/** Defaults of {@link YamuxOptions}. */
export const YAMUX_DEFAULTS = Object.freeze({
  initialWindow: SPEC_INITIAL_WINDOW,
  maxWindow: 16 * 1024 * 1024,
  maxStreams: 65536,
  maxPendingOpens: 1024,
  maxFrameBytes: 16 * 1024 * 1024,
  keepaliveMs: 15000,
  keepaliveTimeoutMs: 30000,
});

function check(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TfgwError(ErrorCodes.CONFIG, `yamux option ${name} must be an integer in [${min}, ${max}], got ${value}`, {
      details: { path: name, value },
    });
  }
  return value;
}

/** Fills defaults and rejects nonsense with TFGW_ERR_CONFIG (`details.path` names the option). */
export function resolveYamuxOptions(opts: YamuxOptions): ResolvedYamuxOptions {
  const initialWindow = check('initialWindow', opts.initialWindow ?? YAMUX_DEFAULTS.initialWindow, SPEC_INITIAL_WINDOW, MAX_UINT32);
  const maxWindow = check('maxWindow', opts.maxWindow ?? Math.max(YAMUX_DEFAULTS.maxWindow, initialWindow), initialWindow, MAX_UINT32);
  return {
    client: Boolean(opts.client),
    initialWindow,
    maxWindow,
    maxStreams: check('maxStreams', opts.maxStreams ?? YAMUX_DEFAULTS.maxStreams, 1, MAX_UINT32),
    maxPendingOpens: check('maxPendingOpens', opts.maxPendingOpens ?? YAMUX_DEFAULTS.maxPendingOpens, 1, MAX_UINT32),
    maxFrameBytes: check('maxFrameBytes', opts.maxFrameBytes ?? YAMUX_DEFAULTS.maxFrameBytes, SPEC_INITIAL_WINDOW, MAX_UINT32),
    keepaliveMs: check('keepaliveMs', opts.keepaliveMs ?? YAMUX_DEFAULTS.keepaliveMs, 0, 2 ** 31 - 1),
    keepaliveTimeoutMs: check('keepaliveTimeoutMs', opts.keepaliveTimeoutMs ?? YAMUX_DEFAULTS.keepaliveTimeoutMs, 1, 2 ** 31 - 1),
    onStream: opts.onStream,
  };
}
