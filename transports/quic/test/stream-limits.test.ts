import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { MuxedSession, MuxedStream } from '@tfgw/core';
import { MIN_READ_CHUNK, READ_CHUNK, nextReadSize } from '../src/stream';
import { closeError, quicPair, type QuicPair } from './helpers';

/** Open one stream and resolve once it is usable (the library gave it a slot and its kind byte left). */
function openUsable(session: MuxedSession): Promise<MuxedStream> {
  const s = session.open();
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.write(Buffer.of(0), (err) => {
      if (!err) resolve(s);
    });
  });
}

/** One byte there and its echo back. */
function echoOnce(s: MuxedStream, expected: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    s.on('data', (d: Buffer) => {
      seen += d.length;
      if (seen >= expected) resolve();
    });
    s.once('error', reject);
    s.write(Buffer.of(1));
  });
}

describe('quic stream limits', () => {
  let pair: QuicPair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  test('the listening side opens 3000 concurrent idle streams toward a dialer (the old cap was 1024); all echo', async () => {
    // As a gateway opens visitor streams toward its agent: the dialer's maxStreams applies.
    pair = await quicPair();
    const count = 3000;
    const inbound: MuxedStream[] = [];
    pair.client.on('stream', (s: MuxedStream) => {
      inbound.push(s);
      s.pipe(s);
    });
    const streams: MuxedStream[] = [];
    // A few hundred at a time, as visitors arrive: opens are serialised, and more than
    // pendingOpens of them at once would fail with TFGW_ERR_PENDING_LIMIT.
    while (streams.length < count) {
      streams.push(...(await Promise.all(Array.from({ length: 500 }, () => openUsable(pair!.server)))));
    }
    expect(pair.server.stats.streams).toBe(count);
    // All are open at once: the first echo is asked only now.
    await Promise.all(streams.map((s) => echoOnce(s, 2)));
    expect(inbound.length).toBe(count);
    expect(pair.client.stats.streams).toBe(count);
    expect(new Set(streams.map((s) => s.id)).size).toBe(count);
    for (const s of streams) s.end();
    await Promise.all(streams.map((s) => finished(s)));
  });

  test('an open beyond the peer limit waits, then fails with TFGW_ERR_STREAM_LIMIT; a closed stream frees its slot', async () => {
    // As a client opens streams toward the gateway: the listener's maxStreams applies.
    pair = await quicPair({}, undefined, { listen: { maxStreams: 4 }, dial: { openTimeoutMs: 1000 } });
    const inbound: MuxedStream[] = [];
    pair.server.on('stream', (s: MuxedStream) => {
      inbound.push(s);
      s.on('error', () => undefined); // the session's close at the end destroys the idle ones
    });
    const open = await Promise.all(Array.from({ length: 4 }, () => openUsable(pair!.client)));
    const over = pair.client.open();
    expect((await closeError(over)) as unknown).toMatchObject({ code: 'TFGW_ERR_STREAM_LIMIT', details: { limit: 'maxStreams' } });
    // The next open queues behind the one that gave up; closing a stream lets both through.
    const next = openUsable(pair.client);
    const first = open[0];
    first.end();
    const peer = inbound.find((s) => s.id === first.id)!;
    peer.resume();
    await once(peer, 'end');
    peer.end();
    await finished(first.resume());
    // It got a slot: its first byte left.
    await next;
    expect(pair.client.stats.streams).toBe(4);
  });

  test('opens waiting for the peer beyond pendingOpens throw TFGW_ERR_PENDING_LIMIT', async () => {
    pair = await quicPair({}, undefined, { listen: { maxStreams: 1 }, dial: { pendingOpens: 1 } });
    pair.server.on('stream', (s: MuxedStream) => s.on('error', () => undefined));
    const a = await openUsable(pair.client);
    const waiting = pair.client.open();
    expect(() => pair!.client.open()).toThrow(expect.objectContaining({ code: 'TFGW_ERR_PENDING_LIMIT', details: { limit: 'pendingOpens', value: 1 } }));
    const waitingErr = closeError(waiting);
    const aErr = closeError(a);
    pair.client.close();
    expect((await waitingErr) as unknown).toMatchObject({ code: 'TFGW_ERR_SESSION_CLOSED' });
    expect((await aErr) as unknown).toMatchObject({ code: 'TFGW_ERR_SESSION_CLOSED' });
  });
});

describe('quic read sizes', () => {
  test('an idle stream waits with a 4 KiB read; full reads grow 4x up to 256 KiB; a short one shrinks to what came', () => {
    expect(MIN_READ_CHUNK).toBe(4096);
    expect(nextReadSize(4096, 1)).toBe(4096);
    expect(nextReadSize(4096, 4096)).toBe(16384);
    expect(nextReadSize(65536, 65536)).toBe(READ_CHUNK);
    expect(nextReadSize(READ_CHUNK, READ_CHUNK)).toBe(READ_CHUNK);
    expect(nextReadSize(READ_CHUNK, 70000)).toBe(131072);
    expect(nextReadSize(READ_CHUNK, 100)).toBe(4096);
  });
});
