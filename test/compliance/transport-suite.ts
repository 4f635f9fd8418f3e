import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { TfgwError, type ConnectionInfo, type Transport, type TransportConnection, type TransportListener } from '@tfgw/core';
import { patternChunk, sha256OfStream, writePattern } from '../helpers/net';

/** What a transport's test file gives the compliance suite. */
export interface TransportFixture {
  /** The transport under test. */
  transport: Transport;
  /** URL to listen on, with port 0, e.g. `tcp://127.0.0.1:0` or `ws://127.0.0.1:0/_tfgw`. */
  listenUrl: URL;
  /** Options for `listen` (certs, path, ...). */
  listenOptions?: Record<string, unknown>;
  /** Options for `dial` (ca, fingerprint, proxy, ...). The dial URL is the listener's `address.url`. */
  dialOptions?: Record<string, unknown>;
  /** Runs once after the suite (remove temporary files, stop helper processes). */
  cleanup?: () => void | Promise<void>;
}

/** One byte stream of a connection: the duplex itself, or one stream of a native session. */
async function streamOf(conn: TransportConnection, side: 'dial' | 'accept'): Promise<Duplex> {
  if (conn.duplex) return conn.duplex;
  if (side === 'dial') return conn.session.open();
  const [stream] = (await once(conn.session, 'stream')) as [Duplex];
  return stream;
}

/** Everything until 'end'. Not `for await`: that destroys the duplex when the loop ends, killing our write side. */
function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.resume();
  });
}

/** Reads until at least `n` bytes came, then pauses the stream so nothing after is lost. */
function readAtLeast(stream: Duplex, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = (err?: Error): void => {
      stream.off('data', onData);
      stream.off('error', done);
      stream.off('end', onEnd);
      stream.pause();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= n) done();
    };
    const onEnd = (): void => done(new Error(`stream ended after ${got} of ${n} bytes`));
    stream.on('data', onData);
    stream.once('error', done);
    stream.once('end', onEnd);
    stream.resume();
  });
}

/** First of 'end', 'close' or 'error': the peer noticed the stream went away. */
function noticed(stream: Duplex): Promise<string> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.readableEnded) {
      resolve('already');
      return;
    }
    stream.once('end', () => resolve('end'));
    stream.once('close', () => resolve('close'));
    stream.once('error', () => resolve('error'));
    stream.resume();
  });
}

/**
 * The contract every tfgw transport keeps, as one jest suite: bytes both ways, 100 MB with
 * a checksum, half-close, abrupt close, 200 concurrent connections, port 0, `close()`
 * freeing the port without touching live connections, coded dial errors and abort.
 *
 * A transport that delivers `{ session }` (native streams) runs the same checks on one
 * stream per connection: `session.open()` on the dialing side, the first 'stream' event on
 * the accepting side.
 */
