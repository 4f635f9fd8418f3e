import type { MuxedSession } from '../muxer';
import type { Principal } from '../auth';
import type { SessionInfo } from '../session-info';
import type { ControlChannel } from '../protocol/control-channel';

/** A gateway-side authenticated peer (agent or client). */
export interface PeerSession extends SessionInfo {
  /** The control channel. */
  readonly control: ControlChannel;
  /** Fully-qualified agent name (agents only). */
  readonly fqdn?: string;
  /** The multiplexed session. */
  readonly session: MuxedSession;
  /** Who authenticated. */
  readonly principal: Principal;
}
