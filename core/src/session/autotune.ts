/**
 * Grow a stream's receive window when half of it was consumed within this many RTTs of the
 * previous grant: the sender is then window-limited (as in go-yamux / HTTP/2 BDP estimation).
 */
export const AUTOTUNE_RTT_FACTOR = 4;

/**
 * Lower bound for the RTT used by auto-tuning: event-loop scheduling makes sub-millisecond
 * ping times (loopback) a poor estimate of how long a window update really takes to act.
 */
export const AUTOTUNE_RTT_FLOOR_MS = 1;

/**
 * The receive window to use from the next grant on.
 *
 * @param current window size now
 * @param max cap (`maxWindow`)
 * @param sinceLastGrantMs time since the previous window update of this stream
 * @param rttMs last measured RTT, undefined before the first ping answer (no growth then)
 * @returns `current` doubled (capped at `max`) when the window was used up quickly, else `current`
 */
export function autotuneWindow(current: number, max: number, sinceLastGrantMs: number, rttMs: number | undefined): number {
  if (rttMs === undefined || current >= max) return current;
  if (sinceLastGrantMs >= AUTOTUNE_RTT_FACTOR * Math.max(rttMs, AUTOTUNE_RTT_FLOOR_MS)) return current;
  return Math.min(current * 2, max);
}
