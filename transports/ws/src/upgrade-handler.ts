import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { formatEndpoint, type ConnectionInfo, type TransportConnection } from '@tfgw/core';
import { WebSocketDuplex } from './websocket-duplex';

/** Default URL path of the tfgw WebSocket endpoint. */
export const DEFAULT_WS_PATH = '/_tfgw';

/** Largest WebSocket message accepted; writers split at 1 MiB, so this is generous. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/** Options for {@link createWsUpgradeHandler}. */
export interface WsUpgradeOptions {
  /** Exact URL path to accept; others get 404. @default '/_tfgw' */
  path?: string;
  /** Take the client address from `X-Forwarded-For` (only behind a proxy you run). @default false */
  trustProxy?: boolean;
  /** Largest message accepted. @default 16 MiB */
  maxPayload?: number;
  /** Value of `ConnectionInfo.transport`. @default 'ws' */
  transportName?: string;
  /** Receives each accepted connection. */
  onConnection: (conn: TransportConnection) => void;
}

/** Path part of a request target (`/_tfgw?x=1` → `/_tfgw`). */
export function requestPath(url: string | undefined): string {
  const target = url ?? '/';
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}

/** The visitor address: the left-most `X-Forwarded-For` entry when trusted, else the socket peer. */
export function remoteAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return formatEndpoint(req.socket.remoteAddress ?? 'unknown', req.socket.remotePort ?? 0);
}

/**
 * An `'upgrade'` listener for any Node HTTP(S) server that turns WebSocket requests on
 * `path` into tfgw transport connections, so the endpoint can share a server (or sit behind
 * a reverse proxy) with other HTTP traffic. Upgrades to other paths get 404.
 */
export function createWsUpgradeHandler(opts: WsUpgradeOptions): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const path = opts.path ?? DEFAULT_WS_PATH;
  const trustProxy = opts.trustProxy ?? false;
  const transport = opts.transportName ?? 'ws';
  // Compression would only burn CPU: the payload is already-multiplexed tunnel bytes.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, skipUTF8Validation: true, maxPayload: opts.maxPayload ?? DEFAULT_MAX_PAYLOAD });
  return (req, socket, head) => {
    if (requestPath(req.url) !== path) {
      socket.on('error', () => undefined);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const peer = (req.socket as Partial<TLSSocket>).getPeerX509Certificate?.();
      const info: ConnectionInfo = { remoteAddress: remoteAddressOf(req, trustProxy), transport, ...(peer ? { peerFingerprint: peer.fingerprint256 } : {}) };
      opts.onConnection({ info, duplex: new WebSocketDuplex(ws) });
    });
  };
}
