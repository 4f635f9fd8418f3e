import fc from 'fast-check';
import {
  ErrorCodes,
  TfgwError,
  YamuxFrameDecoder,
  YamuxFrameType,
  encodeYamuxHeader,
  type YamuxFrameSink,
} from '@tfgw/core';

/** A frame as the decoder reports it, payload re-assembled for comparison. */
interface Decoded {
  type: number;
  flags: number;
  streamId: number;
  value: number;
  payload?: string;
}

/** Records what the decoder reports; payload pieces are joined per frame. */
class Recorder implements YamuxFrameSink {
  readonly frames: Decoded[] = [];
  errors: TfgwError[] = [];
  private open: { d: Decoded; parts: Buffer[] } | undefined;

  onControl(type: number, flags: number, streamId: number, value: number): void {
    this.frames.push({ type, flags, streamId, value });
  }
  onDataStart(flags: number, streamId: number, length: number): void {
    if (this.open) throw new Error('DATA frame started inside another');
    this.open = { d: { type: YamuxFrameType.DATA, flags, streamId, value: length }, parts: [] };
  }
  onData(piece: Buffer): void {
    if (!this.open) throw new Error('payload outside a DATA frame');
    this.open.parts.push(Buffer.from(piece));
  }
  onDataEnd(flags: number, streamId: number): void {
    const o = this.open!;
    expect(flags).toBe(o.d.flags);
    expect(streamId).toBe(o.d.streamId);
    o.d.payload = Buffer.concat(o.parts).toString('hex');
    expect(o.d.payload.length / 2).toBe(o.d.value);
    this.frames.push(o.d);
    this.open = undefined;
  }
  onError(err: TfgwError): void {
    this.errors.push(err);
  }
}

const MAX = 1024;

const frameArb = fc.oneof(
  fc.record({
    type: fc.constant(YamuxFrameType.DATA as number),
    flags: fc.integer({ min: 0, max: 0xffff }),
    streamId: fc.integer({ min: 0, max: 0xffffffff }),
    payload: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    type: fc.constantFrom<number>(YamuxFrameType.WINDOW_UPDATE, YamuxFrameType.PING, YamuxFrameType.GO_AWAY),
    flags: fc.integer({ min: 0, max: 0xffff }),
    streamId: fc.integer({ min: 0, max: 0xffffffff }),
    value: fc.integer({ min: 0, max: 0xffffffff }),
  }),
);
type ArbFrame = { type: number; flags: number; streamId: number; payload?: Uint8Array; value?: number };

function encode(frames: ArbFrame[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of frames) {
    const len = f.payload ? f.payload.length : f.value!;
    parts.push(encodeYamuxHeader(f.type, f.flags, f.streamId, len));
    if (f.payload) parts.push(Buffer.from(f.payload));
  }
  return Buffer.concat(parts);
}

function expected(frames: ArbFrame[]): Decoded[] {
  return frames.map((f) =>
    f.payload
      ? { type: f.type, flags: f.flags, streamId: f.streamId, value: f.payload.length, payload: Buffer.from(f.payload).toString('hex') }
      : { type: f.type, flags: f.flags, streamId: f.streamId, value: f.value! },
  );
}

