import type { PluginEntry } from '../plugin';

/** One bearer token and what it may do. */
export interface TokenConfig {
  /** The secret. */
  token: string;
  /** Stable id used as owner of names (never the secret). @default 'token-' + first 6 chars of its sha256 */
  id?: string;
  /** Role it grants. */
  role: 'agent' | 'client';
  /** Agent names it may claim (globs). @default ['*'] */
  names?: string[];
  /** Public ports it may ask for explicitly (outside the automatic pool too). @default [] (pool only) */
  ports?: string[];
  /** Agents a client token may reach (globs). @default ['*'] */
  agents?: string[];
  /** `agent/service` globs a client token may reach. @default ['*\/*'] */
  services?: string[];
  /** May a client ask agents for their allowlisted raw targets. @default true */
  targets?: boolean;
}

/** Limits of the gateway; every one has a default, a key, and an error when hit. */
export interface LimitsConfig {
  /** Concurrent peer sessions. @default 10000 */
  sessions?: number;
  /** Concurrent streams on one session. @default 65536 */
  streamsPerSession?: number;
  /** Streams opened but not yet acknowledged, per session; as many more may queue behind them, then opens fail with TFGW_ERR_PENDING_LIMIT. @default 1024 */
  pendingOpens?: number;
  /** Largest DATA frame accepted, in bytes. @default 16777216 */
  maxFrameBytes?: number;
  /** Time to finish transport + hello handshake. @default 10000 */
  handshakeTimeoutMs?: number;
  /** Largest control message / stream header, in bytes. @default 65536 */
  controlMessageBytes?: number;
  /** Time a blocking hook tap may take. @default 5000 */
  hookTimeoutMs?: number;
  /** Services one agent may register. @default 256 */
  servicesPerAgent?: number;
}

/** Multiplexer tuning, shared by every role. */
export interface SessionConfig {
  /** Initial per-stream receive window in bytes (yamux default 256 KiB). @default 262144 */
  initialWindow?: number;
  /** Cap to which windows auto-grow. @default 16777216 */
  maxWindow?: number;
  /** Keepalive ping interval; 0 disables. @default 15000 */
  keepaliveMs?: number;
  /** A session whose ping is not answered within this long is dead. @default 30000 */
  keepaliveTimeoutMs?: number;
}

/** The `gateway` role. */
export interface GatewayConfig {
  /** Zones this gateway is authoritative for. @default [config.zone] */
  zones?: string[];
  /** Addresses DNS answers for tunnel names (IPv4 and IPv6). @default ['127.0.0.1'] */
  publicAddresses?: string[];
  /** Host shown in `host:port` of TCP/UDP services. @default publicAddresses[0] */
  publicHost?: string;
  /** Tokens. @default dev-token / dev-client (or TFGW_TOKEN / TFGW_CLIENT_TOKEN) when absent */
  tokens?: TokenConfig[];
  /** Public port pools. @default { tcp: '20000-20999', udp: '21000-21999' } */
  ports?: { tcp?: string; udp?: string };
  /** How long a disconnected agent keeps its names and ports. @default 30000 */
  graceMs?: number;
  /** How long shutdown waits for streams to drain. @default 5000 */
  drainMs?: number;
  /** Limits. */
  limits?: LimitsConfig;
  /** Visitor IP filter (a built-in `visitor` tap): CIDRs. Deny wins; with `allow`, only those pass. */
  visitors?: { allow?: string[]; deny?: string[] };
}

/** One service an agent exposes. */
export interface AgentServiceConfig {
  /** Service name; '' or absent = the agent name itself. */
  name?: string;
  /** Protocol key. */
  protocol: string;
  /** `host:port` the agent dials for each visitor. */
  target: string;
  /** Public port asked for. */
  port?: number;
  /** Protocol options. */
  options?: Record<string, unknown>;
}

/** The `agent` role. */
export interface AgentConfig {
  /** Gateway URL; the scheme picks the transport. */
  server: string;
  /** Agent token. @default TFGW_TOKEN */
  token?: string;
  /** Agent name: owns `NAME.<zone>`. */
  name: string;
  /** Services to expose. */
  services?: AgentServiceConfig[];
  /** Extra targets clients may reach through this agent: `host:port`, `host:from-to`, `10.0.0.0/8:443`. */
  allow?: string[];
  /** Reconnect backoff bounds. @default { minDelayMs: 250, maxDelayMs: 3000 } */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /** Transport options (ca, fingerprint, proxy, ...). */
  transport?: Record<string, unknown>;
}

/** The `client` role. Local ingresses come from the client-ingress plugin. */
export interface ClientConfig {
  /** Gateway URL. */
  server: string;
  /** Client token. @default TFGW_CLIENT_TOKEN */
  token?: string;
  /** Reconnect backoff bounds. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /** Transport options. */
  transport?: Record<string, unknown>;
}

/** The whole config file. */
export interface TfgwConfig {
  /** Default zone. @default 'tfgw.localhost' */
  zone?: string;
  /** Folder for persistent state (identity keys, DNS store). @default '.tfgw' beside the config */
  dataDir?: string;
  /** Logging. */
  log?: { level?: string; pretty?: boolean };
  /** Multiplexer tuning. */
  session?: SessionConfig;
  /** Gateway role. */
  gateway?: GatewayConfig;
  /** Agent role. */
  agent?: AgentConfig;
  /** Client role. */
  client?: ClientConfig;
  /** Transport plugins: `['tcp', { listen: '127.0.0.1:7000' }]`. */
  transports?: PluginEntry[];
  /** Other plugins. */
  plugins?: PluginEntry[];
}
