import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  callHook,
  listenServer,
  loadPem,
  asTfgwError,
  ErrorCodes,
  TfgwError,
  type Exposure,
  type GatewayApi,
  type Logger,
  type Route,
  type TfgwNode,
  type TransportListener,
  type VisitorInfo,
  type Rejection,
} from '@tfgw/core';
import { checkBasicAuth } from './basic-auth';
import { badHostPage, noTunnelPage, pageForError, sendPage, unauthorizedPage, upgradeUnsupportedPage, type ErrorPage } from './error-pages';
import { FastConnection, keepAliveFields, type FastForward, type FastPathHost, type FastRequestLog } from './fast-path';
import type { ExchangeOptions } from './exchange';
import { forwardRequest } from './forward';
import { plainAddress } from './forwarded';
import { outgoingRequestHeaders } from './headers';
import { parseHostHeader, requestHost, splitRequestTarget, type RequestHost } from './host';
import { fastRequestHead } from './request-head';
import type { FastRequestHead } from './request-parser';
import type { ResolvedHttpOptions } from './options';
import { compileRouteOptions, type RouteHttpOptions } from './route-options';
import { asSocketLike } from './socket-shim';
import { responseOnSocket } from './socket-response';
import { TunnelPool } from './tunnel-pool';
import type { HttpUpgradeContext, HttpUpgradeRegistry } from './upgrade';

/** Protocol keys of the routes the ingress serves by Host. */
export const HTTP_ROUTE_PROTOCOLS = ['http'] as const;

/** A route as the ingress keeps it: its checked options and its stream pool. */
interface RouteEntry {
  options: RouteHttpOptions;
  pool: TunnelPool;
  /** Pool and limits, shared by the route's exchanges. */
  exchange: ExchangeOptions;
}

/** One request as it goes, for the log line. */
interface RequestLog {
  started: number;
  method: string;
  host: string;
  path: string;
  route?: Route;
  /** Visitor IP address. */
  visitor: string;
  /** Request body bytes toward the service, response body bytes toward the visitor. */
  bytesIn: number;
  bytesOut: number;
  code?: string;
}

/** Requests of a connection Node's server is answering, and what to do once there are none (see onClientError). */
const ACTIVE = Symbol('tfgw.activeRequests');
const ON_IDLE = Symbol('tfgw.onIdle');
type BusySocket = Duplex & { [ACTIVE]?: number; [ON_IDLE]?: () => void };

/** Parsed Host values remembered (the few hosts a gateway serves are parsed once); cleared when full. */
const HOST_CACHE_SIZE = 1024;

/** Result of the checks every request and upgrade passes before it reaches the service. */
type Admission = { route: Route; entry: RouteEntry; visitor: VisitorInfo; path: string } | { page: ErrorPage; route?: Route };

/**
 * The HTTP(S) ingress of a gateway: listens, routes each request by Host to a route, admits
 * the visitor (`visitor` hook), checks the route's basic auth, runs `httpRequest`, and
 * forwards the request over the route's pooled streams. `Upgrade` requests go through the
 * same checks, then to the handler registered for their token (see HttpUpgradeRegistry).
 */
export class HttpIngress {
  private readonly servers: Array<{ server: http.Server; proto: 'http' | 'https'; listener?: TransportListener }> = [];
  private readonly routes = new Map<Route, RouteEntry>();
  private readonly log: Logger;
  private httpPort = 0;
  private stopping = false;
  /** Connections the fast path serves (Node's server tracks the others). */
  private readonly fast = new Set<FastConnection>();
  private readonly hostCache = new Map<string, RequestHost | null>();

  constructor(
    private readonly node: TfgwNode,
    private readonly gateway: GatewayApi,
    private readonly opts: ResolvedHttpOptions,
    private readonly upgrades: HttpUpgradeRegistry,
  ) {
    this.log = node.log.child({ plugin: 'protocol-http' });
  }

