import { once } from 'node:events';
import fc from 'fast-check';
import {
  AUTOTUNE_RTT_FACTOR,
  AUTOTUNE_RTT_FLOOR_MS,
  CONN_HIGH_WATER,
  MAX_SEND_FRAME,
  YAMUX_INITIAL_WINDOW,
  YamuxFlag,
  YamuxFrameType,
  autotuneWindow,
  type YamuxStream,
} from '@tfgw/core';
import { Resources, pattern, sha256, until, writeChunks } from './helpers';

const res = new Resources();
afterEach(() => res.cleanup());

function nextStream(session: NodeJS.EventEmitter): Promise<YamuxStream> {
  return (once(session, 'stream') as Promise<[YamuxStream]>).then(([s]) => s);
}

describe('yamux flow control', () => {
  it('a reader that does not read stops the writer at the window; memory stays within the window', async () => {
    const { client, server } = await res.sessionPair();
    const accepted = nextStream(server);
    const a = client.open();
    const data = pattern(8 * 1024 * 1024, 5);
    let writesDone = 0;
    const writing = (async () => {
      for (let off = 0; off < data.length; off += 64 * 1024) {
        if (!a.write(data.subarray(off, off + 64 * 1024), () => writesDone++)) await once(a, 'drain');
      }
      a.end();
    })();
    const b = await accepted;
    b.pause(); // the application does not read yet

    // The writer runs into the window: exactly 256 KiB reach the receiver, no more.
    await until(() => a.sendWindow === 0 && server.stats.bytesIn === YAMUX_INITIAL_WINDOW, 'writer blocked at the initial window');
    expect(b.readableLength).toBe(YAMUX_INITIAL_WINDOW);
    expect(writesDone).toBeLessThan(data.length / (64 * 1024));
    // a ping round trip later nothing more has moved (the peer granted nothing)
    await client.ping();
    expect(server.stats.bytesIn).toBe(YAMUX_INITIAL_WINDOW);

    // Now read in small pieces: the receiver never holds more than its window.
    const parts: Buffer[] = [];
    let maxBuffered = 0;
    let overWindow = 0;
    const done = new Promise<void>((resolve) => b.once('end', resolve));
    b.on('readable', () => {
      for (;;) {
        maxBuffered = Math.max(maxBuffered, b.readableLength);
        if (b.readableLength > b.receiveWindow) overWindow++;
        const c: Buffer | null = b.read(10_000) ?? b.read();
        if (c === null) break;
        parts.push(c);
      }
    });
    await done;
    await writing;
    expect(overWindow).toBe(0);
    expect(maxBuffered).toBeLessThanOrEqual(b.receiveWindow);
    expect(sha256(Buffer.concat(parts))).toBe(sha256(data));
  });

  it('grants a larger initialWindow with the SYN and the ACK', async () => {
    const big = 1024 * 1024;
    for (const side of ['server', 'client'] as const) {
      const { client, server } = await res.sessionPair(side === 'client' ? { initialWindow: big } : {}, side === 'server' ? { initialWindow: big } : {});
      // the side with the big window receives; the other opens or accepts accordingly
      const [sender, receiver] = side === 'server' ? [client, server] : [server, client];
      const accepted = nextStream(receiver);
      const s = sender.open();
      void writeChunks(s, pattern(4 * big, 2), 64 * 1024, false).catch(() => undefined);
      s.on('error', () => undefined);
      const r = await accepted;
      r.pause();
      await until(() => s.sendWindow === 0 && receiver.stats.bytesIn === big, `${side}: writer blocked at the 1 MiB window`);
      expect(r.readableLength).toBe(big);
      r.destroy();
      s.destroy();
    }
  });

  it.each([
    ['default', undefined],
    ['a 4 MiB', 4 * 1024 * 1024],
  ])('waits for the connection to drain instead of buffering without bound (%s connection high-water mark)', async (_name, hwm) => {
    const { session, raw } = await res.rawPeer({ client: true, keepaliveMs: 0 }, hwm ? { writableHighWaterMark: hwm } : {});
    const limit = Math.max(CONN_HIGH_WATER, hwm ?? 0);
    raw.socket.pause(); // the peer stops reading its socket
    const a = session.open();
    // the peer grants a huge window, so only the connection can hold the writer back
    raw.send(YamuxFrameType.WINDOW_UPDATE, YamuxFlag.ACK, a.id, 200 * 1024 * 1024);
    await until(() => a.sendWindow > YAMUX_INITIAL_WINDOW, 'window update applied');
    const data = pattern(64 * 1024 * 1024, 11);
    const writing = writeChunks(a, data, 256 * 1024);
    const conn = (session as unknown as { conn: { writableLength: number } }).conn;
    await until(() => (a as unknown as { waitingDrain: boolean }).waitingDrain, 'stream waits for drain');
    expect(conn.writableLength).toBeGreaterThanOrEqual(limit);
    expect(conn.writableLength).toBeLessThan(limit + MAX_SEND_FRAME + 64);
    raw.socket.resume();
    await writing;
    await until(() => raw.frames.some((f) => f.streamId === a.id && f.type === YamuxFrameType.WINDOW_UPDATE && (f.flags & YamuxFlag.FIN) !== 0), 'FIN arrived');
    const payload = Buffer.concat(raw.frames.filter((f) => f.streamId === a.id && f.type === YamuxFrameType.DATA).map((f) => f.payload));
    expect(sha256(payload)).toBe(sha256(data));
    expect(Math.max(...raw.frames.filter((f) => f.type === YamuxFrameType.DATA).map((f) => f.length))).toBeLessThanOrEqual(MAX_SEND_FRAME);
  });

  it('auto-tuning doubles the window only when it was used up within a few RTTs, capped at maxWindow (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 24 }),
        fc.integer({ min: 1, max: 2 ** 26 }),
        fc.double({ min: 0, max: 10_000, noNaN: true }),
        fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: undefined }),
        (current, max, elapsed, rtt) => {
          const next = autotuneWindow(current, max, elapsed, rtt);
          if (rtt === undefined || current >= max) return expect(next).toBe(current);
          const fast = elapsed < AUTOTUNE_RTT_FACTOR * Math.max(rtt, AUTOTUNE_RTT_FLOOR_MS);
          expect(next).toBe(fast ? Math.min(current * 2, max) : current);
        },
      ),
    );
  });

  it('windows stay between the initial window and maxWindow during a long transfer', async () => {
    const maxWindow = 1024 * 1024;
    const { client, server } = await res.sessionPair({}, { maxWindow });
    const accepted = nextStream(server);
    const a = client.open();
    const data = pattern(24 * 1024 * 1024, 4);
    const writing = writeChunks(a, data);
    const b = await accepted;
    let maxSeen = 0;
    let bytes = 0;
    const h = (await import('node:crypto')).createHash('sha256');
    b.on('data', (c: Buffer) => {
      h.update(c);
      bytes += c.length;
      maxSeen = Math.max(maxSeen, b.receiveWindow);
    });
    await once(b, 'end');
    await writing;
    expect(bytes).toBe(data.length);
    expect(h.digest('hex')).toBe(sha256(data));
    expect(maxSeen).toBeGreaterThanOrEqual(YAMUX_INITIAL_WINDOW);
    expect(maxSeen).toBeLessThanOrEqual(maxWindow);
  });
});
