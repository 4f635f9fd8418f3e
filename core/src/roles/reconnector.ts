import { EventEmitter } from 'node:events';
import { asTfgwError, type TfgwError } from '../errors';
import type { TfgwNode } from '../node';
import { backoffDelay, dialGateway, FATAL_CODES, type GatewayConnection } from './dialer';

/** Options for a {@link Reconnector}. */
export interface ReconnectorOptions {
  /** Gateway URL. */
  server: string;
  /** Token. */
  token: string;
  /** Role. */
  role: 'agent' | 'client';
  /** Agent name. */
  name?: string;
  /** Transport options. */
  transport?: Record<string, unknown>;
  /** Backoff bounds. @default 250 / 3000 */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Keeps one authenticated session to the gateway: dials, and after any loss dials again with
 * exponential backoff and jitter. Events: `'connecting'`, `'connected'` (GatewayConnection),
 * `'disconnected'` (TfgwError), `'retry'` ({ delayMs, reason }), `'fatal'` (TfgwError: a
 * refusal that retrying cannot fix, e.g. a wrong token).
 */
export class Reconnector extends EventEmitter {
  /** The live connection, if any. */
  current?: GatewayConnection;
  private stopped = false;
  private wake?: () => void;
  private abort = new AbortController();

  constructor(private readonly node: TfgwNode, private readonly opts: ReconnectorOptions) {
    super();
  }

  /** Start the loop (returns at once). */
  start(): void {
    void this.loop();
  }

  /** Wait for a live connection (or reject after `timeoutMs`). */
  ready(timeoutMs: number): Promise<GatewayConnection> {
    if (this.current && !this.current.session.closed) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.removeListener('connected', on);
        reject(asTfgwError(this.lastError ?? new Error('not connected to the gateway'), 'TFGW_ERR_SESSION_CLOSED'));
      }, timeoutMs);
      const on = (c: GatewayConnection) => {
        clearTimeout(t);
        resolve(c);
      };
      this.once('connected', on);
    });
  }

  /** Last error seen. */
  lastError?: TfgwError;

  /** Stop: GOAWAY the live session, close it after `drainMs` or once its streams end. */
  async stop(drainMs: number): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    const c = this.current;
    if (!c) return;
    c.session.goAway();
    const deadline = Date.now() + drainMs;
    while (!c.session.closed && c.session.stats.streams > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    c.session.close();
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      this.emit('connecting', attempt);
      let reason: TfgwError;
      try {
        const conn = await dialGateway(this.node, { ...this.opts, signal: this.abort.signal });
        if (this.stopped) {
          conn.session.close();
          return;
        }
        this.current = conn;
        attempt = 0;
        const closed = new Promise<Error | undefined>((resolve) => {
          if (conn.session.closed) resolve(undefined);
          conn.session.once('close', resolve);
        });
        this.emit('connected', conn);
        const err = await closed;
        this.current = undefined;
        reason = asTfgwError(err ?? new Error('session closed'), 'TFGW_ERR_SESSION_CLOSED');
        this.emit('disconnected', reason);
      } catch (err) {
        reason = asTfgwError(err, 'TFGW_ERR_SESSION_CLOSED');
        this.lastError = reason;
        if (FATAL_CODES.has(reason.code)) {
          this.stopped = true;
          this.emit('fatal', reason);
          return;
        }
      }
      this.lastError = reason;
      if (this.stopped) return;
      const delayMs = backoffDelay(attempt++, this.opts.minDelayMs ?? 250, this.opts.maxDelayMs ?? 3000);
      this.emit('retry', { delayMs, reason });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delayMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}
