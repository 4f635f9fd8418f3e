import net from 'node:net';
import crypto from 'node:crypto';
import fc from 'fast-check';
import {
  TfgwError,
  createSelfSignedCert,
  formatEndpoint,
  ipv6Bytes,
  normalizeFingerprint,
  parseConnectResponse,
  parseEndpoint,
  parseProxyUrl,
  parseSocks5Reply,
  socks5ConnectRequest,
  type FrameParse,
} from '@tfgw/core';

/** The value type an arbitrary generates. */
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** Runs `fn` and returns the TfgwError code it threw, 'ok' when it returned, or rethrows anything else. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof TfgwError) return err.code;
    throw err;
  }
}

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const headerValue = fc.stringMatching(/^[ -~]{0,40}$/).map((s) => s.trim());
const reason = fc.stringMatching(/^[ -~]{0,30}$/);

describe('parseConnectResponse (HTTP CONNECT answers)', () => {
  const response = fc.record({
    status: fc.integer({ min: 100, max: 599 }),
    reason,
    headers: fc.array(fc.tuple(token, headerValue), { maxLength: 8 }),
    eol: fc.constantFrom('\r\n', '\n'),
    minor: fc.constantFrom('0', '1'),
    tail: fc.uint8Array({ maxLength: 64 }),
  });
  const build = (r: ValueOf<typeof response>): { head: Buffer; all: Buffer } => {
    const statusLine = `HTTP/1.${r.minor} ${r.status}${r.reason ? ` ${r.reason}` : ''}`;
    const head = Buffer.from([statusLine, ...r.headers.map(([k, v]) => `${k}: ${v}`), '', ''].join(r.eol), 'latin1');
    return { head, all: Buffer.concat([head, Buffer.from(r.tail)]) };
  };

  test('a complete head gives its status, reason and exact length, whatever follows', () => {
    fc.assert(
      fc.property(response, (r) => {
        const { head, all } = build(r);
        const parsed = parseConnectResponse(all);
        expect(parsed).toEqual({ complete: true, bytes: head.length, value: { status: r.status, reason: r.reason } });
      }),
    );
  });

  test('every strict prefix of the head is incomplete', () => {
    fc.assert(
      fc.property(response, fc.nat(), (r, cut) => {
        const { head } = build(r);
        const prefix = head.subarray(0, cut % head.length);
        expect(parseConnectResponse(prefix)).toEqual({ complete: false });
      }),
    );
  });

  test('arbitrary bytes never throw anything but TFGW_ERR_PROXY', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(['ok', 'TFGW_ERR_PROXY']).toContain(outcome(() => parseConnectResponse(Buffer.from(bytes))));
      }),
    );
  });

  test('text-like garbage with line breaks is rejected or incomplete, never misread as success', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[^\n]{0,20}$/), { minLength: 3, maxLength: 6 }), (lines) => {
        fc.pre(!/^HTTP\/1\.[01] [1-5]\d\d(?: |$)/.test(lines[0].replace(/\r$/, '')));
        const buf = Buffer.from(lines.join('\n') + '\n\n', 'latin1');
        let r: FrameParse<unknown> | undefined;
        const code = outcome(() => (r = parseConnectResponse(buf)));
        expect(code === 'TFGW_ERR_PROXY' || r?.complete === false).toBe(true);
      }),
    );
  });

  test('an endless head is refused at the limit', () => {
    const big = Buffer.from(`HTTP/1.1 200 OK\r\n${'X-Pad: y\r\n'.repeat(2000)}`);
    expect(outcome(() => parseConnectResponse(big, 16 * 1024))).toBe('TFGW_ERR_PROXY');
    expect(outcome(() => parseConnectResponse(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), 8))).toBe('TFGW_ERR_PROXY');
  });
});

describe('SOCKS5 messages', () => {
  const boundAddress = fc.oneof(
    fc.ipV4().map((ip) => ({ atyp: 1, bytes: Buffer.from(ip.split('.').map(Number)), text: ip })),
    fc.ipV6().map((ip) => ({ atyp: 4, bytes: ipv6Bytes(ip), text: undefined as string | undefined })),
    fc.domain().map((d) => ({ atyp: 3, bytes: Buffer.concat([Buffer.from([d.length]), Buffer.from(d)]), text: d })),
  );
  const reply = fc.record({ rep: fc.integer({ min: 0, max: 255 }), addr: boundAddress, port: fc.integer({ min: 0, max: 65535 }), tail: fc.uint8Array({ maxLength: 32 }) });
  const encode = (r: ValueOf<typeof reply>): Buffer => {
    const port = Buffer.alloc(2);
    port.writeUInt16BE(r.port);
    return Buffer.concat([Buffer.from([5, r.rep, 0, r.addr.atyp]), r.addr.bytes, port]);
  };

  test('a reply parses to its code, address and port, with its exact length', () => {
    fc.assert(
      fc.property(reply, (r) => {
        const msg = encode(r);
        const parsed = parseSocks5Reply(Buffer.concat([msg, Buffer.from(r.tail)]));
        if (!parsed.complete) throw new Error('incomplete');
        expect(parsed.bytes).toBe(msg.length);
        expect(parsed.value.reply).toBe(r.rep);
        expect(parsed.value.boundPort).toBe(r.port);
        if (r.addr.text !== undefined) expect(parsed.value.boundHost).toBe(r.addr.text);
      }),
    );
  });

  test('every strict prefix of a reply is incomplete', () => {
    fc.assert(
      fc.property(reply, fc.nat(), (r, cut) => {
        const msg = encode(r);
        expect(parseSocks5Reply(msg.subarray(0, cut % msg.length))).toEqual({ complete: false });
      }),
    );
  });

  test('arbitrary bytes never throw anything but TFGW_ERR_PROXY', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(['ok', 'TFGW_ERR_PROXY']).toContain(outcome(() => parseSocks5Reply(Buffer.from(bytes))));
      }),
    );
  });

  test('ipv6Bytes agrees with the URL parser on every IPv6 spelling', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const bytes = ipv6Bytes(ip);
        const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
        expect(new URL(`http://[${groups}]/`).hostname).toBe(new URL(`http://[${ip}]/`).hostname);
      }),
    );
  });

  test('CONNECT requests carry IPs as addresses and names for the proxy to resolve', () => {
    expect(socks5ConnectRequest({ host: '10.1.2.3', port: 443 })).toEqual(Buffer.from([5, 1, 0, 1, 10, 1, 2, 3, 1, 187]));
    expect(socks5ConnectRequest({ host: '::1', port: 80 })).toEqual(Buffer.concat([Buffer.from([5, 1, 0, 4]), Buffer.alloc(15), Buffer.from([1, 0, 80])]));
    expect(socks5ConnectRequest({ host: 'gw.example', port: 7000 })).toEqual(Buffer.concat([Buffer.from([5, 1, 0, 3, 10]), Buffer.from('gw.example'), Buffer.from([0x1b, 0x58])]));
    expect(outcome(() => socks5ConnectRequest({ host: 'a'.repeat(256), port: 1 }))).toBe('TFGW_ERR_CONFIG');
  });
});

