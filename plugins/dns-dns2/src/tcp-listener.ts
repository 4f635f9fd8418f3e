import { once } from 'node:events';
import net from 'node:net';
import type { Logger } from '@tfgw/core';
import type { DnsEngine, EngineReply } from './engine';
import type { ListenAddress } from './listen-address';

/** Limits of the TCP listener. */
export interface TcpLimits {
  /** Concurrent connections; more are refused by the kernel accept path. @default 1024 */
  maxConnections?: number;
  /** Idle time before a connection is closed, in ms. @default 10000 */
  idleTimeoutMs?: number;
  /** Queries answered concurrently per connection; reading pauses beyond it. @default 64 */
  pipeline?: number;
}

/** A bound TCP server serving DNS (RFC 1035 4.2.2 / RFC 7766 framing). */
export interface TcpListener {
  /** Bound address. */
  address(): net.AddressInfo;
  /** Stop accepting, end open connections, close. */
  close(): Promise<void>;
}

/** Binds a TCP server; each 2-byte-length-framed query gets its framed reply(ies), pipelined. */
export async function listenTcp(at: ListenAddress, engine: DnsEngine, log: Logger, limits: TcpLimits = {}): Promise<TcpListener> {
  const idle = limits.idleTimeoutMs ?? 10_000;
  const pipeline = limits.pipeline ?? 64;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(idle, () => sock.destroy());
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
    const source = sock.remoteAddress ?? '';
    let pending: Buffer = Buffer.alloc(0);
    let inFlight = 0;
    const write = (reply: EngineReply) => {
      if (reply === null || sock.destroyed) return;
      for (const b of Array.isArray(reply) ? reply : [reply]) {
        const framed = Buffer.allocUnsafe(b.length + 2);
        framed.writeUInt16BE(b.length, 0);
        b.copy(framed, 2);
        sock.write(framed);
      }
    };
    const done = (reply: EngineReply) => {
      inFlight--;
      write(reply);
      if (inFlight < pipeline && sock.isPaused()) sock.resume();
    };
    sock.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const frame = Buffer.from(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
        const r = engine.handle(frame, source, 'tcp');
        if (r instanceof Promise) {
          inFlight++;
          void r.then(done);
          if (inFlight >= pipeline) sock.pause();
        } else write(r);
      }
    });
  });
  server.maxConnections = limits.maxConnections ?? 1024;
  server.on('drop', () => log.debug('dns: tcp connection refused: maxConnections reached'));
  server.on('error', (err) => log.warn({ err }, 'dns: tcp server error'));
  server.listen(at.port, at.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  return {
    address: () => server.address() as net.AddressInfo,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
