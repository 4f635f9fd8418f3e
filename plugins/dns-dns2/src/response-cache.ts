/** One cached answer: the encoded full response and its truncated (TC) form. */
export interface CachedResponse {
  /** Complete response (ID and question case to be patched per query). */
  full: Buffer;
  /** Header + question (+ OPT) with TC set, for UDP askers whose size limit `full` exceeds. */
  truncated: Buffer;
}

/**
 * Pre-encoded responses keyed by (question name in lower-case wire form, QTYPE, EDNS
 * class), bounded in size (oldest entries leave first) and emptied whenever the records
 * change.
 */
export class ResponseCache {
  private readonly map = new Map<string, CachedResponse>();

  /** @param maxEntries  bound on entries. @default 100000 */
  constructor(private readonly maxEntries = 100_000) {}

  /** The entry for a key. */
  get(key: string): CachedResponse | undefined {
    return this.map.get(key);
  }

  /** Adds an entry, evicting the oldest when full. */
  set(key: string, value: CachedResponse): void {
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, value);
  }

  /** Drops everything. */
  clear(): void {
    this.map.clear();
  }

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }
}

/** The cache key of a query: EDNS class (0 none, 1 EDNS, 2 EDNS+DO), QTYPE, wire name. */
export function cacheKey(ednsClass: number, qtype: number, wireKey: string): string {
  return `${ednsClass}${qtype}:${wireKey}`;
}