describe('parseEndpoint', () => {
  const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain());
  test('formatEndpoint and parseEndpoint round-trip', () => {
    fc.assert(
      fc.property(host, fc.integer({ min: 0, max: 65535 }), (h, port) => {
        expect(parseEndpoint(formatEndpoint(h, port))).toEqual({ host: h, port });
      }),
    );
  });

  test('anything else is TFGW_ERR_CONFIG naming the key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        let err: unknown;
        try {
          parseEndpoint(text, 'listen');
        } catch (e) {
          err = e;
        }
        if (err === undefined) return;
        expect((err as TfgwError).code).toBe('TFGW_ERR_CONFIG');
        expect((err as TfgwError).details?.path).toBe('listen');
      }),
    );
    for (const bad of ['abc', '1.2.3.4', ':', 'h:99999', '[nope]:1', 'h: 1', 'a b:1', 'http://h:1']) {
      expect(outcome(() => parseEndpoint(bad, 'listen'))).toBe('TFGW_ERR_CONFIG');
    }
    expect(() => parseEndpoint('abc', 'listen')).toThrow('listen: expected "host:port", got "abc"');
  });
});

describe('normalizeFingerprint', () => {
  test('every spelling of a fingerprint normalises to the Node / OpenSSL form', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), fc.boolean(), fc.constantFrom('', 'sha256:', 'SHA256/', 'sha-256='), (bytes, upper, colons, prefix) => {
        const hex = Buffer.from(bytes).toString('hex');
        const canonical = hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
        let spelled = upper ? hex.toUpperCase() : hex;
        if (colons) spelled = spelled.replace(/(..)(?!$)/g, '$1:');
        expect(normalizeFingerprint(prefix + spelled)).toBe(canonical);
      }),
    );
  });

  test('it matches what Node reports for a certificate', () => {
    const { cert } = createSelfSignedCert();
    const fp = new crypto.X509Certificate(cert).fingerprint256;
    expect(normalizeFingerprint(fp.replace(/:/g, '').toLowerCase())).toBe(fp);
  });

  test('wrong lengths and non-hex are TFGW_ERR_CONFIG', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (text) => {
        fc.pre(!/^[0-9a-f]{64}$/i.test(text.replace(/^sha-?256[:/=]?/i, '').replace(/[:\s]/g, '')));
        expect(outcome(() => normalizeFingerprint(text))).toBe('TFGW_ERR_CONFIG');
      }),
    );
  });
});

describe('parseProxyUrl', () => {
  test('credentials of any characters survive percent-encoding', () => {
    fc.assert(
      fc.property(fc.constantFrom('socks5', 'socks5h', 'http'), fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 65535 }), (scheme, user, pass, port) => {
        const spec = parseProxyUrl(`${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@proxy.example:${port}`);
        expect(spec).toEqual({ protocol: scheme === 'http' ? 'http' : 'socks5', host: 'proxy.example', port, username: user, password: pass });
      }),
    );
  });

  test('defaults, IPv6 and refusals', () => {
    expect(parseProxyUrl('socks5://10.0.0.1')).toEqual({ protocol: 'socks5', host: '10.0.0.1', port: 1080 });
    expect(parseProxyUrl('http://[::1]:3128/')).toEqual({ protocol: 'http', host: '::1', port: 3128 });
    for (const bad of ['ftp://h:21', 'not a url', 'http://h:1/path', 'socks5://h:1?x=1', 'https://h:443']) {
      expect(outcome(() => parseProxyUrl(bad))).toBe('TFGW_ERR_CONFIG');
    }
  });
});

test('net.isIP agrees that generated IPv6 addresses are IPv6 (sanity of the generator)', () => {
  fc.assert(fc.property(fc.ipV6(), (ip) => net.isIPv6(ip)));
});
