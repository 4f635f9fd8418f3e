import fc from 'fast-check';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { parseClientHello } from '../src/client-hello';

const u16 = (n: number) => Buffer.from([n >>> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >>> 16, (n >>> 8) & 0xff, n & 0xff]);

interface HelloSpec {
  random: Uint8Array;
  sessionId: Uint8Array;
  suites: number[];
  compression: Uint8Array;
  others: Array<{ type: number; data: Uint8Array }>;
  name?: string;
  namePos: number;
}

function sniExtension(name: string): Buffer {
  const host = Buffer.from(name, 'latin1');
  const entry = Buffer.concat([Buffer.from([0]), u16(host.length), host]);
  const list = Buffer.concat([u16(entry.length), entry]);
  return Buffer.concat([u16(0), u16(list.length), list]);
}

function helloBody(s: HelloSpec): Buffer {
  const exts: Buffer[] = s.others.map((e) => Buffer.concat([u16(e.type), u16(e.data.length), Buffer.from(e.data)]));
  if (s.name !== undefined) exts.splice(s.namePos % (exts.length + 1), 0, sniExtension(s.name));
  const extBytes = Buffer.concat(exts);
  return Buffer.concat([
    u16(0x0303),
    Buffer.from(s.random),
    Buffer.from([s.sessionId.length]),
    Buffer.from(s.sessionId),
    u16(s.suites.length * 2),
    Buffer.concat(s.suites.map(u16)),
    Buffer.from([s.compression.length]),
    Buffer.from(s.compression),
    u16(extBytes.length),
    extBytes,
  ]);
}

/** Split the handshake message into TLS records of the given sizes. */
function records(message: Buffer, sizes: number[]): Buffer {
  const out: Buffer[] = [];
  let off = 0;
  let i = 0;
  while (off < message.length) {
    const n = Math.min(message.length - off, 1 + ((sizes[i++ % Math.max(sizes.length, 1)] ?? 16383) % 16384));
    out.push(Buffer.from([22, 3, 1]), u16(n), message.subarray(off, off + n));
    off += n;
  }
  return Buffer.concat(out);
}

const label = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?$/);
const hostName = fc.tuple(fc.array(label, { minLength: 1, maxLength: 5 }), fc.boolean()).map(([ls, dot]) => ls.join('.') + (dot ? '.' : ''));

const helloSpec: fc.Arbitrary<HelloSpec> = fc.record({
  random: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  sessionId: fc.uint8Array({ maxLength: 32 }),
  suites: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 }),
  compression: fc.uint8Array({ minLength: 1, maxLength: 3 }),
  others: fc.uniqueArray(fc.record({ type: fc.integer({ min: 1, max: 0xffff }), data: fc.uint8Array({ maxLength: 400 }) }), { maxLength: 12, selector: (e) => e.type }),
  name: fc.option(hostName, { nil: undefined }),
  namePos: fc.nat(),
});

const expected = (name: string | undefined) => (name === undefined ? undefined : name.replace(/\.$/, '').toLowerCase());

describe('ClientHello SNI parser', () => {
  it('finds the server name however the hello is split into records (property)', () => {
    fc.assert(
      fc.property(helloSpec, fc.array(fc.nat(), { maxLength: 8 }), (spec, sizes) => {
        const body = helloBody(spec);
        const msg = Buffer.concat([Buffer.from([1]), u24(body.length), body]);
        const wire = records(msg, sizes);
        const r = parseClientHello(wire, 65536);
        expect(r).toEqual({ kind: 'hello', serverName: expected(spec.name), consumed: wire.length, recordVersion: 0x0301 });
      }),
      { numRuns: 400 },
    );
  });

  it('says incomplete for every strict prefix of a hello (property)', () => {
    fc.assert(
      fc.property(helloSpec, fc.array(fc.nat(), { maxLength: 4 }), fc.nat(), (spec, sizes, at) => {
        const body = helloBody(spec);
        const msg = Buffer.concat([Buffer.from([1]), u24(body.length), body]);
        const wire = records(msg, sizes);
        const k = at % wire.length;
        expect(parseClientHello(wire.subarray(0, k), 65536).kind).toBe('incomplete');
      }),
      { numRuns: 400 },
    );
  });

  it('ignores bytes after the hello (the next flight) (property)', () => {
    fc.assert(
      fc.property(helloSpec, fc.uint8Array({ minLength: 1, maxLength: 100 }), (spec, extra) => {
        const body = helloBody(spec);
        const wire = records(Buffer.concat([Buffer.from([1]), u24(body.length), body]), []);
        const r = parseClientHello(Buffer.concat([wire, extra]), 65536);
        expect(r.kind).toBe('hello');
      }),
    );
  });

  it('never throws on arbitrary bytes, and bounds the message size (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, asTls) => {
        const data = asTls && bytes.length > 5 ? Buffer.concat([Buffer.from([22, 3, 1]), Buffer.from(bytes)]) : Buffer.from(bytes);
        const r = parseClientHello(data, 256);
        expect(['incomplete', 'not-tls', 'invalid', 'hello']).toContain(r.kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses an oversized hello before it is complete', () => {
    const head = Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x01, 0x00, 0x00]);
    const r = parseClientHello(head, 16384);
    expect(r.kind).toBe('invalid');
  });

  it('tells TLS from other protocols', () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')).kind).toBe('not-tls');
    expect(parseClientHello(Buffer.from([0x80, 0x2e, 0x01])).kind).toBe('not-tls');
    expect(parseClientHello(Buffer.from([22, 3, 1, 0, 0])).kind).toBe('invalid');
    // server_name with a byte that is not allowed in a host name
    const bad = helloBody({ random: new Uint8Array(32), sessionId: new Uint8Array(0), suites: [0x1301], compression: new Uint8Array([0]), others: [], name: 'a b', namePos: 0 });
    expect(parseClientHello(records(Buffer.concat([Buffer.from([1]), u24(bad.length), bad]), []))).toMatchObject({ kind: 'invalid' });
  });

  async function captureHello(opts: tls.ConnectionOptions): Promise<Buffer> {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const got = new Promise<Buffer>((resolve) => {
      srv.once('connection', (s) => {
        let buf = Buffer.alloc(0);
        s.on('data', (c: Buffer) => {
          buf = Buffer.concat([buf, c]);
          if (parseClientHello(buf).kind !== 'incomplete') {
            s.destroy();
            resolve(buf);
          }
        });
      });
    });
    const client = tls.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, rejectUnauthorized: false, ...opts });
    client.on('error', () => undefined);
    const hello = await got;
    client.destroy();
    srv.close();
    return hello;
  }

  it('reads the SNI of a real ClientHello from Node (OpenSSL), fed byte by byte', async () => {
    const hello = await captureHello({ servername: 'Secure.Demo.tfgw.localhost' });
    expect(parseClientHello(hello)).toMatchObject({ kind: 'hello', serverName: 'secure.demo.tfgw.localhost' });
    for (let k = 0; k < hello.length; k++) expect(parseClientHello(hello.subarray(0, k)).kind).toBe('incomplete');
  });

  it('reports no name for a real ClientHello without SNI', async () => {
    const hello = await captureHello({ servername: '' });
    expect(parseClientHello(hello)).toMatchObject({ kind: 'hello', serverName: undefined });
  });
});
