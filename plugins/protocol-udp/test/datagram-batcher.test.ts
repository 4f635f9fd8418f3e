import fc from 'fast-check';
import { PassThrough, Writable } from 'node:stream';
import { DatagramBatcher } from '../src/datagram-batcher';
import { DatagramDecoder } from '../src/datagram-framer';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('datagram batcher', () => {
  it('coalesces datagrams of one event-loop turn into one write, in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 40 }), { minLength: 1, maxLength: 5 }), async (turns) => {
        const writes: Buffer[] = [];
        const out = new Writable({ write: (c: Buffer, _e, cb) => (writes.push(c), cb()) });
        const b = new DatagramBatcher(out, 1 << 30);
        for (const batch of turns) {
          for (const d of batch) b.push(Buffer.from(d));
          await turn();
        }
        const got: number[][] = [];
        const dec = new DatagramDecoder((d) => got.push([...d]));
        for (const w of writes) dec.push(w);
        expect(got).toEqual(turns.flat().map((d) => [...d]));
        // one write per non-empty turn unless a batch passed 64 KiB
        const nonEmpty = turns.filter((t) => t.length > 0).length;
        expect(writes.length).toBeGreaterThanOrEqual(nonEmpty);
        expect(writes.length).toBeLessThanOrEqual(nonEmpty + Math.ceil(turns.flat().reduce((n, d) => n + d.length + 2, 0) / 65536));
      }),
      { numRuns: 100 },
    );
  });

  it('drops (and counts) datagrams while the stream holds too much, or after it ended', async () => {
    const out = new PassThrough({ highWaterMark: 1 }); // nobody reads: writes pile up
    const b = new DatagramBatcher(out, 1000);
    for (let i = 0; i < 10; i++) expect(b.push(Buffer.alloc(400))).toBe(i < 2);
    expect(b.dropped).toBe(8);
    await turn();
    expect(out.writableLength).toBe(804);
    expect(b.push(Buffer.alloc(400))).toBe(false);
    out.destroy();
    expect(b.push(Buffer.alloc(1))).toBe(false);
    expect(b.push(Buffer.alloc(65508))).toBe(false);
  });
});
