import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, asTfgwError } from '@tfgw/core';

/** Header naming the tfgw error code on every page the ingress answers itself. */
export const ERROR_CODE_HEADER = 'x-tfgw-error';

/** A page the ingress answers itself. */
export interface ErrorPage {
  /** HTTP status. */
  status: number;
  /** Stable tfgw error code (sent in `X-Tfgw-Error`). */
  code: string;
  /** Short title, e.g. `Tunnel not found`. */
  title: string;
  /** One sentence for the visitor. */
  message: string;
  /** Extra response headers (`WWW-Authenticate`, `Upgrade`, ...). */
  headers?: Record<string, string>;
}

/** Codes of pages that are not TfgwError codes of the core. */
export const HttpErrorCodes = {
  /** No route has the requested host name. */
  NO_TUNNEL: 'TFGW_ERR_NO_TUNNEL',
  /** The request has no usable Host header. */
  BAD_HOST: 'TFGW_ERR_BAD_HOST',
  /** The route's basic auth refused the credentials. */
  UNAUTHORIZED: 'TFGW_ERR_UNAUTHORIZED',
  /** No plugin handles the requested Upgrade protocol. */
  UPGRADE_UNSUPPORTED: 'TFGW_ERR_UPGRADE_UNSUPPORTED',
  /** The service did not start answering in time. */
  RESPONSE_TIMEOUT: 'TFGW_ERR_RESPONSE_TIMEOUT',
} as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 404: no tunnel has this name. */
export function noTunnelPage(host: string): ErrorPage {
  return { status: 404, code: HttpErrorCodes.NO_TUNNEL, title: 'Tunnel not found', message: `No tunnel named "${host}" is connected to this gateway.` };
}

/** 400: missing or malformed Host. */
export function badHostPage(): ErrorPage {
  return { status: 400, code: HttpErrorCodes.BAD_HOST, title: 'Bad request', message: 'The request has no valid Host header, so no tunnel can be chosen.' };
}

/** 401 with a basic-auth challenge for the route's host name. */
export function unauthorizedPage(host: string): ErrorPage {
  return {
    status: 401,
    code: HttpErrorCodes.UNAUTHORIZED,
    title: 'Authentication required',
    message: `The tunnel "${host}" needs a user name and password.`,
    headers: { 'www-authenticate': `Basic realm="${host.replace(/["\\]/g, '')}", charset="UTF-8"` },
  };
}

/** 501: an Upgrade no plugin handles (e.g. WebSocket without protocol-ws). */
export function upgradeUnsupportedPage(protocol: string): ErrorPage {
  return {
    status: 501,
    code: HttpErrorCodes.UPGRADE_UNSUPPORTED,
    title: 'Upgrade not supported',
    message: `This gateway does not pass "Upgrade: ${protocol}" through${protocol.toLowerCase() === 'websocket' ? ' (the protocol-ws plugin is not loaded)' : ''}.`,
  };
}

/**
 * The page for an error that stopped a request on its way to the service, by its code:
 * 502 agent offline, 502 service unreachable, 502 tunnel lost, 403 visitor rejected,
 * 503 a hook failed, 504 no answer in time.
 */
export function pageForError(err: unknown, route: { agent: string; hostname: string }): ErrorPage {
  const e = asTfgwError(err, ErrorCodes.CONNECTION_RESET);
  switch (e.code) {
    case ErrorCodes.AGENT_OFFLINE:
    case ErrorCodes.UNKNOWN_AGENT:
      return { status: 502, code: e.code, title: 'Agent offline', message: `The agent "${route.agent}" serving ${route.hostname} is offline; it may be reconnecting.` };
    case ErrorCodes.SERVICE_UNREACHABLE:
    case ErrorCodes.UNKNOWN_SERVICE:
    case ErrorCodes.TARGET_NOT_ALLOWED:
      return { status: 502, code: e.code, title: 'Service unreachable', message: `The agent "${route.agent}" is online but cannot reach the service behind ${route.hostname}.` };
    case ErrorCodes.VISITOR_REJECTED:
      return { status: 403, code: e.code, title: 'Forbidden', message: 'This gateway does not admit your request.' };
    case ErrorCodes.HOOK:
    case ErrorCodes.HOOK_TIMEOUT:
      return { status: 503, code: e.code, title: 'Service unavailable', message: 'The gateway could not check this request; try again later.' };
    case ErrorCodes.LIMIT:
    case ErrorCodes.STREAM_LIMIT:
    case ErrorCodes.PENDING_LIMIT:
      return { status: 503, code: e.code, title: 'Service unavailable', message: `The tunnel to ${route.hostname} is at its limit; try again later.` };
    case HttpErrorCodes.RESPONSE_TIMEOUT:
      return { status: 504, code: e.code, title: 'Gateway timeout', message: `The service behind ${route.hostname} did not answer in time.` };
    default:
      return { status: 502, code: e.code, title: 'Bad gateway', message: `The connection to the service behind ${route.hostname} failed.` };
  }
}

/** Body and content type of a page, HTML when the visitor accepts it, else plain text. */
export function renderPage(page: ErrorPage, accept: string | undefined): { type: string; body: string } {
  const wantsHtml = typeof accept === 'string' && accept.toLowerCase().includes('text/html');
  if (!wantsHtml) return { type: 'text/plain; charset=utf-8', body: `${page.status} ${page.title}: ${page.message} [${page.code}]\n` };
  const body =
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${page.status} ${escapeHtml(page.title)}</title></head>\n` +
    `<body><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.message)}</p><p><small>${escapeHtml(page.code)} &middot; tfgw</small></p></body></html>\n`;
  return { type: 'text/html; charset=utf-8', body };
}

/** Answers a request with a page (when the response already started, the connection is closed instead). Returns the body bytes sent. */
export function sendPage(req: IncomingMessage, res: ServerResponse, page: ErrorPage): number {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return 0;
  }
  const { type, body } = renderPage(page, req.headers.accept);
  res.writeHead(page.status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    [ERROR_CODE_HEADER]: page.code,
    ...(page.headers ?? {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return 0;
  }
  res.end(body);
  return Buffer.byteLength(body);
}
