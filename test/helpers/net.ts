import net from 'node:net';
import dgram from 'node:dgram';
import crypto from 'node:crypto';
import { once } from 'node:events';

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A free UDP port on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A TCP echo server on 127.0.0.1:0; returns its port and a closer that also ends open sockets. */
export async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** Deterministic pseudo-random bytes (fast), so large transfers can be checksummed on both ends. */
export function patternChunk(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** sha256 hex of everything a stream yields. */
export async function sha256OfStream(stream: NodeJS.ReadableStream): Promise<{ hash: string; bytes: number }> {
  const h = crypto.createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { hash: h.digest('hex'), bytes };
}

/** Write `total` bytes made of repeated `chunk` to `w`, respecting backpressure; returns sha256 hex. */
export async function writePattern(w: NodeJS.WritableStream & { write(b: Buffer): boolean }, total: number, chunk = patternChunk(64 * 1024)): Promise<string> {
  const h = crypto.createHash('sha256');
  let left = total;
  while (left > 0) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    h.update(piece);
    left -= piece.length;
    if (!w.write(piece)) await once(w as unknown as NodeJS.EventEmitter, 'drain');
  }
  return h.digest('hex');
}

/** `count` consecutive free TCP ports on 127.0.0.1 (for a public port pool), as [first, last]. */
export async function freePortRange(count: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 30000 + Math.floor(Math.random() * 25000);
    const servers: net.Server[] = [];
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      const srv = net.createServer();
      ok = await new Promise<boolean>((resolve) => {
        srv.once('error', () => resolve(false));
        srv.listen(p, '127.0.0.1', () => resolve(true));
      });
      if (ok) servers.push(srv);
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return [base, base + count - 1];
  }
  throw new Error('no free port range found');
}

/**
 * Sends `total` bytes through `port` (127.0.0.1) to an echo service, half-closes, and
 * resolves with the byte counts and sha256 of what was sent and what came back.
 */
export async function echoTransfer(port: number, total: number): Promise<{ sent: string; received: string; bytes: number }> {
  const sock = net.connect(port, '127.0.0.1');
  await once(sock, 'connect');
  const sent = crypto.createHash('sha256');
  const got = crypto.createHash('sha256');
  let bytes = 0;
  const done = new Promise<void>((resolve, reject) => {
    sock.on('data', (c: Buffer) => {
      got.update(c);
      bytes += c.length;
    });
    sock.on('end', resolve);
    sock.on('error', reject);
  });
  const chunk = patternChunk(256 * 1024, port);
  for (let left = total; left > 0; ) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    sent.update(piece);
    left -= piece.length;
    if (!sock.write(piece)) await once(sock, 'drain');
  }
  sock.end();
  await done;
  return { sent: sent.digest('hex'), received: got.digest('hex'), bytes };
}
