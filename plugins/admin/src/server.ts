import http from 'node:http';
import { ErrorCodes, TfgwError, listenServer, type TransportListener } from '@tfgw/core';
import type { AdminContext } from './api/context';
import { nameEndpoints } from './api/names';
import { recordEndpoints } from './api/records';
import { reloadEndpoints } from './api/reload';
import { requestEndpoints } from './api/requests';
import { reservationEndpoints } from './api/reservations';
import { routeEndpoints } from './api/routes';
import { sessionEndpoints } from './api/sessions';
import { BearerAuth, WWW_AUTHENTICATE } from './http/auth';
import { sendError, sendJson, sendText } from './http/respond';
import { Router, type Endpoint } from './http/router';
import { openApiDocument } from './openapi';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

/** Public endpoints: no token, no data beyond health and metrics. */
function publicEndpoints(ctx: AdminContext): Endpoint[] {
  return [
    { method: 'GET', path: '/healthz', public: true, handle: () => ({ body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/metrics',
      public: true,
      handle: async ({ res }) => {
        const m = await ctx.metrics.render();
        sendText(res, 200, m.contentType, m.body);
      },
    },
    { method: 'GET', path: '/api/openapi.json', public: true, handle: () => ({ body: openApiDocument(VERSION) }) },
    {
      method: 'GET',
      path: '/',
      public: true,
      handle: ({ res }) => sendText(res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML, { 'Content-Security-Policy': STATUS_PAGE_CSP }),
    },
  ];
}

/** Every endpoint of the admin listener, public ones first. */
export function adminEndpoints(ctx: AdminContext, live: Set<http.ServerResponse>): Endpoint[] {
  return [
    ...publicEndpoints(ctx),
    ...sessionEndpoints(ctx),
    ...routeEndpoints(ctx),
    ...nameEndpoints(ctx),
    ...reservationEndpoints(ctx),
    ...recordEndpoints(ctx),
    ...reloadEndpoints(ctx),
    ...requestEndpoints(ctx, live),
  ];
}

/**
 * The admin listener: an HTTP server routing to the endpoints. The bearer token is checked
 * (in constant time) before anything else on every non-public endpoint, and before the
 * path is matched under `/api/`, so a wrong token learns nothing, not even which paths
 * exist. Errors are `{code, message}` JSON.
 */
export class AdminServer {
  private readonly server: http.Server;
  private readonly router: Router;
  private readonly auth: BearerAuth;
  private readonly live = new Set<http.ServerResponse>();
  private listener?: TransportListener;

  constructor(private readonly ctx: AdminContext) {
    this.auth = new BearerAuth(ctx.options.token);
    this.router = new Router(adminEndpoints(ctx, this.live));
    this.server = http.createServer({ requestTimeout: 30000, headersTimeout: 10000, maxHeaderSize: 16 * 1024 }, (req, res) => {
      this.onRequest(req, res).catch((err) => sendError(res, err));
    });
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** The bound address (after `listen`). */
  get url(): string | undefined {
    return this.listener?.address.url;
  }

  /** Binds the listener; TFGW_ERR_PORT_UNAVAILABLE when the address is taken. */
  async listen(): Promise<void> {
    this.listener = await listenServer(this.server, this.ctx.options.host, this.ctx.options.port, { scheme: 'http' });
  }

  /**
   * Stops accepting and frees the port at once; ends live streams and idle keep-alive
   * connections. A request in flight (a reload that restarts this very plugin) still gets
   * its answer.
   */
  async close(): Promise<void> {
    await this.listener?.close();
    this.listener = undefined;
    for (const res of this.live) res.end();
    this.live.clear();
    this.server.closeIdleConnections();
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    try {
      // Under /api/v1 the token is checked before the path is matched: no path is revealed.
      const apiPath = url.pathname.startsWith('/api/v1/') || url.pathname === '/api/v1';
      if (apiPath) this.auth.check(req);
      const { endpoint, params } = this.router.match(method, url.pathname);
      if (!endpoint.public && !apiPath) this.auth.check(req);
      const reply = await endpoint.handle({ req, res, params, query: url.searchParams });
      if (reply && !res.headersSent) sendJson(res, reply.status ?? 200, reply.body);
    } catch (err) {
      const e = err as TfgwError;
      const headers: Record<string, string> = {};
      if (e?.code === ErrorCodes.AUTH) Object.assign(headers, WWW_AUTHENTICATE);
      if (Array.isArray(e?.details?.allow)) headers.Allow = (e.details.allow as string[]).join(', ');
      if (!(err instanceof TfgwError)) this.ctx.node.log.error({ err, path: url.pathname }, 'admin: request failed');
      sendError(res, err, headers);
    }
  }
}
