import fc from 'fast-check';
import { TfgwError } from '@tfgw/core';
import {
  AddressType,
  encodeAddress,
  encodeReply,
  encodeSocksDatagram,
  parseGreeting,
  parseRequest,
  parseSocksDatagram,
  parseUserPass,
} from '../src/socks5/wire';
import { resultOrCode } from '../../../test/helpers/errors';

/** Domain names as clients send them: 1-255 bytes (latin1, so every byte value round-trips). */
const domain = fc.uint8Array({ minLength: 1, maxLength: 255 }).map((b) => Buffer.from(b).toString('latin1')).filter((d) => !/^[\d.]+$/.test(d) && !d.includes(':'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const port = fc.integer({ min: 0, max: 65535 });
const command = fc.integer({ min: 0, max: 255 });

function requestBytes(cmd: number, host: string, p: number): Buffer {
  return Buffer.concat([Buffer.from([5, cmd, 0]), encodeAddress(host, p)]);
}

describe('SOCKS5 wire parser', () => {
  it('parses a greeting, asks for more bytes while incomplete, and rejects other versions', () => {
    expect(parseGreeting(Buffer.from([5, 2, 0, 2]))).toEqual({ complete: true, bytes: 4, value: { methods: [0, 2] } });
    expect(parseGreeting(Buffer.from([5, 2, 0]))).toEqual({ complete: false });
    expect(resultOrCode(() => parseGreeting(Buffer.from([4, 1, 0])))).toBe('TFGW_ERR_BAD_MESSAGE');
    expect(resultOrCode(() => parseGreeting(Buffer.from([5, 0])))).toBe('TFGW_ERR_BAD_MESSAGE');
  });

  it('an unknown address type carries reply 0x08', () => {
    let err: TfgwError | undefined;
    try {
      parseRequest(Buffer.from([5, 1, 0, 9, 1, 2, 3, 4, 0, 80]));
    } catch (e) {
      err = e as TfgwError;
    }
    expect(err?.details?.socksReply).toBe(0x08);
  });

  it('property: request round trip for domains, IPv4 and IPv6, with trailing payload left alone', () => {
    const host = fc.oneof(domain, ipv4, fc.constantFrom('::1', '2001:db8::7', 'fe80::1:2:3:4'));
    fc.assert(
      fc.property(command, host, port, fc.uint8Array({ maxLength: 20 }), (cmd, h, p, tail) => {
        const bytes = requestBytes(cmd, h, p);
        const r = parseRequest(Buffer.concat([bytes, Buffer.from(tail)]));
        expect(r.complete).toBe(true);
        if (!r.complete) return;
        expect(r.bytes).toBe(bytes.length);
        expect(r.value.command).toBe(cmd);
        expect(r.value.port).toBe(p);
        if (r.value.type === AddressType.DOMAIN) expect(r.value.host).toBe(h);
        else expect(encodeAddress(r.value.host, p)).toEqual(encodeAddress(h, p));
      }),
      { seed: 201, numRuns: 500 },
    );
  });

  it('property: every strict prefix of a request is incomplete', () => {
    fc.assert(
      fc.property(command, fc.oneof(domain, ipv4), port, (cmd, h, p) => {
        const bytes = requestBytes(cmd, h, p);
        for (let n = 0; n < bytes.length; n++) expect(parseRequest(bytes.subarray(0, n))).toEqual({ complete: false });
      }),
      { seed: 202, numRuns: 200 },
    );
  });

  it('property: arbitrary bytes give incomplete, a request, or TFGW_ERR_BAD_MESSAGE, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const buf = Buffer.from(b);
        for (const parse of [parseGreeting, parseUserPass, parseRequest]) {
          const r = resultOrCode(() => parse(buf));
          if (typeof r === 'string') expect(r).toBe('TFGW_ERR_BAD_MESSAGE');
          else if (r.complete) expect(r.bytes).toBeLessThanOrEqual(buf.length);
        }
        const d = parseSocksDatagram(buf);
        if (d) expect(d.data.length).toBeLessThanOrEqual(buf.length);
      }),
      { seed: 203, numRuns: 2000 },
    );
  });

  it('property: username/password round trip (RFC 1929)', () => {
    const text = fc.string({ minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(text, fc.string({ maxLength: 60 }), (user, pass) => {
        const u = Buffer.from(user);
        const p = Buffer.from(pass);
        fc.pre(u.length <= 255 && p.length <= 255);
        const bytes = Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]);
        expect(parseUserPass(bytes)).toEqual({ complete: true, bytes: bytes.length, value: { username: user, password: pass } });
        expect(parseUserPass(bytes.subarray(0, bytes.length - 1))).toEqual({ complete: false });
      }),
      { seed: 204, numRuns: 300 },
    );
  });

  it('property: UDP datagram round trip; fragments are flagged', () => {
    fc.assert(
      fc.property(fc.oneof(domain, ipv4), port, fc.uint8Array({ maxLength: 200 }), (h, p, data) => {
        const d = parseSocksDatagram(encodeSocksDatagram(h, p, Buffer.from(data)));
        expect(d).toBeDefined();
        expect(d!.frag).toBe(0);
        expect(d!.port).toBe(p);
        expect(Buffer.from(d!.data)).toEqual(Buffer.from(data));
      }),
      { seed: 205, numRuns: 300 },
    );
  });

  it('replies carry the bound address (IPv4-mapped addresses as IPv4)', () => {
    expect(encodeReply(0, '::ffff:127.0.0.1', 1080)).toEqual(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38]));
    expect(encodeReply(2)).toEqual(Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
  });
});
