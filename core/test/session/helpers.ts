import net from 'node:net';
import crypto from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { createSession, encodeYamuxHeader, type YamuxOptions, type YamuxSession } from '@tfgw/core';

/** A connected pair of real TCP sockets on 127.0.0.1; `opts` apply to the first (dialing) socket. */
export async function socketPair(opts: net.SocketConstructorOpts & { writableHighWaterMark?: number } = {}): Promise<[net.Socket, net.Socket]> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const accepted = once(srv, 'connection') as Promise<[net.Socket]>;
  const a = net.connect({ ...opts, port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1' });
  await once(a, 'connect');
  const [b] = await accepted;
  srv.close();
  a.setNoDelay(true);
  b.setNoDelay(true);
  return [a, b];
}

/** Everything the tests opened, closed in afterEach. */
export class Resources {
  private readonly sessions = new Set<YamuxSession>();
  private readonly sockets = new Set<net.Socket>();

  /** Tracks a socket so it is destroyed at cleanup. */
  socket(s: net.Socket): net.Socket {
    this.sockets.add(s);
    s.on('error', () => undefined);
    return s;
  }

  /** A client session and a server session over one TCP connection. */
  async sessionPair(client: Partial<YamuxOptions> = {}, server: Partial<YamuxOptions> = {}): Promise<{ client: YamuxSession; server: YamuxSession }> {
    const [a, b] = await socketPair();
    this.socket(a);
    this.socket(b);
    const c = createSession(a, { ...client, client: true });
    const s = createSession(b, { ...server, client: false });
    this.sessions.add(c);
    this.sessions.add(s);
    return { client: c, server: s };
  }

  /** A session on one end and a raw socket (a hand-driven peer) on the other. */
  async rawPeer(opts: YamuxOptions, socketOpts: Parameters<typeof socketPair>[0] = {}): Promise<{ session: YamuxSession; raw: RawPeer }> {
    const [a, b] = await socketPair(socketOpts);
    this.socket(a);
    this.socket(b);
    const session = createSession(a, opts);
    session.on('close', () => undefined);
    this.sessions.add(session);
    return { session, raw: new RawPeer(b) };
  }

  /** Closes everything and waits until every socket is gone. */
  async cleanup(): Promise<void> {
    for (const s of this.sessions) s.close();
    const closing = [...this.sockets].map((s) => (s.destroyed && s.closed ? Promise.resolve() : once(s, 'close').then(() => undefined)));
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
    this.sessions.clear();
    this.sockets.clear();
  }
}

/** One decoded frame as the raw peer saw it. */
export interface RawFrame {
  version: number;
  type: number;
  flags: number;
  streamId: number;
  length: number;
  payload: Buffer;
}

/**
 * The far end of a session as a plain socket: the test writes hand-made frames and reads
 * what the session sends, parsed here independently of the session's own decoder.
 */
export class RawPeer {
  readonly frames: RawFrame[] = [];
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      for (;;) {
        if (this.buf.length < 12) break;
        const length = this.buf.readUInt32BE(8);
        const type = this.buf[1];
        const total = 12 + (type === 0 ? length : 0);
        if (this.buf.length < total) break;
        this.frames.push({
          version: this.buf[0],
          type,
          flags: this.buf.readUInt16BE(2),
          streamId: this.buf.readUInt32BE(4),
          length,
          payload: Buffer.from(this.buf.subarray(12, total)),
        });
        this.buf = this.buf.subarray(total);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Writes one frame. */
  send(type: number, flags: number, streamId: number, length: number, payload?: Buffer): void {
    this.socket.write(encodeYamuxHeader(type, flags, streamId, length));
    if (payload) this.socket.write(payload);
  }

  /** Resolves with the first frame (seen so far or later) matching `pred`; rejects if the socket closes first. */
  async waitFrame(pred: (f: RawFrame) => boolean): Promise<RawFrame> {
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (this.ended) throw new Error('raw peer: socket closed before the expected frame');
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Resolves when the socket has closed. */
  async waitClosed(): Promise<void> {
    while (!this.ended) await new Promise<void>((r) => this.waiters.push(r));
  }
}

/** Deterministic pseudo-random bytes. */
export function pattern(size: number, seed = 1): Buffer {
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

/** sha256 hex of a buffer. */
export function sha256(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/**
 * Everything a readable yields until 'end'. Uses events rather than `for await`, which
 * destroys a Duplex when the readable side ends (and so would reset a half-closed stream).
 */
export function readAll(r: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    r.on('data', (c: Buffer) => parts.push(c));
    r.once('end', () => resolve(Buffer.concat(parts)));
    r.once('error', reject);
  });
}

/** sha256 and byte count of everything a readable yields until 'end' (events, see {@link readAll}). */
export function hashStream(r: Readable): Promise<{ hash: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash('sha256');
    let bytes = 0;
    r.on('data', (c: Buffer) => {
      h.update(c);
      bytes += c.length;
    });
    r.once('end', () => resolve({ hash: h.digest('hex'), bytes }));
    r.once('error', reject);
  });
}

/** Writes `data` in `chunk`-sized pieces honouring backpressure, then ends the writable when `end`. */
export async function writeChunks(w: Writable, data: Buffer, chunk = 64 * 1024, end = true): Promise<void> {
  for (let off = 0; off < data.length; off += chunk) {
    if (!w.write(data.subarray(off, off + chunk))) await once(w, 'drain');
  }
  if (end) w.end();
}

/** Resolves once `cond()` is true, re-checking after every turn of the event loop (no fixed sleeps). */
export async function until(cond: () => boolean, what: string, maxTurns = 1_000_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`condition never became true: ${what}`);
}

/** The error a stream is destroyed with (resolves undefined when it closes without one). */
export function streamError(s: NodeJS.EventEmitter): Promise<(Error & { code?: string }) | undefined> {
  return new Promise((resolve) => {
    let err: (Error & { code?: string }) | undefined;
    s.on('error', (e) => {
      err = e as Error & { code?: string };
    });
    s.once('close', () => resolve(err));
  });
}
