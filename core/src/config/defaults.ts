import type { LimitsConfig, SessionConfig } from './types';

/** Default zone. */
export const DEFAULT_ZONE = 'tfgw.localhost';

/** Every limit's default (see LimitsConfig for meaning and keys). */
export const DEFAULT_LIMITS: Required<LimitsConfig> = {
  sessions: 10000,
  streamsPerSession: 65536,
  pendingOpens: 1024,
  maxFrameBytes: 16 * 1024 * 1024,
  handshakeTimeoutMs: 10000,
  controlMessageBytes: 64 * 1024,
  hookTimeoutMs: 5000,
  servicesPerAgent: 256,
};

/** Multiplexer defaults. */
export const DEFAULT_SESSION: Required<SessionConfig> = {
  initialWindow: 256 * 1024,
  maxWindow: 16 * 1024 * 1024,
  keepaliveMs: 15000,
  keepaliveTimeoutMs: 30000,
};

/** Limits with defaults filled in. */
export function resolveLimits(limits: LimitsConfig | undefined): Required<LimitsConfig> {
  return { ...DEFAULT_LIMITS, ...(limits ?? {}) };
}

/** Session settings with defaults filled in. */
export function resolveSession(session: SessionConfig | undefined): Required<SessionConfig> {
  return { ...DEFAULT_SESSION, ...(session ?? {}) };
}
