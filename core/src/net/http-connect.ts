import type { Duplex } from 'node:stream';
import { ErrorCodes, TfgwError } from '../errors';
import { formatEndpoint, type Endpoint } from './endpoint';
import { readFramed, type FrameParse } from './framed-read';
import { describeProxy, type ProxySpec } from './proxy-url';

/** Largest proxy response header we read before giving up. */
export const MAX_CONNECT_RESPONSE_BYTES = 16 * 1024;

/** The status line of an HTTP CONNECT response. */
export interface ConnectResponse {
  /** HTTP status code, e.g. 200 or 407. */
  status: number;
  /** Reason phrase, possibly empty. */
  reason: string;
}

/**
 * Parses the head of a proxy's answer to CONNECT. Incomplete input gives `{complete:false}`;
 * a complete head gives the status and `bytes`, the length of the head including the empty
 * line, so any tunnelled bytes after it can be handed on. Lines may end in CRLF or bare LF.
 * Throws TFGW_ERR_PROXY for a malformed status line or a head over `maxBytes`.
 */
export function parseConnectResponse(buf: Buffer, maxBytes = MAX_CONNECT_RESPONSE_BYTES): FrameParse<ConnectResponse> {
  let lineStart = 0;
  let end = -1;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, lineStart)) {
    const lineLength = i - lineStart;
    if (lineStart > 0 && (lineLength === 0 || (lineLength === 1 && buf[lineStart] === 0x0d))) {
      end = i + 1;
      break;
    }
    lineStart = i + 1;
  }
  if (end === -1) {
    if (buf.length >= maxBytes) {
      throw new TfgwError(ErrorCodes.PROXY, `proxy response header exceeds ${maxBytes} bytes`, { details: { limit: maxBytes } });
    }
    return { complete: false };
  }
  if (end > maxBytes) {
    throw new TfgwError(ErrorCodes.PROXY, `proxy response header exceeds ${maxBytes} bytes`, { details: { limit: maxBytes } });
  }
  const firstLineEnd = buf.indexOf(0x0a);
  const statusLine = buf.toString('latin1', 0, firstLineEnd).replace(/\r$/, '');
  const m = /^HTTP\/1\.[01] ([1-5]\d\d)(?: ([^\r\n]*))?$/.exec(statusLine);
  if (!m) {
    throw new TfgwError(ErrorCodes.PROXY, `proxy sent a malformed status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  }
  return { complete: true, bytes: end, value: { status: Number(m[1]), reason: m[2] ?? '' } };
}

/** The CONNECT request head for `target`, with Basic credentials when the proxy has some. */
export function connectRequest(target: Endpoint, proxy: ProxySpec): string {
  const authority = formatEndpoint(target.host, target.port);
  let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  if (proxy.username !== undefined || proxy.password !== undefined) {
    const token = Buffer.from(`${proxy.username ?? ''}:${proxy.password ?? ''}`, 'utf8').toString('base64');
    head += `Proxy-Authorization: Basic ${token}\r\n`;
  }
  return `${head}\r\n`;
}

/**
 * Asks the HTTP proxy at the other end of `socket` to open a tunnel to `target`. Resolves
 * once the proxy answered 2xx; the socket then carries the tunnel, with any bytes the proxy
 * sent after its header put back for the next reader. Rejects with TFGW_ERR_PROXY
 * (`details.status` holds the proxy's status, 407 when it wants other credentials).
 */
export async function httpConnect(socket: Duplex, target: Endpoint, proxy: ProxySpec): Promise<void> {
  const where = describeProxy(proxy);
  const authority = formatEndpoint(target.host, target.port);
  socket.write(connectRequest(target, proxy));
  const res = await readFramed(
    socket,
    (buf) => parseConnectResponse(buf),
    () => new TfgwError(ErrorCodes.PROXY, `proxy ${where} closed the connection before answering CONNECT ${authority}`, { details: { proxy: where } }),
    (err) => new TfgwError(ErrorCodes.PROXY, `proxy ${where} failed during CONNECT ${authority}: ${err.message}`, { cause: err, details: { proxy: where } }),
  );
  if (res.status < 200 || res.status > 299) {
    const why = res.status === 407 ? ' (proxy authentication required or credentials rejected)' : '';
    throw new TfgwError(ErrorCodes.PROXY, `proxy ${where} refused CONNECT ${authority}: ${res.status} ${res.reason}${why}`.trim(), {
      details: { proxy: where, status: res.status },
    });
  }
}
