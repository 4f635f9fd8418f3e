import { DIAL_OPTION_KEYS, TLS_OPTION_KEYS, listenUrls, readDialOptions, readTlsOptions, rejectUnknownKeys, type TfgwPlugin } from '@tfgw/core';
import { TlsTransport } from './tls-transport';

/** Options of the `tls` transport plugin (gateway and dialer options in one bag). */
export interface TlsPluginOptions {
  /** Where a gateway listens: `"host:port"` or a list. @default none (agents and clients only dial) */
  listen?: string | string[];
  /** Gateway certificate chain, or dialer certificate for mTLS: PEM text or file path. @default self-signed in dataDir (gateway) */
  cert?: string;
  /** Private key of `cert`: PEM text or file path. */
  key?: string;
  /** Gateway: CAs of client certificates. Dialer: CAs of the gateway certificate. @default system roots (dialer) */
  ca?: string | string[];
  /** Gateway: require a client certificate signed by `ca`. @default false */
  requestClientCert?: boolean;
  /** Dialer: pinned SHA-256 fingerprint of the gateway certificate (hex, colons optional). */
  fingerprint?: string;
  /** Dialer: SNI / certificate name. @default the URL host */
  servername?: string;
  /** Gateway: folder of the self-signed identity. @default config dataDir, else '.tfgw' */
  dataDir?: string;
  /** Gateway: time a client has for the TLS handshake. @default 10000 */
  handshakeTimeoutMs?: number;
  /** Dialer: upstream proxy, `socks5://…` or `http://…`. */
  proxy?: string;
  /** Dialer: time to connect, proxy and TLS handshake included. @default 10000 */
  connectTimeoutMs?: number;
}

/** Option keys the plugin accepts. */
export const TLS_PLUGIN_OPTION_KEYS = ['listen', ...TLS_OPTION_KEYS, ...DIAL_OPTION_KEYS] as const;

/**
 * The `tls` transport plugin: registers a {@link TlsTransport} for `tls://` URLs, listening
 * on `options.listen` when the node is a gateway. Options are checked here (TFGW_ERR_CONFIG
 * naming the key); files are read when the listener starts.
 */
export default function tlsTransport(options: TlsPluginOptions = {}): TfgwPlugin {
  const raw = { ...(options as Record<string, unknown>) };
  rejectUnknownKeys(raw, TLS_PLUGIN_OPTION_KEYS);
  const listen = listenUrls(raw.listen, 'tls');
  readTlsOptions(raw);
  readDialOptions(raw);
  return {
    name: 'transport-tls',
    apply(node) {
      const transport = new TlsTransport({ log: node.log, baseDir: node.baseDir, dataDir: () => node.config.dataDir });
      node.transports.add({ transport, listen, options: raw });
    },
  };
}
