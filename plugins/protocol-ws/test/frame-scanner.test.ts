import fc from 'fast-check';
import { CloseCodes, FrameScanner } from '../src/frame-scanner';
import { closeFrame } from '../src/close-frame';

/** One frame of the model: opcode, FIN, payload size, masked. */
interface FrameSpec {
  opcode: number;
  fin: boolean;
  size: number;
  masked: boolean;
}

/** Encodes a frame header + payload (payload bytes are a fill pattern; masking is not applied: the scanner never reads payloads). */
function encode(f: FrameSpec): Buffer {
  const ext = f.size < 126 ? 0 : f.size < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (f.masked ? 4 : 0));
  head[0] = (f.fin ? 0x80 : 0) | f.opcode;
  head[1] = (f.masked ? 0x80 : 0) | (ext === 0 ? f.size : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(f.size, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(f.size), 2);
  if (f.masked) head.writeUInt32BE(0xdeadbeef, 2 + ext);
  return Buffer.concat([head, Buffer.alloc(f.size, f.opcode + 0x41)]);
}

const payloadSize = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 65530, max: 70000 }) });
const control = fc.record({ opcode: fc.constantFrom(0x8, 0x9, 0xa), fin: fc.constant(true), size: fc.integer({ min: 0, max: 125 }), masked: fc.boolean() });
/** A data message: its fragments, with control frames possibly interleaved. */
const message = fc
  .tuple(fc.constantFrom(0x1, 0x2), fc.array(payloadSize, { minLength: 1, maxLength: 4 }), fc.array(fc.option(control, { nil: undefined }), { minLength: 4, maxLength: 4 }), fc.boolean())
  .map(([opcode, sizes, controls, masked]) => {
    const frames: FrameSpec[] = [];
    sizes.forEach((size, i) => {
      frames.push({ opcode: i === 0 ? opcode : 0, fin: i === sizes.length - 1, size, masked });
      const c = controls[i];
      if (c && i < sizes.length - 1) frames.push(c);
    });
    return { frames, total: sizes.reduce((a, b) => a + b, 0) };
  });
const stream = fc.array(fc.oneof(message, control.map((c) => ({ frames: [c], total: -1 }))), { minLength: 1, maxLength: 8 });