  /** Binds the listeners (HTTP, and HTTPS when configured). */
  async start(): Promise<void> {
    const plain = this.createServer(http.createServer(this.serverOptions()), 'http');
    const listener = await listenServer(plain, this.opts.listen.host, this.opts.listen.port, { scheme: 'http' });
    this.servers[0].listener = listener;
    this.httpPort = listener.address.port;
    this.log.info({ url: listener.address.url }, 'HTTP ingress listening');
    if (this.opts.https) {
      const { cert, key, listen } = this.opts.https;
      const [certPem, keyPem] = await Promise.all([loadPem(cert, 'https.cert', this.node.baseDir), loadPem(key, 'https.key', this.node.baseDir)]);
      const secure = this.createServer(https.createServer({ ...this.serverOptions(), cert: certPem, key: keyPem }), 'https');
      const l = await listenServer(secure, listen.host, listen.port, { scheme: 'https' });
      this.servers[1].listener = l;
      this.log.info({ url: l.address.url }, 'HTTPS ingress listening');
    }
  }

  /** Stops accepting: listeners closed, idle visitor connections and idle streams closed; requests in flight go on. */
  async stopAccepting(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.servers.map((s) => s.listener?.close()));
    for (const s of this.servers) s.server.closeIdleConnections();
    for (const c of [...this.fast]) c.closeWhenIdle();
    for (const entry of this.routes.values()) entry.pool.stopPooling();
  }

  /** Closes everything that is left. */
  async close(): Promise<void> {
    await this.stopAccepting();
    for (const s of this.servers) s.server.closeAllConnections();
    for (const c of [...this.fast]) c.socket.destroy();
    this.fast.clear();
    for (const entry of this.routes.values()) entry.pool.destroy();
    this.routes.clear();
  }

  /** Bound port of the plain HTTP listener. */
  get port(): number {
    return this.httpPort;
  }

  /** Binds a route: checks its options, makes its stream pool; the URL names the Host to use. */
  expose(route: Route): Exposure {
    const options = compileRouteOptions(route.options ?? {});
    const pool = this.newPool(route);
    this.routes.set(route, this.newEntry(options, pool));
    const port = this.httpPort;
    return {
      url: `http://${route.hostname}${port === 80 ? '' : `:${port}`}/`,
      release: () => {
        const entry = this.routes.get(route);
        if (entry?.pool === pool) this.routes.delete(route);
        pool.destroy();
      },
    };
  }

  private newEntry(options: RouteHttpOptions, pool: TunnelPool): RouteEntry {
    return { options, pool, exchange: { pool, responseTimeoutMs: this.opts.responseTimeoutMs, maxHeadBytes: this.opts.maxHeaderBytes } };
  }

  private newPool(route: Route): TunnelPool {
    return new TunnelPool(route, { maxIdleStreams: this.opts.maxIdleStreamsPerRoute, idleTimeoutMs: this.opts.idleStreamTimeoutMs });
  }

  // ---- servers ----

  private serverOptions(): http.ServerOptions {
    return {
      maxHeaderSize: this.opts.maxHeaderBytes,
      requestTimeout: this.opts.requestTimeoutMs,
      headersTimeout: this.opts.headersTimeoutMs,
      keepAliveTimeout: this.opts.keepAliveTimeoutMs,
      noDelay: true,
    };
  }

  private createServer(server: http.Server, proto: 'http' | 'https'): http.Server {
    server.keepAliveTimeout = this.opts.keepAliveTimeoutMs;
    // Connections start on the fast path; Node's own connection listener takes those it hands over.
    const event = proto === 'https' ? 'secureConnection' : 'connection';
    const nodeListener = server.listeners(event)[0] as ((socket: net.Socket) => void) | undefined;
    if (nodeListener) {
      server.removeListener(event, nodeListener);
      const limits = {
        maxHeaderBytes: this.opts.maxHeaderBytes,
        headersTimeoutMs: this.opts.headersTimeoutMs,
        keepAliveTimeoutMs: this.opts.keepAliveTimeoutMs,
        keepAliveFields: keepAliveFields(this.opts.keepAliveTimeoutMs),
      };
      const host: FastPathHost = {
        admitFast: (head, body, conn) => this.admitFast(head, body, conn),
        pageFor: (err, log) => this.pageFor(err, log),
        finishLog: (log, status) => this.finishLog(log as RequestLog, status, log.bytesOut),
        forget: (conn) => this.fast.delete(conn),
        internalError: (err) => {
          const e = asTfgwError(err);
          this.node.hooks.error.call(e, { source: 'plugin:protocol-http' });
          this.log.error({ err: e.message, code: e.code }, 'request failed inside the ingress');
        },
        handOver: (socket, bytes) => {
          socket.pause();
          if (bytes !== null && bytes.length > 0) socket.unshift(bytes);
          nodeListener.call(server, socket);
          socket.resume();
        },
      };
      server.on(event, (socket: net.Socket) => {
        if (this.stopping || this.node.hooks.httpRequest.taps.length > 0) {
          nodeListener.call(server, socket);
          return;
        }
        this.fast.add(new FastConnection(socket, proto, host, limits));
      });
    }
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.onRequest(req, res, proto).catch((err) => this.internalError(req, res, err));
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      this.onUpgrade(req, socket, head, proto).catch((err) => {
        this.node.hooks.error.call(asTfgwError(err), { source: 'plugin:protocol-http' });
        socket.destroy();
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
    server.on('tlsClientError', (err: Error) => this.log.debug({ err: err.message }, 'TLS handshake with a visitor failed'));
    this.servers.push({ server, proto });
    return server;
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    this.log.debug({ code: err.code }, `bad request from a visitor: ${err.message}`);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    const body = `${status}\n`;
    const page = `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    // A bad request pipelined behind others still being answered: finish those answers first, never write into one.
    const busy = socket as BusySocket;
    if ((busy[ACTIVE] ?? 0) > 0 && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      busy[ON_IDLE] = () => socket.end(page);
      return;
    }
    socket.end(page);
  }

  private internalError(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
    const e = asTfgwError(err);
    this.node.hooks.error.call(e, { source: 'plugin:protocol-http' });
    this.log.error({ err: e.message, code: e.code }, 'request failed inside the ingress');
    sendPage(req, res, { status: 500, code: e.code, title: 'Internal error', message: 'The gateway failed to handle this request.' });
  }

  private entryFor(route: Route): RouteEntry {
    let entry = this.routes.get(route);
    if (!entry) {
      // A route exposed by another plugin for a protocol we serve: pool it on first use.
      entry = this.newEntry(compileRouteOptions(route.options ?? {}), this.newPool(route));
      this.routes.set(route, entry);
    }
    return entry;
  }

  // ---- the checks ----

  private async admit(req: http.IncomingMessage, res: http.ServerResponse, entryLog: RequestLog): Promise<Admission | undefined> {
    const target = splitRequestTarget(req.url);
    const host = requestHost(req.headers.host, target);
    if (!host) return { page: badHostPage() };
    entryLog.host = host.hostname;
    const route = this.gateway.routeForHost(host.hostname, HTTP_ROUTE_PROTOCOLS);
    if (!route) return { page: noTunnelPage(host.hostname) };
    entryLog.route = route;
    let entry: RouteEntry;
    try {
      entry = this.entryFor(route);
    } catch (err) {
      return { page: pageForError(err, route), route };
    }
    const socket = req.socket as net.Socket;
    const visitor: VisitorInfo = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, protocol: 'http', route, hostname: host.hostname };
    const verdict = this.visitorVerdict(visitor);
    const rejection = verdict instanceof Promise ? await verdict : verdict;
    if (rejection) return { page: this.refused(rejection, visitor), route };
    if (entry.options.basicAuth.length > 0 && !checkBasicAuth(req.headers.authorization, entry.options.basicAuth)) {
      return { page: unauthorizedPage(route.hostname), route };
    }
    let answered: true | undefined;
    if (this.node.hooks.httpRequest.taps.length === 0) return { route, entry, visitor, path: target.path };
    try {
      answered = await callHook(() => this.node.hooks.httpRequest.promise(req, res, route), { name: 'httpRequest', timeoutMs: this.gateway.hookTimeoutMs });
    } catch (err) {
      const e = asTfgwError(err);
      this.node.hooks.error.call(e, { source: 'hook:httpRequest' });
      this.node.hooks.rejected.call('httpRequest', { code: e.code, message: e.message });
      this.log.warn({ code: e.code }, `httpRequest hook failed, answering 503: ${e.message}`);
      return { page: pageForError(e, route), route };
    }
    if (answered) return undefined;
    // A tap may have rewritten the target: take the path after the hook ran.
    return { route, entry, visitor, path: splitRequestTarget(req.url).path };
  }

  /**
   * The `visitor` hook's verdict. When every tap is synchronous (the core's IP filter, the
   * admin plugin's disabled-route check) they run inline, in stage order, first answer wins,
   * exactly as the hook would, without the promise and timer of a timed hook call per
   * request; a throwing tap refuses (fail-closed, TFGW_ERR_HOOK) like `admitVisitor`.
   * Async taps go through `gateway.admitVisitor` (with its timeout).
   */
  private visitorVerdict(visitor: VisitorInfo): Rejection | undefined | Promise<Rejection | undefined> {
    const hook = this.node.hooks.visitor;
    const taps = hook.taps;
    if (taps.length === 0) return undefined;
    for (const t of taps) if (t.type !== 'sync') return this.gateway.admitVisitor(visitor);
    // The node's own interceptor only watches tap registration; one that sees calls needs the real hook call.
    for (const i of hook.interceptors) if (i.call || i.tap || i.loop || i.result || i.error || i.done) return this.gateway.admitVisitor(visitor);
    let rejection: Rejection | undefined;
    try {
      for (const t of taps) {
        rejection = (t.fn as (v: VisitorInfo) => Rejection | undefined)(visitor);
        if (rejection !== undefined) break;
      }
    } catch (err) {
      const e = new TfgwError(ErrorCodes.HOOK, `hook "visitor" failed: ${asTfgwError(err).message}`, { cause: err, details: { hook: 'visitor' } });
      this.node.hooks.error.call(e, { source: 'hook:visitor' });
      rejection = { code: e.code, message: e.message };
    }
    if (rejection) this.node.hooks.rejected.call('visitor', rejection);
    return rejection;
  }

  /** The 403 page for a visitor the `visitor` hook refused (logged). */
  private refused(rejection: Rejection, visitor: VisitorInfo): ErrorPage {
    this.log.info({ code: rejection.code, visitor: visitor.address, host: visitor.hostname }, `visitor refused: ${rejection.message}`);
    return { status: 403, code: rejection.code, title: 'Forbidden', message: 'This gateway does not admit your request.' };
  }

  private finishLog(entry: RequestLog, status: number, bytesOut: number): void {
    const durationMs = Math.round((performance.now() - entry.started) * 10) / 10;
    if (this.log.isLevelEnabled('info')) {
      this.log.info(
        { method: entry.method, host: entry.host, path: entry.path, status, bytes: bytesOut, bytesIn: entry.bytesIn, durationMs, visitor: entry.visitor, ...(entry.code ? { code: entry.code } : {}) },
        'http request',
      );
    }
    if (this.node.hooks.requestLog.taps.length > 0) {
      this.node.hooks.requestLog.call({
        time: Date.now() - Math.round(durationMs),
        method: entry.method,
        host: entry.host,
        path: entry.path,
        status,
        bytes: bytesOut,
        durationMs,
        visitor: entry.visitor,
        ...(entry.route ? { routeId: entry.route.id } : {}),
      });
    }
    if (entry.route && (entry.bytesIn > 0 || bytesOut > 0)) this.gateway.recordStream(entry.route, entry.bytesIn, bytesOut);
  }

  // ---- the fast path (see fast-path.ts) ----

  private parseHost(value: string): RequestHost | undefined {
    let h = this.hostCache.get(value);
    if (h === undefined) {
      if (this.hostCache.size >= HOST_CACHE_SIZE) this.hostCache.clear();
      h = parseHostHeader(value) ?? null;
      this.hostCache.set(value, h);
    }
    return h ?? undefined;
  }

  /** For the fast path: routes and admits a fast-path request; undefined hands it to Node's server (which answers 400, 401, 404, runs httpRequest taps...). */
  admitFast(head: FastRequestHead, body: Buffer | null, conn: FastConnection): FastForward | { page: ErrorPage; log: FastRequestLog } | undefined | Promise<FastForward | { page: ErrorPage; log: FastRequestLog } | undefined> {
    if (this.stopping || this.node.hooks.httpRequest.taps.length > 0) return undefined;
    const host = this.parseHost(head.host);
    if (host === undefined) return undefined;
    const route = this.gateway.routeForHost(host.hostname, HTTP_ROUTE_PROTOCOLS);
    if (route === undefined) return undefined;
    let entry: RouteEntry;
    try {
      entry = this.entryFor(route);
    } catch {
      return undefined;
    }
    const basicAuth = entry.options.basicAuth.length > 0;
    if (basicAuth && !checkBasicAuth(head.authorization, entry.options.basicAuth)) return undefined;
    const address = conn.address;
    const log: FastRequestLog = { started: performance.now(), method: head.method, host: host.hostname, path: head.target.length > 512 ? head.target.slice(0, 512) : head.target, visitor: address, bytesIn: body === null ? 0 : body.length, bytesOut: 0, route };
    const visitor: VisitorInfo = { address, port: conn.port, protocol: 'http', route, hostname: host.hostname };
    const verdict = this.visitorVerdict(visitor);
    if (verdict instanceof Promise) return verdict.then((rejection) => this.fastVerdict(head, body, conn, entry, basicAuth, visitor, log, rejection));
    return this.fastVerdict(head, body, conn, entry, basicAuth, visitor, log, verdict);
  }

  private fastVerdict(
    head: FastRequestHead,
    body: Buffer | null,
    conn: FastConnection,
    entry: RouteEntry,
    basicAuth: boolean,
    visitor: VisitorInfo,
    log: FastRequestLog,
    rejection: Rejection | undefined,
  ): FastForward | { page: ErrorPage; log: FastRequestLog } {
    if (rejection) {
      const page = this.refused(rejection, visitor);
      log.code = page.code;
      return { page, log };
    }
    const memo = conn.cache;
    if (memo.xff === undefined) memo.xff = plainAddress(conn.address);
    const text = fastRequestHead(head, { address: memo.xff, proto: conn.proto, trust: this.opts.trustForwarded, dropAuthorization: basicAuth, changes: entry.options.requestHeaders }, memo);
    let requestHead: Buffer;
    if (body === null) requestHead = Buffer.from(text, 'latin1');
    else {
      // Head and body in one buffer, one write into the tunnel.
      requestHead = Buffer.allocUnsafe(text.length + body.length);
      requestHead.write(text, 0, 'latin1');
      body.copy(requestHead, text.length);
    }
    return { exchange: entry.exchange, visitor, requestHead, responseChanges: entry.options.responseHeaders, log };
  }

  /** For the fast path: the page for a request that failed before the service answered. */
  pageFor(err: TfgwError, log: FastRequestLog): ErrorPage {
    const route = log.route as Route;
    this.log.info({ host: route.hostname, code: err.code }, `request not forwarded: ${err.message}`);
    return pageForError(err, route);
  }

  private newLog(req: http.IncomingMessage): RequestLog {
    const visitor = (req.socket as net.Socket).remoteAddress ?? '';
    return { started: performance.now(), method: req.method ?? '', host: '', path: (req.url ?? '').slice(0, 512), visitor, bytesIn: 0, bytesOut: 0 };
  }

  // ---- plain requests ----

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse, proto: 'http' | 'https'): Promise<void> {
    const entryLog = this.newLog(req);
    const socket = req.socket as BusySocket;
    socket[ACTIVE] = (socket[ACTIVE] ?? 0) + 1;
    res.once('close', () => {
      this.finishLog(entryLog, res.statusCode, entryLog.bytesOut);
      if (--socket[ACTIVE]! === 0 && socket[ON_IDLE]) socket[ON_IDLE]();
    });
    if (this.stopping) res.shouldKeepAlive = false;
    const admission = await this.admit(req, res, entryLog);
    if (!admission) return;
    if ('page' in admission) {
      entryLog.code = admission.page.code;
      entryLog.bytesOut = sendPage(req, res, admission.page);
      return;
    }
    await this.forward(req, res, admission, proto, entryLog);
  }

  /** Forwards an admitted request as plain HTTP and answers with a page when it fails before the service answered. */
  private async forward(req: http.IncomingMessage, res: http.ServerResponse, admission: Exclude<Admission, { page: ErrorPage }>, proto: 'http' | 'https', entryLog: RequestLog): Promise<void> {
    const { route, entry, visitor, path } = admission;
    const headers = outgoingRequestHeaders(req.headers, {
      address: visitor.address,
      proto,
      trust: this.opts.trustForwarded,
      upgrade: false,
      dropAuthorization: entry.options.basicAuth.length > 0,
      changes: entry.options.requestHeaders,
    });
    const result = await forwardRequest(req, res, {
      pool: entry.pool,
      visitor,
      path,
      headers,
      responseChanges: entry.options.responseHeaders,
      responseTimeoutMs: this.opts.responseTimeoutMs,
      maxHeadBytes: this.opts.maxHeaderBytes,
      checkHead: this.node.hooks.httpRequest.taps.length > 0,
      counters: entryLog,
    });
    if (result.error) {
      const page = pageForError(result.error, route);
      entryLog.code = page.code;
      this.log.info({ host: route.hostname, code: result.error.code }, `request not forwarded: ${result.error.message}`);
      entryLog.bytesOut = sendPage(req, res, page);
    }
  }

  // ---- upgrades ----

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, proto: 'http' | 'https'): Promise<void> {
    const entryLog = this.newLog(req);
    let logged = false;
    const logOnce = (status: number, bytesOut: number) => {
      if (logged) return;
      logged = true;
      this.finishLog(entryLog, status, bytesOut);
    };
    const answer = (page: ErrorPage) => {
      entryLog.code = page.code;
      const res = responseOnSocket(req, socket);
      res.once('close', () => logOnce(page.status, entryLog.bytesOut));
      entryLog.bytesOut = sendPage(req, res, page);
    };
    const hookRes = responseOnSocket(req, socket);
    hookRes.once('finish', () => logOnce(hookRes.statusCode, 0));
    const admission = await this.admit(req, hookRes, entryLog);
    if (!admission) return;
    hookRes.detachSocket(socket as net.Socket);
    hookRes.removeAllListeners('finish');
    hookRes.removeAllListeners('close');
    if ('page' in admission) {
      answer(admission.page);
      return;
    }
    const { route, entry, visitor, path } = admission;
    const token = String(req.headers.upgrade ?? '').split(',')[0].trim().toLowerCase();
    const handler = this.upgrades.get(token);
    if (!handler) {
      const bodiless = req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';
      if (token !== 'websocket' && bodiless && head.length === 0) {
        // An Upgrade the gateway may ignore (RFC 9110 §7.8), e.g. h2c: answer over HTTP/1.1.
        const res = responseOnSocket(req, socket);
        res.once('close', () => logOnce(res.statusCode, entryLog.bytesOut));
        await this.forward(req, res, admission, proto, entryLog);
        return;
      }
      answer(upgradeUnsupportedPage(token || '(none)'));
      return;
    }
    req.url = path;
    const headers = outgoingRequestHeaders(req.headers, {
      address: visitor.address,
      proto,
      trust: this.opts.trustForwarded,
      upgrade: true,
      dropAuthorization: entry.options.basicAuth.length > 0,
      changes: entry.options.requestHeaders,
    });
    const ctx: HttpUpgradeContext = {
      req,
      socket,
      head,
      route,
      visitor,
      headers,
      responseHeaders: entry.options.responseHeaders,
      log: this.log,
      connect: () => route.connect(visitor).then((s) => asSocketLike(s)),
      fail: (err) => {
        const page = pageForError(err, route);
        this.log.info({ host: route.hostname, code: page.code }, `upgrade not forwarded: ${asTfgwError(err).message}`);
        answer(page);
      },
      respond: (page) => answer(page),
      done: ({ status, bytesIn, bytesOut }) => {
        entryLog.bytesIn = bytesIn;
        entryLog.bytesOut = bytesOut;
        logOnce(status, bytesOut);
      },
    };
    try {
      await handler.handle(ctx);
    } catch (err) {
      if (socket.writable && !logged) ctx.fail(err);
      else socket.destroy();
    }
  }
}
