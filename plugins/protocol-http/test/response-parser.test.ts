import fc from 'fast-check';
import { TfgwError } from '@tfgw/core';
import { ResponseReader, parseResponseHead, type ResponseHead } from '../src/response-parser';

/** What a reader reported for one input. */
interface Outcome {
  heads: ResponseHead[];
  body: Buffer;
  ends: boolean[];
  /** Error code thrown by feed/end, if any. */
  error?: string;
}

/** Feeds `pieces` (then, with `eof`, the end of the stream) to a fresh reader. Any throw that is not a TfgwError fails the test. */
function read(pieces: Buffer[], opts: { head?: boolean; eof?: boolean; max?: number } = {}): Outcome {
  const out: Outcome = { heads: [], body: Buffer.alloc(0), ends: [] };
  const body: Buffer[] = [];
  const reader = new ResponseReader(
    {
      onHead: (h) => out.heads.push(h),
      onBody: (b) => body.push(Buffer.from(b)),
      onEnd: (extra) => out.ends.push(extra),
    },
    opts.head ?? false,
    opts.max ?? 16384,
  );
  try {
    for (const p of pieces) reader.feed(p);
    if (opts.eof) reader.end();
  } catch (err) {
    if (!(err instanceof TfgwError)) throw err;
    out.error = err.code;
  }
  out.body = Buffer.concat(body);
  return out;
}

/** Splits a buffer at the given (sorted, deduplicated) cut points. */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  out.push(buf.subarray(at));
  return out;
}

const tchar = fc.constantFrom(...'!#$%&\'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
const fieldName = fc
  .array(tchar, { minLength: 1, maxLength: 20 })
  .map((a) => a.join(''))
  .filter((n) => !['content-length', 'transfer-encoding', 'connection'].includes(n.toLowerCase()));
/** Field values: visible ASCII, obs-text and inner spaces; no leading/trailing whitespace. */
const fieldValue = fc
  .array(fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x20), fc.constant(0x09)), { maxLength: 40 })
  .map((cs) => String.fromCharCode(...cs).replace(/^[ \t]+|[ \t]+$/g, ''));
const body = fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a));
const cuts = fc.array(fc.nat(5000), { maxLength: 12 });

/** A valid response as the model says it should be read. */
interface Model {
  bytes: Buffer;
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
  framing: 'length' | 'chunked' | 'close' | 'none';
  keepAlive: boolean;
}