export function describeTransportCompliance(name: string, makeFixture: () => TransportFixture | Promise<TransportFixture>): void {
  describe(`${name}: transport compliance`, () => {
    let fx: TransportFixture;
    const listeners: TransportListener[] = [];
    const cleanups: Array<() => void> = [];

    beforeAll(async () => {
      fx = await makeFixture();
    });
    afterAll(async () => {
      await fx?.cleanup?.();
    });
    afterEach(async () => {
      for (const l of listeners.splice(0)) await l.close();
      for (const c of cleanups.splice(0)) c();
    });

    function track(conn: TransportConnection): void {
      if (conn.duplex) {
        conn.duplex.on('error', () => undefined);
        cleanups.push(() => conn.duplex!.destroy());
      } else {
        cleanups.push(() => conn.session.close());
      }
    }

    function trackStream(stream: Duplex): Duplex {
      stream.on('error', () => undefined);
      cleanups.push(() => stream.destroy());
      return stream;
    }

    async function listen(onStream: (stream: Duplex, info: ConnectionInfo) => void, url = fx.listenUrl): Promise<TransportListener> {
      const listener = await fx.transport.listen({ url, options: fx.listenOptions ?? {} }, (conn) => {
        track(conn);
        streamOf(conn, 'accept').then(
          (s) => onStream(trackStream(s), conn.info),
          () => undefined,
        );
      });
      listeners.push(listener);
      return listener;
    }

    async function dial(listener: TransportListener, signal?: AbortSignal): Promise<{ conn: TransportConnection; stream: Duplex }> {
      const conn = await fx.transport.dial({ url: new URL(listener.address.url), options: fx.dialOptions ?? {}, signal });
      track(conn);
      return { conn, stream: trackStream(await streamOf(conn, 'dial')) };
    }

    const echo = (s: Duplex): void => {
      s.pipe(s);
    };

    test('port 0 resolves to a real port in listener.address', async () => {
      const l = await listen(echo);
      expect(l.address.port).toBeGreaterThan(0);
      const url = new URL(l.address.url);
      expect(fx.transport.schemes).toContain(url.protocol.replace(/:$/, ''));
      expect(Number(url.port || (url.protocol === 'wss:' ? 443 : 80))).toBe(l.address.port);
    });

    test('exchanges bytes both ways and reports connection info', async () => {
      const accepted: ConnectionInfo[] = [];
      const l = await listen(async (s, info) => {
        accepted.push(info);
        const got = await readAtLeast(s, 5);
        s.write(Buffer.concat([Buffer.from('world:'), got]));
      });
      const { conn, stream } = await dial(l);
      stream.write('hello');
      const reply = await readAtLeast(stream, 11);
      expect(reply.toString()).toBe('world:hello');
      expect(accepted).toHaveLength(1);
      const names = [fx.transport.name, ...fx.transport.schemes];
      expect(names).toContain(accepted[0].transport);
      expect(names).toContain(conn.info.transport);
      expect(accepted[0].remoteAddress).toMatch(/127\.0\.0\.1|::1/);
    });

    test('moves 100 MB each way intact (sha256), with backpressure', async () => {
      const l = await listen(echo);
      const { stream } = await dial(l);
      const total = 100 * 1024 * 1024;
      const [sent, received] = await Promise.all([
        writePattern(stream, total, patternChunk(64 * 1024, 7)).then((hash) => {
          stream.end();
          return hash;
        }),
        sha256OfStream(stream),
      ]);
      expect(received.bytes).toBe(total);
      expect(received.hash).toBe(sent);
    });

    test('a reader that stops reading stops the writer: buffering is bounded', async () => {
      let accepted!: (s: Duplex) => void;
      const acceptedStream = new Promise<Duplex>((r) => (accepted = r));
      const l = await listen((s) => {
        s.pause();
        accepted(s);
      });
      const { stream } = await dial(l);
      const chunk = patternChunk(64 * 1024, 11);
      stream.write(chunk);
      const server = await acceptedStream;
      let written = chunk.length;
      const ceiling = 256 * 1024 * 1024;
      // Only the absence of 'drain' shows a stalled writer; the wait bounds the loop and is
      // never asserted on: a slow machine just stops earlier, which the byte check allows.
      const drainedWithin = (ms: number): Promise<boolean> =>
        new Promise((resolve) => {
          const t = setTimeout(() => {
            stream.off('drain', onDrain);
            resolve(false);
          }, ms);
          const onDrain = (): void => {
            clearTimeout(t);
            resolve(true);
          };
          stream.once('drain', onDrain);
        });
      while (written < ceiling) {
        written += chunk.length;
        if (!stream.write(chunk) && !(await drainedWithin(1000))) break;
      }
      expect(written).toBeLessThan(64 * 1024 * 1024);
      stream.end();
      const received = await readAll(server);
      expect(received.length).toBe(written);
    });

    test('half-close: the dialer ends, the listener still writes back, then ends', async () => {
      let serverSawEnd = false;
      const l = await listen(async (s) => {
        const got = await readAll(s);
        serverSawEnd = true;
        s.end(Buffer.concat([Buffer.from('pong:'), got]));
      });
      const { stream } = await dial(l);
      stream.end('ping');
      const reply = await readAll(stream);
      expect(serverSawEnd).toBe(true);
      expect(reply.toString()).toBe('pong:ping');
    });

    test('abrupt close by the dialer is seen by the listener', async () => {
      let accepted!: (s: Duplex) => void;
      const acceptedStream = new Promise<Duplex>((r) => (accepted = r));
      const l = await listen((s) => accepted(s));
      const { stream } = await dial(l);
      stream.write('x');
      const server = await acceptedStream;
      await readAtLeast(server, 1);
      const seen = noticed(server);
      stream.destroy();
      await expect(seen).resolves.toMatch(/end|close|error/);
    });

    test('abrupt close by the listener is seen by the dialer', async () => {
      const l = await listen(async (s) => {
        await readAtLeast(s, 1);
        s.destroy();
      });
      const { stream } = await dial(l);
      const seen = noticed(stream);
      stream.write('x');
      await expect(seen).resolves.toMatch(/end|close|error/);
    });

    test('200 concurrent connections each echo their own bytes', async () => {
      let accepted = 0;
      const l = await listen((s) => {
        accepted++;
        echo(s);
      });
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const payload = patternChunk(16 * 1024 + i, i + 1);
          const { stream } = await dial(l);
          const [, back] = await Promise.all([new Promise<void>((r) => stream.end(payload, () => r())), readAll(stream)]);
          return back.equals(payload);
        }),
      );
      expect(results.every(Boolean)).toBe(true);
      expect(accepted).toBe(200);
    });

    test('close() frees the port and leaves live connections alone', async () => {
      const first = await listen(echo);
      const { stream } = await dial(first);
      stream.write('a');
      expect((await readAtLeast(stream, 1)).toString()).toBe('a');
      await first.close();
      const again = new URL(fx.listenUrl.href);
      again.port = String(first.address.port);
      const second = await listen(echo, again);
      expect(second.address.port).toBe(first.address.port);
      stream.write('b');
      expect((await readAtLeast(stream, 1)).toString()).toBe('b');
      const { stream: fresh } = await dial(second);
      fresh.write('c');
      expect((await readAtLeast(fresh, 1)).toString()).toBe('c');
    });

    test('dialing a port nobody listens on rejects with a TfgwError', async () => {
      const l = await listen(echo);
      const url = l.address.url;
      await l.close();
      const err = await fx.transport.dial({ url: new URL(url), options: fx.dialOptions ?? {} }).then(
        (conn) => {
          track(conn);
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TfgwError);
      expect(['TFGW_ERR_CONNECT', 'TFGW_ERR_TIMEOUT']).toContain((err as TfgwError).code);
    });

    test('an aborted signal rejects the dial with its reason', async () => {
      const l = await listen(echo);
      const ac = new AbortController();
      ac.abort();
      await expect(dial(l, ac.signal)).rejects.toBe(ac.signal.reason);
    });
  });
}
