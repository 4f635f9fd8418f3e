import { ErrorCodes, TfgwError, parseEndpoint, type Endpoint } from '@tfgw/core';

/** Username and password a local ingress requires (SOCKS5 RFC 1929, HTTP `Proxy-Authorization: Basic`). */
export interface IngressCredentials {
  /** 1–255 bytes of UTF-8. */
  username: string;
  /** 1–255 bytes of UTF-8. */
  password: string;
}

/** One fixed local port forward, as written in config. */
export interface ForwardOptions {
  /** Local `host:port` to listen on (TCP server or UDP socket). */
  listen: string;
  /** Agent to reach. */
  agent: string;
  /** Service of that agent (exclusive with `target`). */
  service?: string;
  /** Raw `host:port` on the agent's side; must be on the agent's allowlist (exclusive with `service`). */
  target?: string;
  /** Protocol of the local port and of the stream. @default 'tcp' */
  protocol?: 'tcp' | 'udp';
}

/** Options of the `client-ingress` plugin (`plugins: [['client-ingress', { ... }]]`). */
export interface ClientIngressOptions {
  /** SOCKS5 server address `host:port` (CONNECT and UDP ASSOCIATE). @default undefined (off) */
  socks?: string;
  /** Require RFC 1929 username/password on the SOCKS5 server. @default undefined (no authentication) */
  socksAuth?: IngressCredentials;
  /** HTTP proxy address `host:port` (CONNECT and absolute-URI requests). @default undefined (off) */
  httpProxy?: string;
  /** Require `Proxy-Authorization: Basic` on the HTTP proxy (407 otherwise). @default undefined (none) */
  httpProxyAuth?: IngressCredentials;
  /** Fixed local port forwards. @default [] */
  forwards?: ForwardOptions[];
  /** Zone for hostname addressing. @default node.client.zone (the gateway's zone, from its welcome) */
  zone?: string;
  /** Time a local peer has to finish its SOCKS5 handshake / HTTP request head. @default 10000 */
  handshakeTimeoutMs?: number;
  /** Time to open a stream to an agent's service (gateway and agent answers included). @default 15000 */
  connectTimeoutMs?: number;
  /** A UDP association (per local peer, per destination) with no datagram either way for this long is closed. @default 60000 */
  udpIdleTimeoutMs?: number;
}

/** A forward after validation. */
export interface ResolvedForward {
  /** Where it listens. */
  listen: Endpoint;
  /** Agent name, lower case. */
  agent: string;
  /** Service name, lower case (undefined when `target` is set). */
  service?: string;
  /** `host:port` on the agent's side (undefined when `service` is set). */
  target?: string;
  /** tcp or udp. */
  protocol: 'tcp' | 'udp';
  /** Config path, for logs: `forwards[2]`. */
  path: string;
}

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  /** SOCKS5 listen address, when on. */
  socks?: Endpoint;
  /** Credentials the SOCKS5 server requires. */
  socksAuth?: IngressCredentials;
  /** HTTP proxy listen address, when on. */
  httpProxy?: Endpoint;
  /** Credentials the HTTP proxy requires. */
  httpProxyAuth?: IngressCredentials;
  /** Port forwards. */
  forwards: ResolvedForward[];
  /** Zone override (lower case, no trailing dot). */
  zone?: string;
  /** See {@link ClientIngressOptions.handshakeTimeoutMs}. */
  handshakeTimeoutMs: number;
  /** See {@link ClientIngressOptions.connectTimeoutMs}. */
  connectTimeoutMs: number;
  /** See {@link ClientIngressOptions.udpIdleTimeoutMs}. */
  udpIdleTimeoutMs: number;
}

/** Default time for a SOCKS5 handshake / HTTP request head. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default time to open a stream to an agent. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
/** Default idle time of a UDP association. */
export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 60_000;

const KNOWN_KEYS = new Set(['socks', 'socksAuth', 'httpProxy', 'httpProxyAuth', 'forwards', 'zone', 'handshakeTimeoutMs', 'connectTimeoutMs', 'udpIdleTimeoutMs']);
const FORWARD_KEYS = new Set(['listen', 'agent', 'service', 'target', 'protocol']);
const AGENT_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SERVICE_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function configError(path: string, message: string, cause?: unknown): TfgwError {
  return new TfgwError(ErrorCodes.CONFIG, `${path}: ${message}`, { details: { path }, ...(cause !== undefined ? { cause } : {}) });
}

function endpoint(value: unknown, path: string): Endpoint {
  if (typeof value !== 'string') throw configError(path, `expected "host:port", got ${JSON.stringify(value)}`);
  try {
    return parseEndpoint(value, path);
  } catch (err) {
    throw configError(path, `expected "host:port", got ${JSON.stringify(value)}`, err);
  }
}