/** Splits `buf` at the given cut points (any order, duplicates allowed). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

function decode(chunks: Buffer[], max = MAX): Recorder {
  const r = new Recorder();
  const d = new YamuxFrameDecoder(r, max);
  for (const c of chunks) d.push(c);
  return r;
}

describe('yamux frame decoder', () => {
  it('decodes every frame type with its fields', () => {
    const r = decode([
      encode([
        { type: 0, flags: 1, streamId: 3, payload: Buffer.from('hello') },
        { type: 1, flags: 2, streamId: 3, value: 4096 },
        { type: 2, flags: 1, streamId: 0, value: 7 },
        { type: 3, flags: 0, streamId: 0, value: 1 },
      ]),
    ]);
    expect(r.errors).toEqual([]);
    expect(r.frames).toEqual([
      { type: 0, flags: 1, streamId: 3, value: 5, payload: Buffer.from('hello').toString('hex') },
      { type: 1, flags: 2, streamId: 3, value: 4096 },
      { type: 2, flags: 1, streamId: 0, value: 7 },
      { type: 3, flags: 0, streamId: 0, value: 1 },
    ]);
  });

  it('decodes identically however the byte stream is split (property)', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
        const bytes = encode(frames);
        const r = decode(split(bytes, cuts));
        expect(r.errors).toEqual([]);
        expect(r.frames).toEqual(expected(frames));
      }),
      { numRuns: 500 },
    );
  });

  it('hands DATA payload out as views of the input, never copies', () => {
    const payload = Buffer.alloc(100, 7);
    const wire = Buffer.concat([encodeYamuxHeader(0, 0, 1, 100), payload]);
    const pieces: Buffer[] = [];
    const sink: YamuxFrameSink = {
      onControl: () => undefined,
      onDataStart: () => undefined,
      onData: (p) => pieces.push(p),
      onDataEnd: () => undefined,
      onError: (e) => {
        throw e;
      },
    };
    const d = new YamuxFrameDecoder(sink, MAX);
    d.push(wire.subarray(0, 50));
    d.push(wire.subarray(50));
    expect(pieces.map((p) => p.length)).toEqual([38, 62]);
    expect(pieces[0].buffer).toBe(wire.buffer);
    expect(pieces[1].buffer).toBe(wire.buffer);
  });

  it('a truncated stream yields a prefix of the frames and no error (property)', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 10 }), fc.nat(), fc.array(fc.nat(), { maxLength: 10 }), (frames, cut, cuts) => {
        const bytes = encode(frames);
        const truncated = bytes.subarray(0, cut % (bytes.length + 1));
        const r = decode(split(truncated, cuts));
        expect(r.errors).toEqual([]);
        const all = expected(frames);
        expect(r.frames).toEqual(all.slice(0, r.frames.length));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a DATA frame above maxFrameBytes with TFGW_ERR_FRAME_TOO_LARGE and stops', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX + 1, max: 0xffffffff }), fc.array(fc.nat(), { maxLength: 5 }), (len, cuts) => {
        const bytes = Buffer.concat([encodeYamuxHeader(2, 1, 0, 1), encodeYamuxHeader(0, 0, 5, len), Buffer.alloc(64), encodeYamuxHeader(2, 1, 0, 2)]);
        const r = decode(split(bytes, cuts));
        expect(r.errors.map((e) => e.code)).toEqual([ErrorCodes.FRAME_TOO_LARGE]);
        expect(r.frames).toEqual([{ type: 2, flags: 1, streamId: 0, value: 1 }]);
      }),
    );
  });

  it('accepts a DATA frame of exactly maxFrameBytes', () => {
    const r = decode([encode([{ type: 0, flags: 0, streamId: 1, payload: Buffer.alloc(MAX, 1) }])]);
    expect(r.errors).toEqual([]);
    expect(r.frames).toHaveLength(1);
  });

  it('rejects a bad version and an unknown type with TFGW_ERR_PROTOCOL', () => {
    const badVersion = encodeYamuxHeader(1, 0, 1, 0);
    badVersion[0] = 1;
    expect(decode([badVersion]).errors.map((e) => e.code)).toEqual([ErrorCodes.PROTOCOL]);
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 255 }), (type) => {
        const r = decode([encodeYamuxHeader(type, 0, 1, 0), encodeYamuxHeader(2, 1, 0, 0)]);
        expect(r.errors.map((e) => e.code)).toEqual([ErrorCodes.PROTOCOL]);
        expect(r.frames).toEqual([]);
      }),
    );
  });

  it('never throws on random bytes: it decodes or reports exactly one coded error (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (chunks) => {
        const r = decode(chunks.map((c) => Buffer.from(c)));
        expect(r.errors.length).toBeLessThanOrEqual(1);
        for (const e of r.errors) {
          expect(e).toBeInstanceOf(TfgwError);
          expect([ErrorCodes.PROTOCOL, ErrorCodes.FRAME_TOO_LARGE]).toContain(e.code);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes with a valid version byte exercise deeper paths without throwing (fuzz)', () => {
    const headerish = fc
      .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 2000 }), fc.uint8Array({ maxLength: 64 }))
      .map(([type, flags, id, len, tail]) => Buffer.concat([encodeYamuxHeader(type, flags, id, len), Buffer.from(tail)]));
    fc.assert(
      fc.property(fc.array(headerish, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), (parts, cuts) => {
        const r = decode(split(Buffer.concat(parts), cuts));
        expect(r.errors.length).toBeLessThanOrEqual(1);
        for (const e of r.errors) expect([ErrorCodes.PROTOCOL, ErrorCodes.FRAME_TOO_LARGE]).toContain(e.code);
      }),
      { numRuns: 500 },
    );
  });

  it('stop() halts decoding of the rest of the chunk', () => {
    const r = new Recorder();
    const d = new YamuxFrameDecoder(
      {
        ...r,
        onControl: (...a) => {
          r.onControl(...a);
          d.stop();
        },
        onDataStart: r.onDataStart.bind(r),
        onData: r.onData.bind(r),
        onDataEnd: r.onDataEnd.bind(r),
        onError: r.onError.bind(r),
      },
      MAX,
    );
    d.push(encode([{ type: 2, flags: 1, streamId: 0, value: 1 }, { type: 2, flags: 1, streamId: 0, value: 2 }]));
    expect(r.frames).toHaveLength(1);
    expect(d.stopped).toBe(true);
  });
});
