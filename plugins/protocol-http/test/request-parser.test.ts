import fc from 'fast-check';
import { FieldKind, parseFastRequestHead } from '../src/request-parser';

/** Node's own HTTP parser (llhttp, strict as Node's HTTP server runs it), for differential checks. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { HTTPParser, methods } = require('_http_common') as {
  HTTPParser: {
    new (): {
      initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
      execute(buf: Buffer): number | Error;
      finish(): void;
      close(): void;
      [k: number]: unknown;
    };
    REQUEST: number;
    kOnHeadersComplete: number;
    kOnHeaders: number;
    kOnMessageComplete: number;
    kOnBody: number;
    kOnExecute: number;
  };
  methods: string[];
};

interface NodeView {
  method: string;
  url: string;
  headers: string[];
  minor: number;
  upgrade: boolean;
  keepAlive: boolean;
  complete: boolean;
}

/** What Node's HTTP server would see for `head` + CRLFCRLF, or an error string. */
function nodeParse(bytes: Buffer): NodeView | string {
  const p = new HTTPParser();
  p.initialize(HTTPParser.REQUEST, {}, 16384, 0);
  let view: NodeView | undefined;
  let complete = false;
  p[HTTPParser.kOnHeadersComplete] = (_maj: number, minor: number, headers: string[], method: number, url: string, _s: unknown, _m: unknown, upgrade: boolean, keepAlive: boolean) => {
    view = { method: methods[method], url, headers, minor, upgrade, keepAlive, complete: false };
  };
  p[HTTPParser.kOnHeaders] = () => undefined;
  p[HTTPParser.kOnBody] = () => undefined;
  p[HTTPParser.kOnMessageComplete] = () => {
    complete = true;
  };
  p[HTTPParser.kOnExecute] = () => undefined;
  try {
    const r = p.execute(bytes);
    if (r instanceof Error) return `error ${(r as Error & { code?: string }).code}`;
    if (!view) return 'incomplete';
    view.complete = complete;
    return view;
  } finally {
    p.close();
  }
}

