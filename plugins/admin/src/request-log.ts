import type { RequestLogEntry } from '@tfgw/core';

/** A logged request with its sequence number (the SSE event id). */
export interface LoggedRequest extends RequestLogEntry {
  /** 1, 2, 3, ... in arrival order; a stream resumes after the last one it saw. */
  seq: number;
}

/**
 * Recent HTTP requests through the ingress (a ring buffer of `size` entries) and the live
 * subscribers (the status page's stream). Fed by `hooks.requestLog`.
 */
export class RequestLog {
  private readonly entries: LoggedRequest[] = [];
  private readonly subscribers = new Set<(e: LoggedRequest) => void>();
  private seq = 0;

  /** @param size how many requests are kept */
  constructor(private readonly size: number) {}

  /** Records one request and tells every subscriber (a throwing subscriber is dropped). */
  add(entry: RequestLogEntry): void {
    const logged: LoggedRequest = { ...entry, seq: ++this.seq };
    this.entries.push(logged);
    if (this.entries.length > this.size) this.entries.shift();
    for (const s of this.subscribers) {
      try {
        s(logged);
      } catch {
        this.subscribers.delete(s);
      }
    }
  }

  /** Kept entries with `seq` greater than `after` (all by default), oldest first, at most `limit`. */
  recent(after = 0, limit = this.size): LoggedRequest[] {
    const list = after > 0 ? this.entries.filter((e) => e.seq > after) : this.entries;
    return list.slice(Math.max(0, list.length - limit));
  }

  /** Subscribes to new entries; returns the unsubscribe function. */
  subscribe(fn: (e: LoggedRequest) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Live subscribers now. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }
}
