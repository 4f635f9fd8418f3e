import { ErrorCodes, TfgwError } from '../errors';

/** Default time to open a transport connection, proxy and TLS / WebSocket handshakes included. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Races `work` against a timeout and an AbortSignal. On either, `cancel` runs (it should
 * destroy whatever socket `work` is using, so nothing leaks) and the promise rejects with
 * TFGW_ERR_TIMEOUT or the signal's reason. `work` settling first wins.
 */
export function withDeadline<T>(
  work: Promise<T>,
  opts: { signal?: AbortSignal; timeoutMs: number; what: string; cancel: () => void },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (err: unknown): void =>
      finish(() => {
        opts.cancel();
        reject(err);
      });
    const onAbort = (): void => fail(opts.signal?.reason);
    const timer = setTimeout(
      () => fail(new TfgwError(ErrorCodes.TIMEOUT, `${opts.what} did not complete within ${opts.timeoutMs} ms`, { details: { timeoutMs: opts.timeoutMs } })),
      opts.timeoutMs,
    );
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (err) => fail(err),
    );
  });
}
