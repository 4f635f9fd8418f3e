import net from 'node:net';
import { ErrorCodes, TfgwError, parseEndpoint, readInteger, readString, rejectUnknownKeys, type Endpoint } from '@tfgw/core';

/** Options of the protocol-tcp plugin (`['protocol-tcp', { ... }]`). */
export interface TcpPluginOptions {
  /** Address the per-service public TCP ports bind on. Use `0.0.0.0` / `::` to serve other hosts. @default '127.0.0.1' */
  host?: string;
  /** `host:port` of the shared TLS port routed by SNI; without it `tls` services are refused. @default undefined */
  sni?: string;
  /** Time a visitor on the SNI port has to send its whole ClientHello. @default 10000 */
  helloTimeoutMs?: number;
  /** Largest ClientHello handshake message accepted on the SNI port, in bytes. @default 16384 */
  helloMaxBytes?: number;
  /** Time for the agent to reach the service for one visitor before the visitor is closed. @default 10000 */
  connectTimeoutMs?: number;
}

/** Options after defaults; `sni` parsed. */
export interface ResolvedTcpOptions {
  host: string;
  sni?: Endpoint;
  helloTimeoutMs: number;
  helloMaxBytes: number;
  connectTimeoutMs: number;
}

/** Defaults of {@link TcpPluginOptions}. */
export const TCP_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  helloTimeoutMs: 10000,
  helloMaxBytes: 16384,
  connectTimeoutMs: 10000,
});

const KNOWN = ['host', 'sni', 'helloTimeoutMs', 'helloMaxBytes', 'connectTimeoutMs'] as const;

/** Validates plugin options; throws TFGW_ERR_CONFIG naming the key (`sni: expected "host:port", got "x"`). */
export function resolveTcpOptions(raw: unknown): ResolvedTcpOptions {
  if (raw === undefined || raw === null) return { ...TCP_DEFAULTS };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TfgwError(ErrorCodes.CONFIG, 'protocol-tcp: options must be an object', { details: { path: '' } });
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, KNOWN);
  const host = readString(o, 'host') ?? TCP_DEFAULTS.host;
  if (net.isIP(host) === 0) throw new TfgwError(ErrorCodes.CONFIG, `host: expected an IP address to bind, got "${host}"`, { details: { path: 'host' } });
  const sniText = readString(o, 'sni');
  return {
    host,
    ...(sniText !== undefined ? { sni: parseEndpoint(sniText, 'sni') } : {}),
    helloTimeoutMs: readInteger(o, 'helloTimeoutMs', 100, 600000) ?? TCP_DEFAULTS.helloTimeoutMs,
    helloMaxBytes: readInteger(o, 'helloMaxBytes', 512, 65536) ?? TCP_DEFAULTS.helloMaxBytes,
    connectTimeoutMs: readInteger(o, 'connectTimeoutMs', 100, 600000) ?? TCP_DEFAULTS.connectTimeoutMs,
  };
}

/**
 * The PROXY protocol version a service asks for in its options (`{ proxyProtocol: 1 | 2 }`),
 * or undefined. Throws TFGW_ERR_CONFIG naming `where` (e.g. `agent.services[0].options.proxyProtocol`).
 */
export function readProxyProtocol(options: Record<string, unknown> | undefined, where: string): 1 | 2 | undefined {
  const v = options?.proxyProtocol;
  if (v === undefined || v === null || v === false || v === 0) return undefined;
  if (v === 1 || v === 2) return v;
  throw new TfgwError(ErrorCodes.CONFIG, `${where}: expected 1 or 2, got ${JSON.stringify(v)}`, { details: { path: where } });
}
