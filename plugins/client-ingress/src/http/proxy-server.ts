import http from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCodes, TfgwError, asTfgwError, startSplice, type Endpoint, type Logger, type MuxedStream } from '@tfgw/core';
import { basicAuthorized } from '../credentials';
import type { IngressCredentials } from '../options';
import type { OpenContext, StreamOpener } from '../opener';
import { refusalFor } from '../refusal';
import { listenTcp, type TcpIngressListener } from '../tcp-listener';
import { parseAbsoluteTarget, parseConnectTarget, type ProxyRequestTarget } from './request-target';

/** What the HTTP proxy needs. */
export interface HttpProxyServerOptions {
  /** Where to listen. */
  listen: Endpoint;
  /** Credentials to require in `Proxy-Authorization: Basic`; none = open to local peers. */
  auth?: IngressCredentials;
  /** Opens streams and logs refusals. */
  opener: StreamOpener;
  /** Logger. */
  log: Logger;
  /** Time for a request head. */
  handshakeTimeoutMs: number;
}

/** Header carrying the TfgwError code of a refused request. */
export const ERROR_HEADER = 'X-Tfgw-Error';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and proxy credentials: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** A flat raw-header list without hop-by-hop headers and those the Connection header names. */
function endToEndHeaders(raw: string[], keep: readonly string[] = []): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'connection') for (const t of raw[i + 1].split(',')) named.add(t.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    if (keep.includes(k) || (!HOP_BY_HOP.has(k) && !named.has(k))) out.push(raw[i], raw[i + 1]);
  }
  return out;
}

/** A complete HTTP/1.1 error response written straight to a socket (CONNECT / upgrade paths). */
function rawResponse(status: number, headers: Record<string, string>, body: string): string {
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`];
  for (const [k, v] of Object.entries({ ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' })) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function errorBody(e: TfgwError): string {
  return `${e.code}: ${e.message}\n`;
}

/**
 * An HTTP proxy for the client role: `CONNECT host:port` tunnels (TCP streams), plain
 * absolute-URI requests (`GET http://www.demo.tfgw.localhost/`, each request forwarded over
 * its own stream, keep-alive toward the local peer) and absolute-URI upgrades. Hostnames
 * follow the addressing scheme; refusals get the status of the table in `refusal.ts` and
 * the code in `X-Tfgw-Error`.
 */
export class HttpProxyServer {
  private listener?: TcpIngressListener;
  private readonly streams = new Set<MuxedStream>();

  constructor(private readonly opts: HttpProxyServerOptions) {}

  /** Start listening; resolves with the bound address. */
  async listen(): Promise<Endpoint> {
    const server = http.createServer({ requestTimeout: 0, headersTimeout: this.opts.handshakeTimeoutMs });
    server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.onConnect(req, socket, head));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void this.onRequest(req, res));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (socket.writable && err.code !== 'ECONNRESET') socket.end(rawResponse(400, {}, 'bad request\n'));
      else socket.destroy();
    });
    this.listener = await listenTcp(this.opts.listen, 'httpProxy', () => undefined, server);
    return this.listener.address;
  }

  /** Stop accepting new connections; open ones go on. */
  stopAccepting(): void {
    this.listener?.stopAccepting();
  }

  /** Stop listening and end every connection and stream. */
  async close(): Promise<void> {
    for (const s of this.streams) s.destroy();
    await this.listener?.close();
  }

  private context(req: http.IncomingMessage): OpenContext {
    return { ingress: 'http-proxy', from: `${req.socket.remoteAddress}:${req.socket.remotePort}`, asked: `${req.method} ${String(req.url).slice(0, 300)}` };
  }

  /** Checks credentials; false after answering 407. */
  private authorized(req: http.IncomingMessage, answer: (status: number, headers: Record<string, string>, body: string) => void): boolean {
    if (!this.opts.auth || basicAuthorized(req.headers['proxy-authorization'], this.opts.auth)) return true;
    const ctx = this.context(req);
    this.opts.log.warn({ ingress: ctx.ingress, from: ctx.from, code: ErrorCodes.AUTH }, `http-proxy: ${ctx.from} proxy authentication failed [${ErrorCodes.AUTH}]`);
    answer(407, { 'Proxy-Authenticate': 'Basic realm="tfgw"', [ERROR_HEADER]: ErrorCodes.AUTH }, `${ErrorCodes.AUTH}: proxy authentication required\n`);
    return false;
  }

  /** Parses the target and opens a stream; on refusal answers (status + code) and resolves undefined. */
  private async open(
    req: http.IncomingMessage,
    parse: (text: string) => ProxyRequestTarget,
    answer: (status: number, headers: Record<string, string>, body: string) => void,
  ): Promise<{ stream: MuxedStream; target: ProxyRequestTarget } | undefined> {
    const ctx = this.context(req);
    let target: ProxyRequestTarget | undefined;
    try {
      target = parse(String(req.url));
      const t = this.opts.opener.resolve(target.host, target.port, ctx);
      const stream = await this.opts.opener.open(t, 'tcp', ctx);
      this.streams.add(stream);
      stream.once('close', () => this.streams.delete(stream));
      return { stream, target };
    } catch (err) {
      // resolve() and open() log their refusals; a request target that does not parse is logged here.
      const e = target === undefined ? this.opts.opener.refused(err, ctx) : asTfgwError(err);
      answer(refusalFor(e.code).http, { [ERROR_HEADER]: e.code }, errorBody(e));
      return undefined;
    }
  }

  private async onConnect(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const answer = (status: number, headers: Record<string, string>, body: string) => {
      if (socket.writable) socket.end(rawResponse(status, headers, body));
    };
    if (!this.authorized(req, answer)) return;
    const opened = await this.open(req, parseConnectTarget, answer);
    if (!opened) return;
    const { stream } = opened;
    if (socket.destroyed) {
      stream.destroy();
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) stream.write(head);
    startSplice(socket, stream);
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const answer = (status: number, headers: Record<string, string>, body: string) => {
      if (socket.writable) socket.end(rawResponse(status, headers, body));
    };
    if (!this.authorized(req, answer)) return;
    const opened = await this.open(req, parseAbsoluteTarget, answer);
    if (!opened) return;
    const { stream, target } = opened;
    if (socket.destroyed) {
      stream.destroy();
      return;
    }
    const headers = endToEndHeaders(req.rawHeaders, ['connection', 'upgrade']);
    const lines = [`${req.method} ${target.path} HTTP/${req.httpVersion}`];
    for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
    stream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) stream.write(head);
    startSplice(socket, stream);
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const answer = (status: number, headers: Record<string, string>, body: string) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    };
    if (!this.authorized(req, answer)) return;
    const opened = await this.open(req, parseAbsoluteTarget, answer);
    if (!opened) {
      req.resume();
      return;
    }
    const { stream, target } = opened;
    const upstream = http.request({
      method: req.method,
      path: target.path,
      headers: endToEndHeaders(req.rawHeaders) as unknown as http.OutgoingHttpHeaders,
      setHost: false,
      createConnection: () => stream as unknown as import('node:net').Socket,
    });
    upstream.on('response', (up: http.IncomingMessage) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, endToEndHeaders(up.rawHeaders));
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      const e = new TfgwError(ErrorCodes.SERVICE_UNREACHABLE, `the service did not answer the request: ${err.message}`, { cause: err });
      if (!res.headersSent) this.opts.opener.refused(e, this.context(req));
      answer(refusalFor(e.code).http, { [ERROR_HEADER]: e.code }, errorBody(e));
      stream.destroy();
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
      stream.destroy();
    });
    req.pipe(upstream);
  }
}
