import net from 'node:net';
import { ErrorCodes, TfgwError } from '../errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, withDeadline } from './deadline';
import { formatEndpoint } from './endpoint';
import { httpConnect } from './http-connect';
import { describeProxy, parseProxyUrl, type ProxySpec } from './proxy-url';
import { socks5Connect } from './socks5';

/** TCP keepalive probe delay for long-lived tunnel connections. */
export const TCP_KEEPALIVE_DELAY_MS = 30_000;

/** Options for {@link dialTcp}. */
export interface DialTcpOptions {
  /** Host name or IP to reach (IPv6 without brackets). */
  host: string;
  /** Port to reach. */
  port: number;
  /** Upstream proxy: `socks5://[user:pass@]host:port` or `http://[user:pass@]host:port` (HTTP CONNECT). */
  proxy?: string | URL | ProxySpec;
  /** Aborts the dial; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Time for the TCP connect plus the proxy handshake. @default 10000 */
  timeoutMs?: number;
}

function toProxySpec(proxy: string | URL | ProxySpec): ProxySpec {
  return typeof proxy === 'string' || proxy instanceof URL ? parseProxyUrl(proxy) : proxy;
}

/**
 * Opens a TCP connection to `host:port`, directly or through an upstream proxy, with
 * Nagle off, keepalive on and half-close allowed (the peer's FIN ends only our readable
 * side, as a tunnel needs). Resolves with the connected socket (no error listener
 * attached: the caller owns it from here).
 *
 * Rejects with TFGW_ERR_CONNECT (refused, unreachable, name not found; `details.errno`),
 * TFGW_ERR_PROXY (proxy unreachable or refusing), TFGW_ERR_TIMEOUT, TFGW_ERR_CONFIG (bad
 * host, port or proxy URL), or the signal's reason when aborted.
 */
export async function dialTcp(opts: DialTcpOptions): Promise<net.Socket> {
  const { host, port } = opts;
  if (typeof host !== 'string' || !/^[^\s\x00-\x1f/]+$/.test(host)) {
    throw new TfgwError(ErrorCodes.CONFIG, `cannot dial host ${JSON.stringify(host)}`, { details: { host } });
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TfgwError(ErrorCodes.CONFIG, `cannot dial port ${port} (expected 1-65535)`, { details: { port } });
  }
  const proxy = opts.proxy === undefined ? undefined : toProxySpec(opts.proxy);
  opts.signal?.throwIfAborted();
  const target = formatEndpoint(host, port);
  const first = proxy ?? { host, port };
  const socket = net.connect({ host: first.host, port: first.port, allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS });

  const work = (async () => {
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        socket.off('error', onError);
        resolve();
      };
      const onError = (err: NodeJS.ErrnoException): void => {
        socket.off('connect', onConnect);
        reject(
          proxy
            ? new TfgwError(ErrorCodes.PROXY, `cannot reach proxy ${describeProxy(proxy)}: ${err.message}`, { cause: err, details: { proxy: describeProxy(proxy), errno: err.code } })
            : new TfgwError(ErrorCodes.CONNECT, `cannot connect to ${target}: ${err.message}`, { cause: err, details: { host, port, errno: err.code } }),
        );
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
    });
    if (proxy?.protocol === 'http') await httpConnect(socket, { host, port }, proxy);
    else if (proxy?.protocol === 'socks5') await socks5Connect(socket, { host, port }, proxy);
    return socket;
  })();

  return withDeadline(work, {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    what: proxy ? `connecting to ${target} via ${describeProxy(proxy)}` : `connecting to ${target}`,
    cancel: () => socket.destroy(),
  }).catch((err) => {
    socket.destroy();
    throw err;
  });
}
