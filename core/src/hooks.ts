import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  HookMap,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import type { AuthRequest, NameClaim, Principal } from './auth';
import type { DnsAnswer, DnsQuestion } from './dns-types';
import { ErrorCodes, TfgwError, asTfgwError } from './errors';
import type { MuxedStream } from './muxer';
import type { Exposure, Route, ServiceSpec, VisitorInfo } from './route';
import type { SessionCloseInfo, SessionInfo, StreamHeader, StreamStats } from './session-info';
import type { ConnectionInfo } from './transport';

/** A veto: returned by a Bail hook tap to refuse. */
export interface Rejection {
  /** Error code the peer / visitor is told. */
  code: string;
  /** Human-readable reason. */
  message: string;
}

/** Context of a `register` call. */
export interface RegisterContext {
  /** Who registers. */
  principal: Principal;
  /** Agent name. */
  agent: string;
  /** The session registering. */
  session: SessionInfo;
}

/** Context of an incoming data stream on an agent (or a client stream on the gateway). */
export interface StreamContext {
  /** Session the stream arrived on. */
  sessionId: string;
  /** Role of the local node handling it. */
  role: 'agent' | 'gateway' | 'client';
}

/** Context passed with `error`. */
export interface ErrorContext {
  /** Where it happened: `session`, `hook:visitor`, `plugin:protocol-http`, ... */
  source: string;
  /** Session id, when one is involved. */
  sessionId?: string;
}

/** One finished HTTP request, as protocol plugins report it. */
export interface RequestLogEntry {
  /** Epoch ms when the request arrived. */
  time: number;
  /** HTTP method. */
  method: string;
  /** Host asked for. */
  host: string;
  /** Path and query. */
  path: string;
  /** Response status sent to the visitor. */
  status: number;
  /** Response body bytes sent. */
  bytes: number;
  /** Milliseconds from request to the end of the response. */
  durationMs: number;
  /** Route id, when the host matched one. */
  routeId?: string;
  /** Visitor address. */
  visitor?: string;
}

/** Stage at which core defaults tap, so plugins (stage 0) run first. */
export const CORE_STAGE = 100;