/** Cuts a buffer at the given (sorted, deduplicated) points. */
function split(buf: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

function run(scanner: FrameScanner, chunks: Buffer[]) {
  const out: Buffer[] = [];
  for (const c of chunks) {
    const step = scanner.scan(c);
    for (const piece of step.out) {
      // No payload copies: a piece is a slice of the chunk, or a held-back header (<= 14 bytes).
      expect(piece.buffer === c.buffer || piece.length <= 14).toBe(true);
      out.push(piece);
    }
    if (step.error) return { out: Buffer.concat(out), error: step.error };
    if (step.stopped) return { out: Buffer.concat(out), stopped: true };
  }
  return { out: Buffer.concat(out) };
}

describe('FrameScanner', () => {
  it('forwards every byte of valid traffic, however it is chunked, and counts messages', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (items, points) => {
        const wire = Buffer.concat(items.flatMap((m) => m.frames.map(encode)));
        const r = run(new FrameScanner(0), split(wire, points));
        expect(r.error).toBeUndefined();
        expect(r.out.equals(wire)).toBe(true);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 200) },
    );
  });

  it('stops right before the frame that takes a message over the limit, with 1009', () => {
    fc.assert(
      fc.property(stream, fc.integer({ min: 1, max: 400 }), fc.array(fc.nat(), { maxLength: 12 }), (items, limit, points) => {
        const frames = items.flatMap((m) => m.frames);
        // Where the first offending frame starts, if any.
        let offset = 0;
        let cut: number | undefined;
        let running = 0;
        for (const f of frames) {
          if (f.opcode < 0x8) {
            running = (f.opcode === 0 ? running : 0) + f.size;
            if (running > limit && cut === undefined) cut = offset;
          }
          offset += encode(f).length;
        }
        const wire = Buffer.concat(frames.map(encode));
        const scanner = new FrameScanner(limit);
        const r = run(scanner, split(wire, points));
        if (cut === undefined) {
          expect(r.error).toBeUndefined();
          expect(r.out.equals(wire)).toBe(true);
        } else {
          expect(r.error?.code).toBe(CloseCodes.MESSAGE_TOO_BIG);
          expect(r.out.equals(wire.subarray(0, cut))).toBe(true);
          // Dead after an error.
          expect(scanner.scan(Buffer.from([0x81, 0x00])).error?.code).toBe(CloseCodes.MESSAGE_TOO_BIG);
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 200) },
    );
  });

  it('stops at a frame boundary when asked to', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), fc.nat(), (items, points, when) => {
        const frames = items.flatMap((m) => m.frames);
        const wire = Buffer.concat(frames.map(encode));
        const boundaries = new Set<number>([0]);
        let at = 0;
        for (const f of frames) boundaries.add((at += encode(f).length));
        const chunks = split(wire, points);
        const scanner = new FrameScanner(0);
        const out: Buffer[] = [];
        let stopped = false;
        chunks.forEach((c, i) => {
          if (stopped) return;
          if (i === when % chunks.length) scanner.requestStop();
          const step = scanner.scan(c);
          out.push(...step.out);
          stopped = step.stopped === true;
        });
        const forwarded = Buffer.concat(out);
        expect(wire.subarray(0, forwarded.length).equals(forwarded)).toBe(true);
        if (stopped) expect(boundaries.has(forwarded.length)).toBe(true);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 200) },
    );
  });

  it('never throws on garbage, forwards a prefix, and does not depend on chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 0, max: 200 }), (bytes, points, limit) => {
        const wire = Buffer.from(bytes);
        const whole = run(new FrameScanner(limit), [wire]);
        const pieces = run(new FrameScanner(limit), split(wire, points));
        expect(wire.subarray(0, pieces.out.length).equals(pieces.out)).toBe(true);
        expect(pieces.out.length).toBe(whole.out.length);
        expect(pieces.error?.code).toBe(whole.error?.code);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });

  it.each<[string, number[], number]>([
    ['unknown data opcode', [0x83, 0x00], CloseCodes.PROTOCOL_ERROR],
    ['unknown control opcode', [0x8b, 0x00], CloseCodes.PROTOCOL_ERROR],
    ['fragmented control frame', [0x09, 0x00], CloseCodes.PROTOCOL_ERROR],
    ['long control frame', [0x89, 0x7e, 0x00, 0x80], CloseCodes.PROTOCOL_ERROR],
    ['continuation outside a message', [0x80, 0x00], CloseCodes.PROTOCOL_ERROR],
    ['new message inside a fragmented one', [0x01, 0x00, 0x81, 0x00], CloseCodes.PROTOCOL_ERROR],
    ['64-bit length beyond 2^53', [0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], CloseCodes.MESSAGE_TOO_BIG],
  ])('refuses %s', (_name, bytes, code) => {
    expect(run(new FrameScanner(0), [Buffer.from(bytes)]).error?.code).toBe(code);
  });
});

describe('closeFrame', () => {
  it('encodes code and reason, masked for servers, cut to 125 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 4999 }), fc.string({ maxLength: 200 }), fc.boolean(), (code, reason, masked) => {
        const f = closeFrame(code, reason, masked);
        expect(f[0]).toBe(0x88);
        expect((f[1] & 0x80) !== 0).toBe(masked);
        const len = f[1] & 0x7f;
        expect(len).toBeLessThanOrEqual(125);
        const payload = Buffer.from(f.subarray(masked ? 6 : 2));
        if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= f[2 + (i & 3)];
        expect(payload.length).toBe(len);
        expect(payload.readUInt16BE(0)).toBe(code);
        const text = Buffer.from(reason);
        expect(payload.subarray(2).equals(text.subarray(0, Math.min(123, text.length)))).toBe(true);
        expect(run(new FrameScanner(0), [f]).out.equals(f)).toBe(true);
      }),
    );
  });
});