const headLine = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('Host: www.demo.tfgw.localhost', 'host: a.b:8080', 'User-Agent: curl/8.0', 'Accept: */*', 'X-Forwarded-For: 6.6.6.6', 'Connection: keep-alive', 'Cookie: a=b; c=d', 'Accept-Encoding: gzip') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'Connection: close',
      'Connection: Upgrade',
      'Connection: keep-alive, TE',
      'Content-Length: 0',
      'Content-Length: 5',
      'Content-Length: 00',
      'Content-Length: 0, 0',
      'Transfer-Encoding: chunked',
      'Upgrade: websocket',
      'Expect: 100-continue',
      'Host: other.example',
      'Host:',
      'Authorization: Basic YTpi',
      'Forwarded: for=1.2.3.4',
      'TE: trailers',
      'Keep-Alive: timeout=5',
      'X-Empty:',
      'X-Spaces:    padded   ',
      'X-Tab:\tv\t',
      'X-Obs: caf\u00e9',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(' folded', '\tfolded', 'Bad Name: x', 'Bad :x', ': x', 'X: a\rb', 'X: a\nb', 'X:\u0000', 'X: \u007f', 'X\u00e9: v', 'NoColon', 'X: a\r'),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }))
      .map(([n, cs]) => `${n}:${String.fromCharCode(...cs)}`),
  },
);
const requestLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'), fc.constantFrom('/', '/a/b?c=d&e', '/%20x', '/x#frag', '/~user', "/!$&'()*+,;=:@")).map(([m, t]) => `${m} ${t} HTTP/1.1`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'GET / HTTP/1.0',
      'GET / HTTP/2.0',
      'GET http://a.b/ HTTP/1.1',
      'get / HTTP/1.1',
      'CONNECT a.b:443 HTTP/1.1',
      'TRACE / HTTP/1.1',
      'GET  / HTTP/1.1',
      'GET / HTTP/1.1 ',
      'GET /a b HTTP/1.1',
      'GET * HTTP/1.1',
      'OPTIONS * HTTP/1.1',
      'GET /\u00e9 HTTP/1.1',
      'GET / http/1.1',
      '\r\nGET / HTTP/1.1',
      'GET',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('GET', 'POST'), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 10 })).map(([m, cs]) => `${m} /${String.fromCharCode(...cs)} HTTP/1.1`) },
);
const separator = fc.oneof({ weight: 10, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\r\n') });
const head = fc
  .tuple(requestLine, fc.array(fc.tuple(headLine, separator), { maxLength: 6 }), fc.option(fc.constantFrom('Host: www.demo.tfgw.localhost', 'HOST: x.y:1', 'Host:  [::1]:80 '), { freq: 5 }), fc.nat())
  .map(([line, fields, host, at]) => {
    const all = fields.map(([f, sep]) => `${sep}${f}`);
    if (host !== null) all.splice(at % (all.length + 1), 0, `\r\n${host}`);
    return `${line}${all.join('')}`;
  });

describe('parseFastRequestHead', () => {
  test('differential: whatever it accepts, Node parses the same way (method, target, fields, no body, no upgrade)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(head, (text) => {
        const fast = parseFastRequestHead(text);
        if (fast === undefined) return;
        accepted++;
        // With its body (Content-Length bytes): Node must end the message exactly there.
        const node = nodeParse(Buffer.concat([Buffer.from(`${text}\r\n\r\n`, 'latin1'), Buffer.alloc(fast.contentLength, 0x61)]));
        expect(typeof node).toBe('object');
        const n = node as NodeView;
        expect([n.method, n.url, n.minor, n.upgrade, n.complete]).toEqual([fast.method, fast.target, 1, false, true]);
        expect(n.headers).toEqual(fast.rawHeaders);
        expect(n.keepAlive).toBe(!fast.close);
        // Exactly one Host, and it is the one the fast path routes by.
        const hosts = fast.rawHeaders.filter((_, i) => i % 2 === 0 && fast.rawHeaders[i].toLowerCase() === 'host');
        expect(hosts).toHaveLength(1);
      }),
      { numRuns: 5000 },
    );
    // The generator must reach the accepting side often enough for the check to mean something.
    expect(accepted).toBeGreaterThan(300);
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = Buffer.from(bytes).toString('latin1');
        const fast = parseFastRequestHead(text);
        if (fast !== undefined) {
          const node = nodeParse(Buffer.from(`${text}\r\n\r\n`, 'latin1'));
          expect(typeof node).toBe('object');
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('a plain GET: fields as sent, kinds for what the ingress drops or replaces', () => {
    const h = parseFastRequestHead('GET /x?y HTTP/1.1\r\nHost: A.example:8080\r\nConnection: keep-alive\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\nAuthorization: Basic YTpi\r\nAccept: text/html\r\nTE: trailers\r\nUser-Agent: t');
    expect(h).toBeDefined();
    expect(h!.method).toBe('GET');
    expect(h!.target).toBe('/x?y');
    expect(h!.host).toBe('A.example:8080');
    expect(h!.close).toBe(false);
    expect(h!.xForwardedFor).toBe('1.1.1.1, 2.2.2.2');
    expect(h!.authorization).toBe('Basic YTpi');
    expect(h!.accept).toBe('text/html');
    expect(h!.kinds).toEqual([FieldKind.PASS, FieldKind.HOP, FieldKind.FORWARDING, FieldKind.FORWARDING, FieldKind.AUTHORIZATION, FieldKind.PASS, FieldKind.HOP, FieldKind.PASS]);
  });

  test('a small body: its length, from one plain Content-Length', () => {
    expect(parseFastRequestHead('POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 99999')?.contentLength).toBe(99999);
    expect(parseFastRequestHead('PUT /api HTTP/1.1\r\nHost: a\r\ncontent-length: 007')?.contentLength).toBe(7);
    expect(parseFastRequestHead('GET / HTTP/1.1\r\nHost: a')?.contentLength).toBe(0);
  });

  test('declines what Node must handle', () => {
    for (const text of [
      'GET / HTTP/1.0\r\nHost: a',
      'GET / HTTP/1.1',
      'GET / HTTP/1.1\r\nHost: a\r\nHost: b',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked',
      'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade',
      'PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue',
      'GET http://a/ HTTP/1.1\r\nHost: a',
      'GET / HTTP/1.1\r\nHost: a\r\nConnection: x-custom',
      'GET / HTTP/1.1\r\nHost: a\r\n folded',
      'GET / HTTP/1.1\r\nHost : a',
      'CONNECT a:443 HTTP/1.1\r\nHost: a',
    ]) {
      expect([text, parseFastRequestHead(text)]).toEqual([text, undefined]);
    }
    expect(parseFastRequestHead(`GET / HTTP/1.1\r\nHost: a${'\r\nX: y'.repeat(100)}`)).toBeUndefined();
    expect(parseFastRequestHead(`GET / HTTP/1.1\r\nHost: a${'\r\nX: y'.repeat(98)}`)).toBeDefined();
  });
});