/** Creates the hooks of one kernel. Declared once, frozen; see docs/hooks.md for order and policies. */
export function createHooks() {
  return Object.freeze({
    /** Transform the resolved config before anything starts. Sync waterfall. */
    config: new SyncWaterfallHook<[Record<string, unknown>]>(['config']),
    /** Start I/O (listeners, clients). Ordered async; a throw aborts start. */
    start: new AsyncSeriesHook<[]>([]),
    /** Accept or reject a raw transport connection before the handshake. Bail: a Rejection refuses. Fail-closed. */
    connection: new AsyncSeriesBailHook<[ConnectionInfo], Rejection | undefined>(['connection']),
    /** Check a hello's token. Bail: first Principal wins; a Rejection or no answer refuses. Fail-closed. */
    authenticate: new AsyncSeriesBailHook<[AuthRequest], Principal | Rejection | undefined>(['request']),
    /** Modify a service registration or throw a TfgwError to reject it. Waterfall. Fail-closed. */
    register: new AsyncSeriesWaterfallHook<[ServiceSpec, RegisterContext]>(['service', 'context']),
    /** Bind a route to a public address, keyed by protocol. Bail: the first Exposure wins; none = unknown protocol. */
    expose: new HookMap((_key: string) => new AsyncSeriesBailHook<[Route], Exposure | undefined>(['route'])),
    /** A route became reachable (port allocated). Notification. */
    routeAdded: new SyncHook<[Route]>(['route']),
    /** A route went away (released, grace expired, disabled). Notification. */
    routeRemoved: new SyncHook<[Route, string]>(['route', 'reason']),
    /** A name became owned (agent name or reservation). Notification; DNS taps it. */
    nameAdded: new SyncHook<[NameClaim]>(['claim']),
    /** A name was released or expired. Notification. */
    nameRemoved: new SyncHook<[NameClaim]>(['claim']),
    /** A peer session authenticated. Notification. */
    sessionOpen: new SyncHook<[SessionInfo]>(['session']),
    /** Admit or reject a public visitor connection. Bail: a Rejection refuses. Fail-closed. */
    visitor: new AsyncSeriesBailHook<[VisitorInfo], Rejection | undefined>(['visitor']),
    /** Per HTTP request on the ingress. Bail: `true` means the tap answered (rejected or served) it. Fail-closed (503). */
    httpRequest: new AsyncSeriesBailHook<[IncomingMessage, ServerResponse, Route], true | undefined>(['req', 'res', 'route']),
    /** Serve an incoming data stream, keyed by protocol. Bail: `true` = handled. Core default is a late tap. */
    stream: new HookMap(
      (_key: string) => new AsyncSeriesBailHook<[MuxedStream, StreamHeader, StreamContext], true | undefined>(['stream', 'header', 'context']),
    ),
    /** Answer a DNS question; backends tap in stage order. Bail: first answer wins. Fail-closed (SERVFAIL). */
    resolve: new AsyncSeriesBailHook<[DnsQuestion], DnsAnswer | undefined>(['question']),
    /** An HTTP request through the ingress finished (method, host, path, status, bytes, duration). Notification; the admin log and metrics tap it. */
    requestLog: new SyncHook<[RequestLogEntry]>(['entry']),
    /** A blocking hook refused something (hook name, the rejection). Notification; metrics count it. */
    rejected: new SyncHook<[string, Rejection]>(['hook', 'rejection']),
    /** A DNS query was answered (type, rcode, transport). Notification; metrics count it. */
    dnsQuery: new SyncHook<[{ type: string; rcode: string; transport: 'udp' | 'tcp' }]>(['query']),
    /** A visitor / client stream ended, with byte counts. Notification. */
    streamClose: new SyncHook<[StreamStats]>(['stats']),
    /** A peer session ended, with byte counts. Notification. */
    sessionClose: new SyncHook<[SessionInfo, SessionCloseInfo]>(['session', 'info']),
    /** Something failed that did not stop the node. Notification. */
    error: new SyncHook<[Error, ErrorContext]>(['error', 'context']),
    /** Stop accepting new work (close listening sockets, keep open connections): the start of a graceful stop, before roles drain. Notification; errors are logged. */
    stopping: new SyncHook<[]>([]),
    /** Stop I/O. Ordered async; errors are logged, every tap runs. */
    shutdown: new AsyncSeriesHook<[]>([]),
  });
}

/** The typed hooks object of a kernel. */
export type TfgwHooks = ReturnType<typeof createHooks>;

/** Options for {@link callHook}. */
export interface CallHookOptions {
  /** Hook name, for the error. */
  name: string;
  /** Give up after this long. */
  timeoutMs: number;
}

/**
 * Runs an async hook with a timeout. A throwing tap or a timeout rejects with a TfgwError
 * (`TFGW_ERR_HOOK` / `TFGW_ERR_HOOK_TIMEOUT`) naming the hook; callers apply their
 * fail-closed / fail-open policy on that.
 */
export async function callHook<R>(run: () => Promise<R>, opts: CallHookOptions): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TfgwError(ErrorCodes.HOOK_TIMEOUT, `hook "${opts.name}" did not answer within ${opts.timeoutMs} ms`, { details: { hook: opts.name } })),
      opts.timeoutMs,
    );
    timer.unref?.();
  });
  try {
    return await Promise.race([run(), timeout]);
  } catch (err) {
    if (err instanceof TfgwError) throw err;
    throw new TfgwError(ErrorCodes.HOOK, `hook "${opts.name}" failed: ${asTfgwError(err).message}`, { cause: err, details: { hook: opts.name } });
  } finally {
    clearTimeout(timer);
  }
}

/** True when a Bail hook answered with a Rejection. */
export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && typeof (value as Rejection).code === 'string' && typeof (value as Rejection).message === 'string' && !('id' in value);
}
