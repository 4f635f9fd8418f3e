import crypto from 'node:crypto';
import fc from 'fast-check';
import type { MuxedStream } from '@tfgw/core';
import { MIN_SLAB_COPY } from '../src/stream';
import { MAX_WRITE_SLABS, WRITE_SLAB_SIZE, WriteSlabs, writeSlabs } from '../src/write-slabs';
import { quicPair, type QuicPair } from './helpers';

describe('WriteSlabs', () => {
  test('allocates up to its limit, then reports none free until one is given back', () => {
    const slabs = new WriteSlabs(1024, 2);
    const a = slabs.take()!;
    const b = slabs.take()!;
    expect(a.length).toBe(1024);
    expect(b).not.toBe(a);
    expect(slabs.take()).toBeUndefined();
    slabs.give(a);
    expect(slabs.take()).toBe(a);
    expect(slabs.allocated).toBe(2);
  });
});

/** The server side answers each stream with the sha256 of what it read. */
function digestServer(pair: QuicPair): void {
  pair.server.on('stream', (s: MuxedStream) => {
    const h = crypto.createHash('sha256');
    s.on('data', (c: Buffer) => h.update(c));
    s.on('end', () => s.end(h.digest('hex')));
  });
}

/** Write `chunks` (corked in groups, so some go out as one writev), end, and resolve with the peer's answer. */
function send(pair: QuicPair, chunks: Buffer[], corkEvery: number): Promise<string> {
  const s = pair.client.open();
  const answer = new Promise<string>((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    s.once('end', () => resolve(Buffer.concat(parts).toString()));
    s.once('error', reject);
  });
  chunks.forEach((c, i) => {
    if (corkEvery > 1 && i % corkEvery === 0) s.cork();
    s.write(c);
    if (corkEvery > 1 && (i % corkEvery === corkEvery - 1 || i === chunks.length - 1)) s.uncork();
  });
  s.end();
  return answer;
}

const sha = (chunks: Buffer[]): string => crypto.createHash('sha256').update(Buffer.concat(chunks)).digest('hex');

describe('QUIC writes through the slabs', () => {
  let pair: QuicPair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  test('more streams writing at once than there are slabs: every byte arrives in order', async () => {
    pair = await quicPair();
    digestServer(pair);
    // Sizes below, at and above the copy threshold and the slab size.
    const sizes = [1, MIN_SLAB_COPY - 1, MIN_SLAB_COPY, 64 * 1024, WRITE_SLAB_SIZE, WRITE_SLAB_SIZE + 1, 100_000];
    const streams = Array.from({ length: MAX_WRITE_SLABS + 8 }, (_, i) => {
      const chunks = Array.from({ length: 12 }, (_, j) => crypto.randomBytes(sizes[(i + j) % sizes.length]));
      return { chunks, corkEvery: i % 3 === 0 ? 4 : 1 };
    });
    const answers = await Promise.all(streams.map((s) => send(pair!, s.chunks, s.corkEvery)));
    expect(answers).toEqual(streams.map((s) => sha(s.chunks)));
    expect(writeSlabs.allocated).toBeLessThanOrEqual(MAX_WRITE_SLABS);
  });

  test('property: any sequence of chunk sizes and cork groupings arrives byte-identical', async () => {
    pair = await quicPair();
    digestServer(pair);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: WRITE_SLAB_SIZE + 4096 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        async (sizes, corkEvery) => {
          const chunks = sizes.map((n) => crypto.randomBytes(n));
          expect(await send(pair!, chunks, corkEvery)).toBe(sha(chunks));
        },
      ),
      { numRuns: 25 },
    );
  });
});
