import type { RequestLogEntry } from '@tfgw/core';

/** Recent HTTP requests (a ring buffer) and live subscribers (the status page's stream). */
export class RequestLog {
  private readonly entries: RequestLogEntry[] = [];
  private readonly subscribers = new Set<(e: RequestLogEntry) => void>();

  constructor(private readonly size: number) {}

  /** Record one request and tell every subscriber. */
  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.size) this.entries.shift();
    for (const s of this.subscribers) s(entry);
  }

  /** The most recent entries, oldest first. */
  recent(): RequestLogEntry[] {
    return [...this.entries];
  }

  /** Subscribe; returns the unsubscribe function. */
  subscribe(fn: (e: RequestLogEntry) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}
