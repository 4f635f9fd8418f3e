import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { ControlChannel, encodeFrame, readFrame, parseStreamHeader, ErrorCodes, type MuxedStream } from '@tfgw/core';

/** Splits a buffer at the given cut points. */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out.filter((b) => b.length > 0);
}

const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 5 });

describe('tfgw message framing', () => {
  it('readFrame decodes one frame whatever the chunking and leaves the rest unread (property)', async () => {
    await fc.assert(
      fc.asyncProperty(jsonObject, fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 6 }), async (msg, tail, cuts) => {
        const wire = Buffer.concat([encodeFrame(msg), Buffer.from(tail)]);
        const s = new PassThrough();
        const p = readFrame(s, 65536);
        for (const piece of split(wire, cuts)) s.write(piece);
        s.end();
        expect(await p).toEqual(JSON.parse(JSON.stringify(msg)));
        const rest: Buffer[] = [];
        for await (const c of s) rest.push(c as Buffer);
        expect(Buffer.concat(rest)).toEqual(Buffer.from(tail));
      }),
      { numRuns: 300 },
    );
  });

  it('readFrame rejects oversized, non-object and truncated frames with codes', async () => {
    const big = new PassThrough();
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1 << 30);
    const pBig = readFrame(big, 1024);
    big.write(head);
    await expect(pBig).rejects.toMatchObject({ code: ErrorCodes.LIMIT });

    const arr = new PassThrough();
    const pArr = readFrame(arr, 1024);
    arr.end(encodeFrame([1, 2]));
    await expect(pArr).rejects.toMatchObject({ code: ErrorCodes.BAD_MESSAGE });

    const cut = new PassThrough();
    const pCut = readFrame(cut, 1024);
    cut.end(encodeFrame({ a: 1 }).subarray(0, 6));
    await expect(pCut).rejects.toMatchObject({ code: ErrorCodes.BAD_MESSAGE });
  });

  it('ControlChannel delivers every message in order under any chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonObject, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), async (msgs, cuts) => {
        const s = new PassThrough() as unknown as MuxedStream;
        const ch = new ControlChannel(s, 65536);
        const got: unknown[] = [];
        ch.on('message', (m) => got.push(m));
        const wire = Buffer.concat(msgs.map((m) => encodeFrame({ ...m, t: 'x' })));
        for (const piece of split(wire, cuts)) (s as unknown as PassThrough).write(piece);
        await new Promise((r) => setImmediate(r));
        expect(got).toEqual(msgs.map((m) => JSON.parse(JSON.stringify({ ...m, t: 'x' }))));
      }),
      { numRuns: 200 },
    );
  });

  it('ControlChannel closes with a code on random garbage, never throws (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const s = new PassThrough() as unknown as MuxedStream;
        (s as unknown as PassThrough).on('error', () => undefined);
        const ch = new ControlChannel(s, 1024);
        const closed = new Promise<Error | undefined>((r) => ch.once('close', r));
        ch.on('message', () => undefined);
        (s as unknown as PassThrough).end(Buffer.from(bytes));
        const err = await closed;
        if (err) expect([ErrorCodes.LIMIT, ErrorCodes.BAD_MESSAGE]).toContain((err as Error & { code?: string }).code);
      }),
      { numRuns: 300 },
    );
  });

  it('parseStreamHeader accepts only well-formed headers (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('protocol', 'service', 'agent', 'target', 'visitor', 'hostname', 'x'), fc.anything()), (raw) => {
        const h = parseStreamHeader(raw);
        if (h) {
          expect(typeof h.protocol).toBe('string');
          for (const v of Object.values(h)) expect(typeof v).toBe('string');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
