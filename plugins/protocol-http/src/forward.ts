import type http from 'node:http';
import { asTfgwError, type TfgwError, type VisitorInfo } from '@tfgw/core';
import { TunnelExchange, type ExchangeOptions } from './exchange';
import type { HeaderChange } from './route-options';
import { serializeRequestHead } from './request-head';
import type { ResponseHead } from './response-parser';

/** What {@link forwardRequest} needs besides the request and response. */
export interface ForwardOptions extends ExchangeOptions {
  /** The visitor, named in the header of a newly opened stream. */
  visitor: VisitorInfo;
  /** Origin-form path to request. */
  path: string;
  /** Headers for the service (see outgoingRequestHeaders). */
  headers: http.OutgoingHttpHeaders;
  /** The route's response header changes. */
  responseChanges: readonly HeaderChange[];
  /** Check method, target and headers before sending (an httpRequest tap may have changed them). */
  checkHead: boolean;
  /** Counters updated as bytes flow (the same object is returned in the result). */
  counters?: { bytesIn: number; bytesOut: number };
}

/** How a forwarded request ended. */
export interface ForwardResult {
  /** Request body bytes sent to the service. */
  bytesIn: number;
  /** Response body bytes sent to the visitor. */
  bytesOut: number;
  /** Why it failed before the service answered (the caller answers with a page), if it did. */
  error?: TfgwError;
}

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** The field at `i` (field number) is for the visitor: not hop-by-hop, not named in Connection, not replaced by a route change. */
export function keepResponseField(head: ResponseHead, i: number, changes: readonly HeaderChange[]): boolean {
  if (head.drop[i] === 1) return false;
  if (head.connectionTokens === undefined && changes.length === 0) return true;
  const lname = head.rawHeaders[2 * i].toLowerCase();
  if (head.connectionTokens?.includes(lname)) return false;
  for (const c of changes) if (c.name === lname) return false;
  return true;
}

/**
 * The fields of the service's answer to send to the visitor, flat (`name, value, ...`):
 * hop-by-hop fields and those `Connection` names removed, one Content-Length, then the
 * route's changes (set or removed).
 */
export function visitorResponseHeaders(head: ResponseHead, changes: readonly HeaderChange[]): string[] {
  const raw = head.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (keepResponseField(head, i >> 1, changes)) out.push(raw[i], raw[i + 1]);
  for (const c of changes) if (c.value !== null) out.push(c.name, c.value);
  return out;
}

/**
 * An exchange whose visitor is Node's HTTP server (`IncomingMessage` / `ServerResponse`):
 * the request body, if any, is streamed into the tunnel stream (re-chunked when the visitor
 * sent it chunked) with backpressure; the answer goes out through `res.writeHead` /
 * `res.write`, Node frames it for the visitor.
 */
class NodeExchange extends TunnelExchange {
  private bodyAttached = false;
  private reqPaused = false;
  private readonly chunked: boolean;
  private readonly counters: { bytesIn: number; bytesOut: number };
  private readonly responseChanges: readonly HeaderChange[];

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    opts: ForwardOptions,
    private readonly resolve: (r: ForwardResult) => void,
  ) {
    const withBody = hasBody(req);
    super(opts, opts.visitor, Buffer.from(serializeRequestHead(req.method ?? 'GET', opts.path, opts.headers, opts.checkHead), 'latin1'), req.method ?? 'GET', withBody);
    this.counters = opts.counters ?? { bytesIn: 0, bytesOut: 0 };
    this.chunked = withBody && req.headers['transfer-encoding'] !== undefined;
    this.responseChanges = opts.responseChanges;
    res.once('close', this.onResClose);
  }

  /** The visitor's response closed: finished, or the visitor went away. */
  private readonly onResClose = (): void => this.visitorGone();

  // ---- request body ----

  protected override sendBody(): void {
    this.bodyAttached = true;
    this.req.on('data', this.onReqData);
    this.req.on('end', this.onReqEnd);
  }

  private readonly onReqData = (chunk: Buffer): void => {
    this.counters.bytesIn += chunk.length;
    const ps = this.ps;
    if (!ps || ps.dead || chunk.length === 0) return;
    const data = this.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF]) : chunk;
    if (!ps.stream.write(data)) {
      this.reqPaused = true;
      this.req.pause();
      ps.stream.once('drain', this.onStreamDrain);
    }
  };

  private readonly onStreamDrain = (): void => {
    if (!this.reqPaused) return;
    this.reqPaused = false;
    this.req.resume();
  };

  private readonly onReqEnd = (): void => {
    this.detachBody();
    const ps = this.ps;
    if (!ps || ps.dead) return;
    if (this.chunked) ps.stream.write(LAST_CHUNK);
    this.requestSent = true;
  };

  private detachBody(): void {
    if (!this.bodyAttached) return;
    this.bodyAttached = false;
    this.req.removeListener('data', this.onReqData);
    this.req.removeListener('end', this.onReqEnd);
    this.ps?.stream.removeListener('drain', this.onStreamDrain);
    if (this.reqPaused) {
      this.reqPaused = false;
      this.req.resume();
    }
  }

  // ---- the answer ----

  protected deliverHead(head: ResponseHead): void {
    this.res.writeHead(head.statusCode, head.statusMessage, visitorResponseHeaders(head, this.responseChanges));
  }

  protected deliverBody(chunk: Buffer): boolean {
    this.counters.bytesOut += chunk.length;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.onResDrain);
    return false;
  }

  private readonly onResDrain = (): void => this.visitorDrained();

  protected deliverEnd(): void {
    this.res.end();
  }

  protected cutVisitor(): void {
    this.res.destroy();
  }

  protected finished(error: TfgwError | undefined): void {
    this.detachBody();
    this.resolve({ bytesIn: this.counters.bytesIn, bytesOut: this.counters.bytesOut, ...(error ? { error } : {}) });
  }
}

/**
 * Sends a visitor's request to the service over a pooled stream and streams the answer back
 * (bodies flow both ways without buffering; backpressure follows). Resolves once the
 * exchange is over. Before the service answered, failures resolve with `error` set (the
 * caller sends the error page); after, the visitor's connection is destroyed, so a
 * truncated answer is never mistaken for a whole one. A bodiless idempotent request that
 * fails on a reused stream before any answer byte is sent again on another stream.
 */
export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, opts: ForwardOptions): Promise<ForwardResult> {
  return new Promise((resolve) => {
    try {
      new NodeExchange(req, res, opts, resolve).start();
    } catch (err) {
      resolve({ bytesIn: 0, bytesOut: 0, error: asTfgwError(err) });
    }
  });
}
