import { DIAL_OPTION_KEYS, listenUrls, readDialOptions, rejectUnknownKeys, type TfgwPlugin } from '@tfgw/core';
import { TcpTransport } from './tcp-transport';

/** Options of the `tcp` transport plugin. */
export interface TcpPluginOptions {
  /** Where a gateway listens: `"host:port"` or a list. @default none (agents and clients only dial) */
  listen?: string | string[];
  /** Upstream proxy for dialing: `socks5://[user:pass@]host:port` or `http://[user:pass@]host:port`. */
  proxy?: string;
  /** Time to connect, proxy handshake included. @default 10000 */
  connectTimeoutMs?: number;
}

/** Option keys the plugin accepts. */
export const TCP_OPTION_KEYS = ['listen', ...DIAL_OPTION_KEYS] as const;

/**
 * The `tcp` transport plugin: registers a {@link TcpTransport} for `tcp://` URLs, listening
 * on `options.listen` when the node is a gateway. Options are checked here, so a bad
 * config fails before anything starts (TFGW_ERR_CONFIG naming the key).
 */
export default function tcpTransport(options: TcpPluginOptions = {}): TfgwPlugin {
  const raw = { ...(options as Record<string, unknown>) };
  rejectUnknownKeys(raw, TCP_OPTION_KEYS);
  const listen = listenUrls(raw.listen, 'tcp');
  readDialOptions(raw);
  return {
    name: 'transport-tcp',
    apply(node) {
      node.transports.add({ transport: new TcpTransport({ log: node.log }), listen, options: raw });
    },
  };
}
