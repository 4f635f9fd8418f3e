import { DIAL_OPTION_KEYS, ErrorCodes, TLS_OPTION_KEYS, TfgwError, listenUrls, readBoolean, readDialOptions, readInteger, readString, readStringMap, readTlsOptions, rejectUnknownKeys, type TfgwPlugin } from '@tfgw/core';
import { DEFAULT_WS_PATH } from './upgrade-handler';
import { WsTransport } from './ws-transport';

/** Options of the `ws` transport plugin. */
export interface WsPluginOptions {
  /** Where a gateway listens: `"host:port"` or a list. @default none (agents and clients only dial) */
  listen?: string | string[];
  /** URL path of the endpoint. @default '/_tfgw' */
  path?: string;
  /** Listen with TLS (`wss://`): certificate options as for the tls transport. @default false */
  secure?: boolean;
  /** Take the peer address from `X-Forwarded-For`; only behind a reverse proxy you run. @default false */
  trustProxy?: boolean;
  /** Largest WebSocket message accepted, in bytes. @default 16777216 */
  maxPayload?: number;
  /** Dialer: extra HTTP headers for the upgrade request (e.g. for a reverse proxy's auth). */
  headers?: Record<string, string>;
  /** wss: certificate (gateway) or client certificate (dialer), PEM or path. @default self-signed in dataDir */
  cert?: string;
  /** wss: key of `cert`. */
  key?: string;
  /** wss: CAs (client certificates on the gateway, gateway certificate on the dialer). */
  ca?: string | string[];
  /** wss gateway: require client certificates signed by `ca`. @default false */
  requestClientCert?: boolean;
  /** wss dialer: pinned SHA-256 fingerprint of the gateway certificate. */
  fingerprint?: string;
  /** wss dialer: SNI / certificate name. @default the URL host */
  servername?: string;
  /** wss gateway: folder of the self-signed identity. @default config dataDir, else '.tfgw' */
  dataDir?: string;
  /** wss gateway: TLS handshake timeout. @default 10000 */
  handshakeTimeoutMs?: number;
  /** Dialer: upstream proxy, `socks5://…` or `http://…`. */
  proxy?: string;
  /** Dialer: time to connect, proxy, TLS and upgrade included. @default 10000 */
  connectTimeoutMs?: number;
}

/** Option keys the plugin accepts. */
export const WS_PLUGIN_OPTION_KEYS = ['listen', 'path', 'secure', 'trustProxy', 'maxPayload', 'headers', ...TLS_OPTION_KEYS, ...DIAL_OPTION_KEYS] as const;

/**
 * The `ws` transport plugin: registers a {@link WsTransport} for `ws://` and `wss://` URLs,
 * listening on `options.listen` (with `options.path`, over TLS when `options.secure`) when
 * the node is a gateway. Options are checked here (TFGW_ERR_CONFIG naming the key).
 */
export default function wsTransport(options: WsPluginOptions = {}): TfgwPlugin {
  const raw = { ...(options as Record<string, unknown>) };
  rejectUnknownKeys(raw, WS_PLUGIN_OPTION_KEYS);
  const path = readString(raw, 'path') ?? DEFAULT_WS_PATH;
  if (!/^\/[^\s?#]*$/.test(path)) {
    throw new TfgwError(ErrorCodes.CONFIG, `path: expected a URL path starting with "/", got ${JSON.stringify(path)}`, { details: { path: 'path' } });
  }
  const secure = readBoolean(raw, 'secure') ?? false;
  const listen = listenUrls(raw.listen, secure ? 'wss' : 'ws', path);
  readBoolean(raw, 'trustProxy');
  readInteger(raw, 'maxPayload', 1024 * 1024, 1024 * 1024 * 1024);
  readStringMap(raw, 'headers');
  readTlsOptions(raw);
  readDialOptions(raw);
  return {
    name: 'transport-ws',
    apply(node) {
      const transport = new WsTransport({ log: node.log, baseDir: node.baseDir, dataDir: () => node.config.dataDir });
      node.transports.add({ transport, listen, options: raw });
    },
  };
}
