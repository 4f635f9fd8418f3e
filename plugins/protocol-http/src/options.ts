import { ErrorCodes, TfgwError, parseEndpoint, readBoolean, readInteger, readString, rejectUnknownKeys, type Endpoint } from '@tfgw/core';

/** The HTTPS ingress: a second listener with a configured certificate. */
export interface HttpsIngressOptions {
  /** Where to listen, `"host:port"`. Required. */
  listen: string;
  /** Certificate chain: PEM text or a file path (relative to the config's folder). Required. */
  cert: string;
  /** Private key: PEM text or a file path. Required. */
  key: string;
}

/** Options of the `protocol-http` plugin, as written in config. */
export interface ProtocolHttpOptions {
  /** Where the plain HTTP ingress listens. @default '127.0.0.1:8080' */
  listen?: string;
  /** An HTTPS ingress too (certificate from config, e.g. a wildcard for the zone). @default none */
  https?: HttpsIngressOptions;
  /** Largest request head a visitor may send, in bytes; more gets 431. @default 16384 */
  maxHeaderBytes?: number;
  /** Time a visitor has to send a whole request (head and body); 0 = no limit. More gets 408. @default 300000 */
  requestTimeoutMs?: number;
  /** Time a visitor has to send a request head (slow-loris guard). @default 60000 (at most requestTimeoutMs) */
  headersTimeoutMs?: number;
  /** Time the service has to start its answer (response head); 0 = no limit. More gets 504. @default 60000 */
  responseTimeoutMs?: number;
  /** How long an idle visitor keep-alive connection stays open. @default 5000 */
  keepAliveTimeoutMs?: number;
  /** Idle keep-alive streams kept per route for reuse. @default 64 */
  maxIdleStreamsPerRoute?: number;
  /** How long an idle pooled stream is kept before it is closed. @default 4000 */
  idleStreamTimeoutMs?: number;
  /**
   * Keep and extend the X-Forwarded-* / Forwarded headers a visitor sent (only when a trusted
   * proxy sits in front of the gateway). @default false (the gateway is the edge: replaced)
   */
  trustForwarded?: boolean;
}

/** Options with every default applied and addresses parsed. */
export interface ResolvedHttpOptions {
  /** Plain HTTP listener. */
  listen: Endpoint;
  /** HTTPS listener, when configured. */
  https?: { listen: Endpoint; cert: string; key: string };
  /** See {@link ProtocolHttpOptions.maxHeaderBytes}. */
  maxHeaderBytes: number;
  /** See {@link ProtocolHttpOptions.requestTimeoutMs}. */
  requestTimeoutMs: number;
  /** See {@link ProtocolHttpOptions.headersTimeoutMs}. */
  headersTimeoutMs: number;
  /** See {@link ProtocolHttpOptions.responseTimeoutMs}. */
  responseTimeoutMs: number;
  /** See {@link ProtocolHttpOptions.keepAliveTimeoutMs}. */
  keepAliveTimeoutMs: number;
  /** See {@link ProtocolHttpOptions.maxIdleStreamsPerRoute}. */
  maxIdleStreamsPerRoute: number;
  /** See {@link ProtocolHttpOptions.idleStreamTimeoutMs}. */
  idleStreamTimeoutMs: number;
  /** See {@link ProtocolHttpOptions.trustForwarded}. */
  trustForwarded: boolean;
}

/** Every option key the plugin accepts. */
export const HTTP_OPTION_KEYS = [
  'listen',
  'https',
  'maxHeaderBytes',
  'requestTimeoutMs',
  'headersTimeoutMs',
  'responseTimeoutMs',
  'keepAliveTimeoutMs',
  'maxIdleStreamsPerRoute',
  'idleStreamTimeoutMs',
  'trustForwarded',
] as const;

/** Defaults of every option. */
export const HTTP_DEFAULTS = Object.freeze({
  listen: '127.0.0.1:8080',
  maxHeaderBytes: 16 * 1024,
  requestTimeoutMs: 300_000,
  headersTimeoutMs: 60_000,
  responseTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxIdleStreamsPerRoute: 64,
  idleStreamTimeoutMs: 4_000,
});

