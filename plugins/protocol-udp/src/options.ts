import { ErrorCodes, TfgwError, readInteger, readString, rejectUnknownKeys } from '@tfgw/core';
import net from 'node:net';

/** Options of the protocol-udp plugin (`['protocol-udp', { ... }]`). */
export interface UdpPluginOptions {
  /** Address the public UDP ports bind on. Use `0.0.0.0` / `::` to serve other hosts. @default '127.0.0.1' */
  host?: string;
  /** An association (one visitor address) that sends and receives nothing for this long ends. @default 60000 */
  idleTimeoutMs?: number;
  /** Associations one UDP service may hold at once; more visitors are dropped with a TFGW_ERR_LIMIT log line. @default 1024 */
  maxAssociations?: number;
  /** Datagrams queued per association while its stream is being opened; more are dropped. @default 64 */
  pendingDatagrams?: number;
  /** Bytes a stream may hold unsent before further datagrams are dropped (UDP has no backpressure). @default 1048576 */
  maxBufferedBytes?: number;
}

/** Options after defaults. */
export type ResolvedUdpOptions = Required<UdpPluginOptions>;

/** Defaults of {@link UdpPluginOptions}. */
export const UDP_DEFAULTS: Readonly<ResolvedUdpOptions> = Object.freeze({
  host: '127.0.0.1',
  idleTimeoutMs: 60000,
  maxAssociations: 1024,
  pendingDatagrams: 64,
  maxBufferedBytes: 1024 * 1024,
});

const KNOWN = ['host', 'idleTimeoutMs', 'maxAssociations', 'pendingDatagrams', 'maxBufferedBytes'] as const;

/** Validates plugin options; throws TFGW_ERR_CONFIG naming the key. */
export function resolveUdpOptions(raw: unknown): ResolvedUdpOptions {
  if (raw === undefined || raw === null) return { ...UDP_DEFAULTS };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TfgwError(ErrorCodes.CONFIG, 'protocol-udp: options must be an object', { details: { path: '' } });
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, KNOWN);
  const host = readString(o, 'host') ?? UDP_DEFAULTS.host;
  if (net.isIP(host) === 0) throw new TfgwError(ErrorCodes.CONFIG, `host: expected an IP address to bind, got "${host}"`, { details: { path: 'host' } });
  return {
    host,
    idleTimeoutMs: readInteger(o, 'idleTimeoutMs', 100, 24 * 3600 * 1000) ?? UDP_DEFAULTS.idleTimeoutMs,
    maxAssociations: readInteger(o, 'maxAssociations', 1, 1_000_000) ?? UDP_DEFAULTS.maxAssociations,
    pendingDatagrams: readInteger(o, 'pendingDatagrams', 0, 65536) ?? UDP_DEFAULTS.pendingDatagrams,
    maxBufferedBytes: readInteger(o, 'maxBufferedBytes', 65536, 1 << 30) ?? UDP_DEFAULTS.maxBufferedBytes,
  };
}

/**
 * Per-service limits: a service's own options (`{ idleTimeoutMs, maxAssociations }`, sent by
 * the agent) may only lower the operator's limits, never raise them. Bad values are refused
 * with TFGW_ERR_BAD_MESSAGE so the registration fails with a clear reason.
 */
export function serviceLimits(plugin: ResolvedUdpOptions, serviceOptions: Record<string, unknown>): { idleTimeoutMs: number; maxAssociations: number } {
  let idle: number | undefined;
  let max: number | undefined;
  try {
    idle = readInteger(serviceOptions, 'idleTimeoutMs', 100, 24 * 3600 * 1000);
    max = readInteger(serviceOptions, 'maxAssociations', 1, 1_000_000);
  } catch (err) {
    const e = err as TfgwError;
    throw new TfgwError(ErrorCodes.BAD_MESSAGE, `service options: ${e.message}`, { cause: err, details: e.details });
  }
  return {
    idleTimeoutMs: Math.min(idle ?? plugin.idleTimeoutMs, plugin.idleTimeoutMs),
    maxAssociations: Math.min(max ?? plugin.maxAssociations, plugin.maxAssociations),
  };
}
