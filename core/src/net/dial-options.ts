import { DEFAULT_CONNECT_TIMEOUT_MS } from './deadline';
import { readInteger, readString } from './option-readers';
import { parseProxyUrl, type ProxySpec } from './proxy-url';

/** Dial options every byte transport understands. */
export interface CommonDialOptions {
  /** Upstream proxy (`socks5://…` or `http://…`), parsed. */
  proxy?: ProxySpec;
  /** Time to open the connection, proxy and handshakes included. @default 10000 */
  connectTimeoutMs: number;
}

/** Option keys {@link readDialOptions} understands. */
export const DIAL_OPTION_KEYS = ['proxy', 'connectTimeoutMs'] as const;

/** Reads `proxy` and `connectTimeoutMs`; throws TFGW_ERR_CONFIG naming the key. */
export function readDialOptions(opts: Record<string, unknown>): CommonDialOptions {
  const proxy = readString(opts, 'proxy');
  return {
    ...(proxy ? { proxy: parseProxyUrl(proxy) } : {}),
    connectTimeoutMs: readInteger(opts, 'connectTimeoutMs', 1, 3_600_000) ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
}

/** Milliseconds left of a budget that started at `startedAt` (at least 1, so a deadline still fires). */
export function remainingMs(startedAt: number, budgetMs: number): number {
  return Math.max(1, budgetMs - (Date.now() - startedAt));
}
