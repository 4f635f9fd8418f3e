import { ErrorCodes, TfgwError } from '../errors';
import { endpointOfUrl, formatEndpoint } from './endpoint';

/** An upstream proxy that outbound connections go through. */
export interface ProxySpec {
  /** `socks5` (the proxy resolves names, like `socks5h`) or `http` (HTTP CONNECT). */
  protocol: 'socks5' | 'http';
  /** Proxy host. */
  host: string;
  /** Proxy port. */
  port: number;
  /** User name, when the proxy wants one. */
  username?: string;
  /** Password, when the proxy wants one. */
  password?: string;
}

const DEFAULT_PORTS: Record<ProxySpec['protocol'], number> = { socks5: 1080, http: 8080 };

/**
 * Parses `socks5://[user:pass@]host[:port]` (also `socks5h://`, `socks://`) or
 * `http://[user:pass@]host[:port]`. Credentials are percent-decoded. Throws TFGW_ERR_CONFIG
 * with `details.path` = `proxy`.
 */
export function parseProxyUrl(value: string | URL): ProxySpec {
  let url: URL;
  try {
    url = typeof value === 'string' ? new URL(value) : value;
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, `proxy: expected a URL such as socks5://host:1080 or http://host:3128, got ${JSON.stringify(value)}`, { cause: err, details: { path: 'proxy' } });
  }
  const scheme = url.protocol.replace(/:$/, '');
  const protocol = scheme === 'socks5' || scheme === 'socks5h' || scheme === 'socks' ? 'socks5' : scheme === 'http' ? 'http' : undefined;
  if (!protocol) {
    throw new TfgwError(ErrorCodes.CONFIG, `proxy: unsupported scheme "${scheme}:" (use socks5:// or http://)`, { details: { path: 'proxy' } });
  }
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash) {
    throw new TfgwError(ErrorCodes.CONFIG, `proxy: a proxy URL has only [user:pass@]host:port, got ${JSON.stringify(String(value))}`, { details: { path: 'proxy' } });
  }
  const { host, port } = endpointOfUrl(url, DEFAULT_PORTS[protocol]);
  const spec: ProxySpec = { protocol, host, port };
  try {
    if (url.username) spec.username = decodeURIComponent(url.username);
    if (url.password) spec.password = decodeURIComponent(url.password);
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, 'proxy: the credentials are not valid percent-encoding', { cause: err, details: { path: 'proxy' } });
  }
  return spec;
}

/** The proxy as a URL without credentials, safe for logs and error details. */
export function describeProxy(proxy: ProxySpec): string {
  return `${proxy.protocol}://${formatEndpoint(proxy.host, proxy.port)}`;
}
