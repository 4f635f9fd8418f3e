import fc from 'fast-check';
import { DatagramDecoder, MAX_DATAGRAM, datagramHeader, encodeDatagram } from '../src/datagram-framer';

/** Cut `whole` at the given (sorted, deduplicated) offsets. */
function cut(whole: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (whole.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(whole.subarray(prev, c));
    prev = c;
  }
  out.push(whole.subarray(prev));
  return out;
}

describe('datagram framer', () => {
  it('prefixes a u16 big-endian length', () => {
    const f = encodeDatagram(Buffer.from('hello'));
    expect([...f.subarray(0, 2)]).toEqual([0, 5]);
    expect(f.subarray(2).toString()).toBe('hello');
    expect([...datagramHeader(0x1234)]).toEqual([0x12, 0x34]);
    expect(encodeDatagram(Buffer.alloc(0))).toEqual(Buffer.from([0, 0]));
  });

  it('refuses payloads above 65 507 bytes with a code', () => {
    expect(() => encodeDatagram(Buffer.alloc(MAX_DATAGRAM + 1))).toThrow(expect.objectContaining({ code: 'TFGW_ERR_FRAME_TOO_LARGE' }));
    expect(() => datagramHeader(MAX_DATAGRAM + 1)).toThrow(expect.objectContaining({ code: 'TFGW_ERR_FRAME_TOO_LARGE' }));
    expect(encodeDatagram(Buffer.alloc(MAX_DATAGRAM)).length).toBe(MAX_DATAGRAM + 2);
  });

  it('decodes any sequence of datagrams however the bytes are cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (datagrams, points) => {
          const whole = Buffer.concat(datagrams.map((d) => encodeDatagram(d)));
          const got: Buffer[] = [];
          const dec = new DatagramDecoder((d) => got.push(Buffer.from(d)));
          for (const piece of cut(whole, points)) dec.push(piece);
          expect(got.map((g) => [...g])).toEqual(datagrams.map((d) => [...d]));
          expect(dec.buffered).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('holds exactly the unfinished bytes of a cut datagram (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.nat(), (payload, at) => {
        const framed = encodeDatagram(payload);
        const k = at % framed.length; // strictly before the end
        const got: Buffer[] = [];
        const dec = new DatagramDecoder((d) => got.push(d));
        dec.push(framed.subarray(0, k));
        expect(got).toHaveLength(0);
        expect(dec.buffered).toBe(k);
        dec.push(framed.subarray(k));
        expect(got).toHaveLength(1);
        expect(Buffer.compare(got[0], Buffer.from(payload))).toBe(0);
      }),
    );
  });

  it('hands out datagrams inside one chunk without copying', () => {
    const chunk = Buffer.concat([encodeDatagram(Buffer.from('ab')), encodeDatagram(Buffer.from('cde'))]);
    const got: Buffer[] = [];
    new DatagramDecoder((d) => got.push(d)).push(chunk);
    expect(got[0].buffer).toBe(chunk.buffer);
    expect(got[1].buffer).toBe(chunk.buffer);
    expect(got.map(String)).toEqual(['ab', 'cde']);
  });

  it('rejects a length above the maximum, also when the prefix is cut (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 101, max: 0xffff }), fc.boolean(), (len, split) => {
        const dec = new DatagramDecoder(() => undefined, 100);
        const head = Buffer.from([len >>> 8, len & 0xff]);
        const run = () => {
          if (split) {
            dec.push(head.subarray(0, 1));
            dec.push(head.subarray(1));
          } else dec.push(head);
        };
        expect(run).toThrow(expect.objectContaining({ code: 'TFGW_ERR_BAD_MESSAGE' }));
        expect(() => dec.push(Buffer.from([0, 0]))).toThrow(expect.objectContaining({ code: 'TFGW_ERR_BAD_MESSAGE' }));
      }),
    );
  });
});
