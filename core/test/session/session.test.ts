import { once } from 'node:events';
import { ErrorCodes, TfgwError, type MuxedStream, type YamuxStream } from '@tfgw/core';
import { Resources, hashStream, pattern, readAll, sha256, streamError, until, writeChunks } from './helpers';

const res = new Resources();
afterEach(() => res.cleanup());

/** The next stream the session accepts. */
function nextStream(session: NodeJS.EventEmitter): Promise<YamuxStream> {
  return (once(session, 'stream') as Promise<[YamuxStream]>).then(([s]) => s);
}

describe('yamux session over TCP', () => {
  it('opens a stream, accepts it on the other side and carries data both ways', async () => {
    const { client, server } = await res.sessionPair();
    const accepted = nextStream(server);
    const a = client.open();
    expect(a.id % 2).toBe(1);
    a.write('hello from client');
    const b = await accepted;
    expect(b.id).toBe(a.id);
    const [first] = (await once(b, 'data')) as [Buffer];
    expect(first.toString()).toBe('hello from client');
    b.write('hello from server');
    const [reply] = (await once(a, 'data')) as [Buffer];
    expect(reply.toString()).toBe('hello from server');

    // the server side opens too, with even ids
    const accepted2 = nextStream(client);
    const c = server.open();
    expect(c.id % 2).toBe(0);
    c.end('x');
    const d = await accepted2;
    expect((await readAll(d)).toString()).toBe('x');
    expect(client.stats.bytesIn).toBe(1 + 'hello from server'.length);
    expect(client.stats.bytesOut).toBe('hello from client'.length);
  });

  it('transfers 12 MB each way on one stream with matching sha256', async () => {
    const { client, server } = await res.sessionPair();
    const up = pattern(12 * 1024 * 1024, 7);
    const down = pattern(12 * 1024 * 1024 + 333, 9);
    server.on('stream', (s: MuxedStream) => {
      void writeChunks(s, down, 100_000);
      void hashStream(s).then((h) => s.emit('test-hash', h));
    });
    const a = client.open();
    const accepted = nextStream(server);
    const sent = writeChunks(a, up, 64 * 1024 + 5);
    const got = hashStream(a);
    const b = await accepted;
    const [serverGot] = (await once(b, 'test-hash')) as [{ hash: string; bytes: number }];
    await sent;
    expect(serverGot).toEqual({ hash: sha256(up), bytes: up.length });
    expect(await got).toEqual({ hash: sha256(down), bytes: down.length });
    expect(client.stats.bytesOut).toBe(up.length);
    expect(server.stats.bytesIn).toBe(up.length);
  });

  it('half-close: our FIN ends the peer readable side while the other direction goes on', async () => {
    const { client, server } = await res.sessionPair();
    const accepted = nextStream(server);
    const a = client.open();
    a.end('request');
    const b = await accepted;
    const closed = Promise.all([once(a, 'close'), once(b, 'close')]);
    expect((await readAll(b)).toString()).toBe('request');
    expect(b.writable).toBe(true);
    // peer keeps writing after our FIN, we still read it
    const reply = readAll(a);
    b.write('part1 ');
    b.end('part2');
    expect((await reply).toString()).toBe('part1 part2');
    await closed;
    expect(client.stats.streams).toBe(0);
    expect(server.stats.streams).toBe(0);
  });

  it('half-close in the other direction: the accepting side finishes first', async () => {
    const { client, server } = await res.sessionPair();
    server.on('stream', (s: MuxedStream) => s.end('server done'));
    const a = client.open();
    const closed = once(a, 'close');
    expect((await readAll(a)).toString()).toBe('server done');
    a.end('client late data');
    // the server stream ended its writable side but still reads ours
    await until(() => server.stats.bytesIn === 'client late data'.length, 'server received the late data');
    await closed;
    await until(() => server.stats.streams === 0 && client.stats.streams === 0, 'both sides forgot the stream');
  });

  it('reset from the opener destroys the peer stream with TFGW_ERR_STREAM_RESET', async () => {
    const { client, server } = await res.sessionPair();
    const accepted = nextStream(server);
    const a = client.open();
    a.write('x');
    const b = await accepted;
    const err = streamError(b);
    const aErr = streamError(a);
    a.reset();
    expect((await err)?.code).toBe(ErrorCodes.STREAM_RESET);
    expect(await aErr).toBeUndefined();
    await until(() => server.stats.streams === 0 && client.stats.streams === 0, 'streams forgotten');
  });

  it('reset from the accepting side destroys the opener stream with TFGW_ERR_STREAM_RESET', async () => {
    const { client, server } = await res.sessionPair();
    server.on('stream', (s: MuxedStream) => s.destroy());
    const a = client.open();
    const err = await streamError(a);
    expect(err).toBeInstanceOf(TfgwError);
    expect(err?.code).toBe(ErrorCodes.STREAM_RESET);
    // a pending write is failed, not left hanging
    const b = client.open();
    const errB = streamError(b);
    const wrote = new Promise<Error | null | undefined>((r) => b.write(Buffer.alloc(1024 * 1024), r));
    expect((await errB)?.code).toBe(ErrorCodes.STREAM_RESET);
    expect(await wrote).toHaveProperty('code', ErrorCodes.STREAM_RESET);
  });

  it('carries 200 concurrent streams independently', async () => {
    const { client, server } = await res.sessionPair();
    server.on('stream', (s: MuxedStream) => s.pipe(s));
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const s = client.open();
        const data = pattern(20_000 + i * 97, i + 1);
        const echoed = readAll(s);
        await writeChunks(s, data, 4096);
        return (await echoed).equals(data);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    await until(() => server.stats.streams === 0 && client.stats.streams === 0, 'all streams closed');
  });

  it('measures the round trip with ping() and keeps it in stats.rttMs', async () => {
    const { client, server } = await res.sessionPair();
    const rtt = await client.ping();
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(client.stats.rttMs).toBeGreaterThanOrEqual(0);
    expect(await server.ping()).toBeGreaterThanOrEqual(0);
  });

  it('keepalive pings answer and refresh stats.rttMs', async () => {
    const { client } = await res.sessionPair({ keepaliveMs: 5, keepaliveTimeoutMs: 60_000 });
    const first = client.stats.rttMs;
    await until(() => client.stats.rttMs !== undefined && client.stats.rttMs !== first, 'a keepalive answer updated rttMs');
    expect(client.closed).toBe(false);
  });

  it('go-away: the peer can no longer open, existing streams continue', async () => {
    const { client, server } = await res.sessionPair();
    server.on('stream', (s: MuxedStream) => s.pipe(s));
    const a = client.open();
    a.write('before ');
    await once(a, 'data'); // the server has accepted the stream (a SYN crossing our GO_AWAY is refused)
    const goaway = once(client, 'goaway');
    server.goAway();
    await goaway;
    expect(() => client.open()).toThrow(expect.objectContaining({ code: ErrorCodes.GOAWAY }));
    const echoed = readAll(a);
    a.end('after');
    expect((await echoed).toString()).toBe('after');
    // the side that sent GO_AWAY can still open streams of its own
    client.on('stream', (s: MuxedStream) => s.end('ok'));
    expect((await readAll(server.open())).toString()).toBe('ok');
  });

  it('go-away: SYNs that cross our GO_AWAY are reset', async () => {
    const { client, server } = await res.sessionPair();
    server.on('stream', () => {
      throw new Error('no stream may be accepted after goAway');
    });
    server.goAway();
    const a = client.open(); // the GO_AWAY is still in flight
    expect((await streamError(a))?.code).toBe(ErrorCodes.STREAM_RESET);
  });

  it('close() with no streams open ends the peer session cleanly', async () => {
    const { client, server } = await res.sessionPair();
    const serverClosed = once(server, 'close');
    const clientClosed = once(client, 'close');
    client.close();
    expect(await clientClosed).toEqual([undefined]);
    expect(await serverClosed).toEqual([undefined]);
    expect(server.closed).toBe(true);
    expect(() => client.open()).toThrow(expect.objectContaining({ code: ErrorCodes.SESSION_CLOSED }));
    await expect(client.ping()).rejects.toMatchObject({ code: ErrorCodes.SESSION_CLOSED });
  });

  it('close() destroys our streams quietly; the peer sees its cut streams fail with TFGW_ERR_SESSION_CLOSED', async () => {
    const { client, server } = await res.sessionPair();
    const accepted = nextStream(server);
    const a = client.open();
    const aErr = streamError(a);
    a.write('x');
    const b = await accepted;
    const bErr = streamError(b);
    const serverClosed = once(server, 'close');
    client.close();
    expect(await aErr).toBeUndefined();
    const wrote = new Promise<Error | null | undefined>((r) => a.write('late', r));
    expect(await wrote).toHaveProperty('code');
    const [err] = await serverClosed;
    expect(err.code).toBe(ErrorCodes.SESSION_CLOSED);
    expect((await bErr)?.code).toBe(ErrorCodes.SESSION_CLOSED);
  });

  it('a peer that drops the connection without GO_AWAY closes the session with TFGW_ERR_SESSION_CLOSED', async () => {
    const { client, server } = await res.sessionPair();
    server.on('stream', () => undefined);
    const a = client.open();
    const aErr = streamError(a);
    const closed = once(client, 'close');
    (server as unknown as { conn: { destroy(): void } }).conn.destroy();
    const [err] = await closed;
    expect(err.code).toBe(ErrorCodes.SESSION_CLOSED);
    expect((await aErr)?.code).toBe(ErrorCodes.SESSION_CLOSED);
  });

  it('refuses inbound streams when nobody listens for them', async () => {
    const { client } = await res.sessionPair();
    const a = client.open();
    expect((await streamError(a))?.code).toBe(ErrorCodes.STREAM_RESET);
  });

  it('onStream replaces the stream event', async () => {
    const seen: number[] = [];
    const { client } = await res.sessionPair({}, { onStream: (s) => (seen.push(s.id), s.end()) });
    const a = client.open();
    await readAll(a);
    expect(seen).toEqual([a.id]);
  });

  it('a write larger than the send window is split and arrives whole', async () => {
    const { client, server } = await res.sessionPair();
    const data = pattern(3 * 1024 * 1024 + 17, 3);
    const accepted = nextStream(server);
    const a = client.open();
    a.end(data);
    const b = await accepted;
    expect(sha256(await readAll(b))).toBe(sha256(data));
  });

  it('small writes between window-blocked large ones, to a reader that keeps pausing: bytes arrive whole and in order', async () => {
    const { client, server } = await res.sessionPair();
    const accepted = nextStream(server);
    const a = client.open();
    const b = await accepted;
    const chunks: Buffer[] = [];
    for (let i = 0; i < 400; i++) chunks.push(pattern(i % 50 === 7 ? 300_000 + i : ((i * 37) % 700) + 1, i));
    const got: Buffer[] = [];
    let n = 0;
    b.on('data', (d: Buffer) => {
      got.push(d);
      if (++n % 40 === 0) {
        b.pause();
        setTimeout(() => b.resume(), 2);
      }
    });
    const ended = once(b, 'end');
    for (const c of chunks) if (!a.write(c)) await once(a, 'drain');
    a.end();
    await ended;
    expect(sha256(Buffer.concat(got))).toBe(sha256(Buffer.concat(chunks)));
  });

  it('a reader with an encoding gets strings; a write after end() fails as on any Writable', async () => {
    const { client, server } = await res.sessionPair();
    const accepted = nextStream(server);
    const a = client.open();
    const b = await accepted;
    b.setEncoding('utf8');
    let text = '';
    b.on('data', (d: unknown) => {
      expect(typeof d).toBe('string');
      text += d as string;
    });
    const ended = once(b, 'end');
    for (let i = 0; i < 50; i++) a.write(Buffer.from(`héllo ${i};`));
    a.end();
    await ended;
    expect(text).toBe(Array.from({ length: 50 }, (_, i) => `héllo ${i};`).join(''));
    const failed = once(a, 'error') as Promise<[NodeJS.ErrnoException]>;
    a.write(Buffer.from('late'));
    expect((await failed)[0].code).toBe('ERR_STREAM_WRITE_AFTER_END');
  });
});