const model: fc.Arbitrary<Model> = fc
  .record({
    interim: fc.array(fc.constantFrom(100, 102, 103), { maxLength: 2 }),
    status: fc.oneof(fc.integer({ min: 200, max: 599 }), fc.constantFrom(200, 204, 304)),
    reason: fc.constantFrom('', 'OK', 'Not Found', 'Some reason with  spaces'),
    headers: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 8 }),
    framing: fc.constantFrom<Array<Model['framing']>>('length', 'chunked', 'close'),
    close: fc.boolean(),
    body,
    chunkSizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
    ext: fc.constantFrom('', ';a=b', ' ;name="quoted value"', ';x'),
    trailers: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 2 }),
    upperHex: fc.boolean(),
  })
  .map((m) => {
    const lines: string[] = [];
    for (const s of m.interim) lines.push(`HTTP/1.1 ${s} Interim\r\nLink: </a>\r\n\r\n`);
    const noBody = m.status === 204 || m.status === 304;
    const framing = noBody ? 'none' : m.framing === 'length' && m.body.length === 0 ? 'none' : m.framing;
    let head = `HTTP/1.1 ${m.status}${m.reason === '' && m.status % 2 === 0 ? '' : ` ${m.reason}`}\r\n`;
    for (const [n, v] of m.headers) head += `${n}: ${v}\r\n`;
    if (m.close) head += 'Connection: close\r\n';
    if (m.framing === 'length') head += `Content-Length: ${m.body.length}\r\n`;
    if (m.framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
    head += '\r\n';
    const parts: Buffer[] = [Buffer.from(lines.join('') + head, 'latin1')];
    const sentBody = noBody ? Buffer.alloc(0) : m.body;
    if (!noBody) {
      if (m.framing === 'chunked') {
        let at = 0;
        let i = 0;
        while (at < m.body.length) {
          const n = Math.min(m.chunkSizes[i++ % m.chunkSizes.length], m.body.length - at);
          const hex = m.upperHex ? n.toString(16).toUpperCase() : n.toString(16);
          parts.push(Buffer.from(`${hex}${m.ext}\r\n`, 'latin1'), m.body.subarray(at, at + n), Buffer.from('\r\n'));
          at += n;
        }
        parts.push(Buffer.from(`0${m.ext}\r\n${m.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`, 'latin1'));
      } else parts.push(m.body);
    }
    return {
      bytes: Buffer.concat(parts),
      status: m.status,
      headers: [...m.headers, ...(m.close ? [['Connection', 'close'] as [string, string]] : [])],
      body: sentBody,
      framing,
      keepAlive: !m.close && framing !== 'close',
    };
  });

describe('ResponseReader', () => {
  test('reads any valid response the same way, however it is split', () => {
    fc.assert(
      fc.property(model, cuts, (m, c) => {
        const o = read(split(m.bytes, c), { eof: m.framing === 'close' });
        expect(o.error).toBeUndefined();
        expect(o.heads).toHaveLength(1);
        const h = o.heads[0];
        expect(h.statusCode).toBe(m.status);
        expect(h.framing).toBe(m.framing);
        expect(h.keepAlive).toBe(m.keepAlive);
        const fields: string[] = [];
        for (const [n, v] of m.headers) fields.push(n, v);
        expect(h.rawHeaders.slice(0, fields.length)).toEqual(fields);
        expect(o.body.equals(m.body)).toBe(true);
        expect(o.ends).toEqual([false]);
      }),
      { numRuns: 400 },
    );
  });

  test('bytes after a self-delimited response are reported as extra, never as body', () => {
    fc.assert(
      fc.property(
        model.filter((m) => m.framing !== 'close'),
        fc.uint8Array({ minLength: 1, maxLength: 50 }),
        cuts,
        (m, extra, c) => {
          const pieces = split(Buffer.concat([m.bytes, Buffer.from(extra)]), c);
          const o = read(pieces);
          expect(o.error).toBeUndefined();
          expect(o.body.equals(m.body)).toBe(true);
          // The end is reported once; when the extra bytes came in a later piece, they are ignored by the reader (the pool destroys an ownerless stream that receives bytes).
          expect(o.ends).toHaveLength(1);
          const endAt = m.bytes.length;
          const splitExactly = pieces.reduce<number[]>((acc, p) => [...acc, (acc.at(-1) ?? 0) + p.length], []).includes(endAt);
          if (!splitExactly) expect(o.ends[0]).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('hostile input: a coded error or a result, identical for every split, never another throw', () => {
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      // Mutations of valid responses: one byte changed, inserted or removed.
      fc.tuple(model, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')).map(([m, at, byte, op]) => {
        const b = Buffer.from(m.bytes);
        const i = b.length === 0 ? 0 : at % b.length;
        if (op === 'set') {
          b[i] = byte;
          return b;
        }
        if (op === 'insert') return Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
        return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      }),
      // Well-formed lines with hostile framing fields.
      fc
        .tuple(
          fc.array(
            fc.constantFrom(
              'Content-Length: 5',
              'Content-Length: 6',
              'Content-Length: -1',
              'Content-Length: 1e3',
              'Content-Length: 5, 5',
              'Content-Length: 99999999999999999999',
              'Transfer-Encoding: chunked',
              'Transfer-Encoding: gzip, chunked',
              'Transfer-Encoding: chunked, identity',
              'Transfer-Encoding: Chunked',
              'Connection: close',
              'Connection: keep-alive, x-hop',
              ' folded: line',
              'Bad Name: x',
              'Bad :x',
              'X: a\rb',
              'X:\u0000',
              ': empty name',
            ),
            { maxLength: 4 },
          ),
          fc.constantFrom('HTTP/1.1 200 OK', 'HTTP/1.0 200 OK', 'HTTP/2.0 200 OK', 'HTTP/1.1 99 X', 'HTTP/1.1 2000 X', 'HTTP/1.1 200OK', 'http/1.1 200 OK', 'HTTP/1.1 101 Switching'),
          fc.constantFrom('', 'hello', '5\r\nhello\r\n0\r\n\r\n', 'fffffffffffffff\r\n', '5 x\r\nhello\r\n0\r\n\r\n', '5\nhello\r\n0\r\n\r\n'),
        )
        .map(([fields, status, rest]) => Buffer.from(`${status}\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n${rest}`, 'latin1')),
    );
    fc.assert(
      fc.property(hostile, cuts, fc.boolean(), fc.boolean(), (bytes, c, eof, head) => {
        const whole = read([bytes], { eof, head, max: 1024 });
        const pieces = read(split(bytes, c), { eof, head, max: 1024 });
        if (whole.error !== undefined) expect(['TFGW_ERR_BAD_MESSAGE', 'TFGW_ERR_CONNECTION_RESET']).toContain(whole.error);
        expect(pieces.error).toBe(whole.error);
        expect(pieces.heads.map((h) => [h.statusCode, h.framing, h.contentLength, h.keepAlive])).toEqual(whole.heads.map((h) => [h.statusCode, h.framing, h.contentLength, h.keepAlive]));
        // Body bytes handed out before an error may differ in how far they got, never in content.
        if (whole.error === undefined) expect(pieces.body.equals(whole.body)).toBe(true);
        else expect(whole.body.subarray(0, pieces.body.length).equals(pieces.body) || pieces.body.subarray(0, whole.body.length).equals(whole.body)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  test('a close-delimited body ends with the stream; anything else cut short is TFGW_ERR_CONNECTION_RESET', () => {
    const close = read([Buffer.from('HTTP/1.1 200 OK\r\n\r\nabc')], { eof: true });
    expect([close.ends, close.error, close.body.toString()]).toEqual([[false], undefined, 'abc']);
    expect(read([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc')], { eof: true }).error).toBe('TFGW_ERR_CONNECTION_RESET');
    expect(read([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')], { eof: true }).error).toBe('TFGW_ERR_CONNECTION_RESET');
    expect(read([], { eof: true }).error).toBe('TFGW_ERR_CONNECTION_RESET');
    expect(read([Buffer.from('HTTP/1.1 20')], { eof: true }).error).toBe('TFGW_ERR_CONNECTION_RESET');
  });

  test('interim 1xx answers are skipped; 101 without an upgrade is refused', () => {
    const o = read([Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok')]);
    expect(o.heads.map((h) => h.statusCode)).toEqual([201]);
    expect(o.body.toString()).toBe('ok');
    expect(read([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n')]).error).toBe('TFGW_ERR_BAD_MESSAGE');
  });

  test('no body for HEAD, 204 and 304, whatever the fields say', () => {
    const head = read([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n')], { head: true });
    expect([head.ends, head.error]).toEqual([[false], undefined]);
    expect(head.heads[0]).toMatchObject({ framing: 'none', keepAlive: true, rawHeaders: ['Content-Length', '1000'] });
    expect(read([Buffer.from('HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n')]).ends).toEqual([false]);
    expect(read([Buffer.from('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')]).ends).toEqual([false]);
  });

  test('a head larger than the limit is refused, complete or not', () => {
    const big = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(2000)}\r\n\r\n`;
    expect(read([Buffer.from(big)], { max: 1024 }).error).toBe('TFGW_ERR_BAD_MESSAGE');
    expect(read([Buffer.from(big.slice(0, 1500))], { max: 1024 }).error).toBe('TFGW_ERR_BAD_MESSAGE');
    expect(read([Buffer.from(big)], { max: 4096 }).error).toBeUndefined();
  });

  test('an endless chunk-size line or trailer section is refused', () => {
    expect(read([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'x'.repeat(5000)}`)]).error).toBe('TFGW_ERR_BAD_MESSAGE');
    expect(read([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${'X: y\r\n'.repeat(400)}`)], { max: 1024 }).error).toBe('TFGW_ERR_BAD_MESSAGE');
    expect(read([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'0'.repeat(13)}1\r\n`)]).error).toBe('TFGW_ERR_BAD_MESSAGE');
  });
});

describe('parseResponseHead', () => {
  const parse = (text: string, head = false) => parseResponseHead(text, head);
  const code = (text: string): string | undefined => {
    try {
      parse(text);
      return undefined;
    } catch (err) {
      return (err as TfgwError).code;
    }
  };

  test('status line, reason and fields as sent', () => {
    const h = parse('HTTP/1.1 404 Not  Found\r\nX-A:  one \r\nx-a: two\r\nSet-Cookie: a=b\r\nSet-Cookie: c=d\r\nContent-Length: 3');
    expect(h).toMatchObject({ statusCode: 404, statusMessage: 'Not  Found', http11: true, framing: 'length', contentLength: 3, keepAlive: true });
    expect(h.rawHeaders).toEqual(['X-A', 'one', 'x-a', 'two', 'Set-Cookie', 'a=b', 'Set-Cookie', 'c=d', 'Content-Length', '3']);
    expect(parse('HTTP/1.1 200').statusMessage).toBe('');
  });

  test('framing: chunked, length, close-delimited; ambiguous framing is refused', () => {
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked').framing).toBe('chunked');
    expect(parse('HTTP/1.1 200 OK').framing).toBe('close');
    expect(parse('HTTP/1.1 200 OK').keepAlive).toBe(false);
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 0').framing).toBe('none');
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7').contentLength).toBe(7);
    for (const bad of [
      'HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 8',
      'HTTP/1.1 200 OK\r\nContent-Length: 7\r\nTransfer-Encoding: chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip',
      'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked',
      'HTTP/1.1 200 OK\r\nContent-Length: +7',
      'HTTP/1.1 200 OK\r\nContent-Length: 7 7',
      'HTTP/1.1 200 OK\r\nContent-Length: ',
    ]) {
      expect([bad, code(bad)]).toEqual([bad, 'TFGW_ERR_BAD_MESSAGE']);
    }
  });

  test('keep-alive: HTTP/1.1 unless close, HTTP/1.0 only with keep-alive; Connection names hop-by-hop fields', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: Close').keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 1').keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive').keepAlive).toBe(true);
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: X-Hop, keep-alive,, Other').connectionTokens).toEqual(['x-hop', 'other']);
  });

  test('malformed heads are refused with TFGW_ERR_BAD_MESSAGE', () => {
    for (const bad of [
      '',
      'HTTP/1.1',
      'HTTP/1.1 200OK',
      'HTTP/1.2 200 OK',
      'HTTP/2 200 OK',
      'HTTP/1.1 099 X',
      'HTTP/1.1 20x X',
      'HTTP/1.1 200 O\u0001K',
      'HTTP/1.1 200 OK\r\n folded: value',
      'HTTP/1.1 200 OK\r\nX: a\r\n\tcontinued',
      'HTTP/1.1 200 OK\r\nX : a',
      'HTTP/1.1 200 OK\r\nX\u0000: a',
      'HTTP/1.1 200 OK\r\nX: a\nY: b',
      'HTTP/1.1 200 OK\r\nX: a\rb',
      'HTTP/1.1 200 OK\r\nno colon',
      'HTTP/1.1 200 OK\r\n: no name',
      'HTTP/1.1 200 OK\nX: lf only',
    ]) {
      expect([bad, code(bad)]).toEqual([bad, 'TFGW_ERR_BAD_MESSAGE']);
    }
  });
});
