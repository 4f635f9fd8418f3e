/**
 * Per-source token buckets: each source may get `rate` responses per second with bursts
 * of `burst`. Sources idle for a while are forgotten (the table is swept as it grows).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;

  /**
   * @param rate  responses per second per source
   * @param burst  bucket size. @default rate
   * @param now  clock in ms (tests inject one)
   */
  constructor(
    private readonly rate: number,
    burst?: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = Math.max(1, burst ?? rate);
  }

  /** Takes one token for `source`; false when its bucket is empty. */
  allow(source: string): boolean {
    const t = this.now();
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= 100_000) this.sweep(t);
      b = { tokens: this.burst, at: t };
      this.buckets.set(source, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.rate);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private sweep(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.rate >= this.burst) this.buckets.delete(k);
    }
    // still full (a flood of distinct sources): start over rather than grow without bound
    if (this.buckets.size >= 100_000) this.buckets.clear();
  }
}