const DAY_MS = 86_400_000;

/**
 * Checks the plugin options and fills in defaults. Throws TFGW_ERR_CONFIG naming the key
 * (`details.path`), e.g. `listen: expected "host:port", got "x"`.
 */
export function resolveHttpOptions(options: ProtocolHttpOptions | undefined): ResolvedHttpOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TfgwError(ErrorCodes.CONFIG, `options: expected an object, got ${JSON.stringify(options)}`, { details: { path: 'options' } });
  }
  const raw = { ...((options ?? {}) as Record<string, unknown>) };
  rejectUnknownKeys(raw, HTTP_OPTION_KEYS);
  const listen = parseEndpoint(readString(raw, 'listen') ?? HTTP_DEFAULTS.listen, 'listen');
  let https: ResolvedHttpOptions['https'];
  if (raw.https !== undefined && raw.https !== null) {
    if (typeof raw.https !== 'object' || Array.isArray(raw.https)) {
      throw new TfgwError(ErrorCodes.CONFIG, 'https: expected { listen, cert, key }', { details: { path: 'https' } });
    }
    const h = raw.https as Record<string, unknown>;
    for (const key of Object.keys(h)) {
      if (!['listen', 'cert', 'key'].includes(key)) throw new TfgwError(ErrorCodes.CONFIG, `https.${key}: unknown option (known: listen, cert, key)`, { details: { path: `https.${key}` } });
    }
    for (const key of ['listen', 'cert', 'key']) {
      if (typeof h[key] !== 'string' || h[key] === '') {
        throw new TfgwError(ErrorCodes.CONFIG, `https.${key}: required, a ${key === 'listen' ? '"host:port"' : 'PEM text or file path'}`, { details: { path: `https.${key}` } });
      }
    }
    https = { listen: parseEndpoint(h.listen as string, 'https.listen'), cert: h.cert as string, key: h.key as string };
  }
  const requestTimeoutMs = readInteger(raw, 'requestTimeoutMs', 0, DAY_MS) ?? HTTP_DEFAULTS.requestTimeoutMs;
  const headersDefault = requestTimeoutMs === 0 ? HTTP_DEFAULTS.headersTimeoutMs : Math.min(HTTP_DEFAULTS.headersTimeoutMs, requestTimeoutMs);
  const headersTimeoutMs = readInteger(raw, 'headersTimeoutMs', 1, DAY_MS) ?? headersDefault;
  if (requestTimeoutMs !== 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new TfgwError(ErrorCodes.CONFIG, `headersTimeoutMs: must not exceed requestTimeoutMs (${requestTimeoutMs})`, { details: { path: 'headersTimeoutMs' } });
  }
  return {
    listen,
    ...(https ? { https } : {}),
    maxHeaderBytes: readInteger(raw, 'maxHeaderBytes', 1024, 1024 * 1024) ?? HTTP_DEFAULTS.maxHeaderBytes,
    requestTimeoutMs,
    headersTimeoutMs,
    responseTimeoutMs: readInteger(raw, 'responseTimeoutMs', 0, DAY_MS) ?? HTTP_DEFAULTS.responseTimeoutMs,
    keepAliveTimeoutMs: readInteger(raw, 'keepAliveTimeoutMs', 0, DAY_MS) ?? HTTP_DEFAULTS.keepAliveTimeoutMs,
    maxIdleStreamsPerRoute: readInteger(raw, 'maxIdleStreamsPerRoute', 0, 65536) ?? HTTP_DEFAULTS.maxIdleStreamsPerRoute,
    idleStreamTimeoutMs: readInteger(raw, 'idleStreamTimeoutMs', 1, DAY_MS) ?? HTTP_DEFAULTS.idleStreamTimeoutMs,
    trustForwarded: readBoolean(raw, 'trustForwarded') ?? false,
  };
}