function credentials(value: unknown, path: string): IngressCredentials {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configError(path, 'expected { username, password }');
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) if (key !== 'username' && key !== 'password') throw configError(`${path}.${key}`, 'unknown option (expected username, password)');
  for (const key of ['username', 'password'] as const) {
    const s = v[key];
    if (typeof s !== 'string' || s.length === 0 || Buffer.byteLength(s) > 255) throw configError(`${path}.${key}`, 'expected a string of 1-255 bytes');
  }
  return { username: v.username as string, password: v.password as string };
}

function positiveMs(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw configError(path, `expected a positive integer of milliseconds, got ${JSON.stringify(value)}`);
  return value;
}

function forward(value: unknown, i: number): ResolvedForward {
  const path = `forwards[${i}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configError(path, 'expected { listen, agent, service | target, protocol }');
  const f = value as Record<string, unknown>;
  for (const key of Object.keys(f)) if (!FORWARD_KEYS.has(key)) throw configError(`${path}.${key}`, `unknown option (expected one of ${[...FORWARD_KEYS].join(', ')})`);
  const listen = endpoint(f.listen, `${path}.listen`);
  if (typeof f.agent !== 'string' || !AGENT_LABEL.test(f.agent.toLowerCase())) throw configError(`${path}.agent`, `expected an agent name (a DNS label), got ${JSON.stringify(f.agent)}`);
  const protocol = f.protocol ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') throw configError(`${path}.protocol`, `expected "tcp" or "udp", got ${JSON.stringify(f.protocol)}`);
  const hasService = f.service !== undefined;
  const hasTarget = f.target !== undefined;
  if (hasService === hasTarget) throw configError(path, 'expected exactly one of "service" and "target"');
  const out: ResolvedForward = { listen, agent: f.agent.toLowerCase(), protocol, path };
  if (hasService) {
    if (typeof f.service !== 'string' || (f.service !== '' && !SERVICE_NAME.test(f.service.toLowerCase()))) {
      throw configError(`${path}.service`, `expected a service name, got ${JSON.stringify(f.service)}`);
    }
    out.service = f.service.toLowerCase();
  } else {
    const t = endpoint(f.target, `${path}.target`);
    if (t.port === 0) throw configError(`${path}.target`, 'port 0 cannot be dialed');
    out.target = f.target as string;
  }
  return out;
}

/**
 * Validates the plugin's options and applies defaults. Throws TFGW_ERR_CONFIG whose
 * `details.path` names the offending key, e.g. `socks: expected "host:port", got "x"`.
 */
export function resolveOptions(raw: unknown): ResolvedOptions {
  const o = (raw ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) throw configError('options', 'expected an object');
  for (const key of Object.keys(o)) if (!KNOWN_KEYS.has(key)) throw configError(key, `unknown option (expected one of ${[...KNOWN_KEYS].join(', ')})`);
  const out: ResolvedOptions = {
    forwards: [],
    handshakeTimeoutMs: positiveMs(o.handshakeTimeoutMs, 'handshakeTimeoutMs', DEFAULT_HANDSHAKE_TIMEOUT_MS),
    connectTimeoutMs: positiveMs(o.connectTimeoutMs, 'connectTimeoutMs', DEFAULT_CONNECT_TIMEOUT_MS),
    udpIdleTimeoutMs: positiveMs(o.udpIdleTimeoutMs, 'udpIdleTimeoutMs', DEFAULT_UDP_IDLE_TIMEOUT_MS),
  };
  if (o.socks !== undefined) out.socks = endpoint(o.socks, 'socks');
  if (o.socksAuth !== undefined) {
    if (o.socks === undefined) throw configError('socksAuth', 'needs "socks" too');
    out.socksAuth = credentials(o.socksAuth, 'socksAuth');
  }
  if (o.httpProxy !== undefined) out.httpProxy = endpoint(o.httpProxy, 'httpProxy');
  if (o.httpProxyAuth !== undefined) {
    if (o.httpProxy === undefined) throw configError('httpProxyAuth', 'needs "httpProxy" too');
    out.httpProxyAuth = credentials(o.httpProxyAuth, 'httpProxyAuth');
  }
  if (o.forwards !== undefined) {
    if (!Array.isArray(o.forwards)) throw configError('forwards', 'expected an array');
    out.forwards = o.forwards.map((f, i) => forward(f, i));
  }
  if (o.zone !== undefined) {
    if (typeof o.zone !== 'string' || !SERVICE_NAME.test(o.zone.toLowerCase().replace(/\.$/, ''))) throw configError('zone', `expected a DNS name, got ${JSON.stringify(o.zone)}`);
    out.zone = o.zone.toLowerCase().replace(/\.$/, '');
  }
  return out;
}
