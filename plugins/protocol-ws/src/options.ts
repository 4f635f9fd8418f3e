import { ErrorCodes, TfgwError, readInteger, rejectUnknownKeys } from '@tfgw/core';

/** Options of the `protocol-ws` plugin. */
export interface ProtocolWsOptions {
  /** Largest WebSocket message (payload bytes, fragments summed) either side may send; more closes with 1009. 0 = no limit. @default 67108864 (64 MiB) */
  maxMessageBytes?: number;
  /** Close a WebSocket (1001) after this long without traffic either way; 0 = never. @default 300000 */
  idleTimeoutMs?: number;
  /** Time the service has to answer the upgrade request; more gets 504. @default 30000 */
  handshakeTimeoutMs?: number;
}

/** Options with defaults applied. */
export type ResolvedWsOptions = Required<ProtocolWsOptions>;

/** Defaults of every option. */
export const WS_DEFAULTS: Readonly<ResolvedWsOptions> = Object.freeze({
  maxMessageBytes: 64 * 1024 * 1024,
  idleTimeoutMs: 300_000,
  handshakeTimeoutMs: 30_000,
});

const DAY_MS = 86_400_000;
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

/** Checks the plugin options (TFGW_ERR_CONFIG naming the key) and applies defaults. */
export function resolveWsOptions(options: ProtocolWsOptions | undefined): ResolvedWsOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TfgwError(ErrorCodes.CONFIG, `options: expected an object, got ${JSON.stringify(options)}`, { details: { path: 'options' } });
  }
  const raw = { ...((options ?? {}) as Record<string, unknown>) };
  rejectUnknownKeys(raw, ['maxMessageBytes', 'idleTimeoutMs', 'handshakeTimeoutMs']);
  return {
    maxMessageBytes: readInteger(raw, 'maxMessageBytes', 0, MAX_BYTES) ?? WS_DEFAULTS.maxMessageBytes,
    idleTimeoutMs: readInteger(raw, 'idleTimeoutMs', 0, DAY_MS) ?? WS_DEFAULTS.idleTimeoutMs,
    handshakeTimeoutMs: readInteger(raw, 'handshakeTimeoutMs', 1, DAY_MS) ?? WS_DEFAULTS.handshakeTimeoutMs,
  };
}

/** WebSocket options of one service (`options` of an `http` service). */
export interface RouteWsOptions {
  /** Plain HTTP requests get 426; only WebSocket upgrades pass. @default false */
  websocketOnly: boolean;
  /** Message limit for this route: at most the gateway's (0 there = no cap). */
  maxMessageBytes: number;
  /** Idle timeout for this route: at most the gateway's (0 there = no cap). */
  idleTimeoutMs: number;
}

function lower(gateway: number, route: number | undefined): number {
  if (route === undefined) return gateway;
  if (gateway === 0) return route;
  if (route === 0) return gateway;
  return Math.min(gateway, route);
}

/**
 * Reads the WebSocket options of a service: `websocketOnly`, `maxMessageBytes`,
 * `idleTimeoutMs`. A service may only lower the gateway's limits. Throws TFGW_ERR_CONFIG
 * naming `options.<key>`, which refuses the registration.
 */
export function routeWsOptions(options: Record<string, unknown>, gateway: ResolvedWsOptions): RouteWsOptions {
  const ws = options.websocketOnly;
  if (ws !== undefined && ws !== null && typeof ws !== 'boolean') {
    throw new TfgwError(ErrorCodes.CONFIG, `options.websocketOnly: expected true or false, got ${JSON.stringify(ws)}`, { details: { path: 'options.websocketOnly' } });
  }
  const read = (key: string, max: number) => {
    try {
      return readInteger(options, key, 0, max);
    } catch (err) {
      const e = err as TfgwError;
      throw new TfgwError(ErrorCodes.CONFIG, `options.${e.message}`, { cause: err, details: { path: `options.${key}` } });
    }
  };
  return {
    websocketOnly: ws === true,
    maxMessageBytes: lower(gateway.maxMessageBytes, read('maxMessageBytes', MAX_BYTES)),
    idleTimeoutMs: lower(gateway.idleTimeoutMs, read('idleTimeoutMs', DAY_MS)),
  };
}
