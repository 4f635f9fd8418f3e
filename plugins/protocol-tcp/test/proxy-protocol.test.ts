import fc from 'fast-check';
import net from 'node:net';
import { PROXY_V2_SIGNATURE, encodeProxyV1, encodeProxyV2, ipBytes } from '../src/proxy-protocol';
import { parseIpPort } from '../src/address';

/** A reference reader of v2 headers, written from the spec for this test. */
function decodeV2(b: Buffer) {
  expect(b.subarray(0, 12).equals(PROXY_V2_SIGNATURE)).toBe(true);
  const verCmd = b[12];
  const fam = b[13];
  const len = b.readUInt16BE(14);
  expect(b.length).toBe(16 + len);
  if (verCmd === 0x20) return { local: true as const };
  expect(verCmd).toBe(0x21);
  const v4 = fam === 0x11;
  expect(v4 || fam === 0x21).toBe(true);
  const n = v4 ? 4 : 16;
  const src = b.subarray(16, 16 + n);
  const dst = b.subarray(16 + n, 16 + 2 * n);
  const sport = b.readUInt16BE(16 + 2 * n);
  const dport = b.readUInt16BE(18 + 2 * n);
  const tlvs: Array<{ type: number; value: string }> = [];
  for (let p = 20 + 2 * n; p < b.length; ) {
    const l = b.readUInt16BE(p + 1);
    tlvs.push({ type: b[p], value: b.subarray(p + 3, p + 3 + l).toString() });
    p += 3 + l;
  }
  return { local: false as const, family: v4 ? 4 : 6, src: [...src], dst: [...dst], sport, dport, tlvs };
}

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
/** IPv6 text in many spellings: full, compressed (as Node prints it), with an IPv4 tail. */
const v6 = fc.tuple(fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }), fc.nat(2)).map(([g, style]) => {
  const full = g.map((x) => x.toString(16)).join(':');
  if (style === 0) return full;
  if (style === 1) return new URL(`http://[${full}]/`).hostname.slice(1, -1); // RFC 5952 compressed
  return `${g.slice(0, 6).map((x) => x.toString(16)).join(':')}:${g[6] >>> 8}.${g[6] & 0xff}.${g[7] >>> 8}.${g[7] & 0xff}`;
});
const port = fc.integer({ min: 0, max: 65535 });

function groupsOf(ip: string): number[] {
  const b = ipBytes(ip, 6);
  return Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
}

describe('PROXY protocol encoder', () => {
  it('writes v1 exactly as the spec shows', () => {
    expect(encodeProxyV1({ source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.2', port: 443 } }).toString()).toBe('PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n');
    expect(encodeProxyV1({ source: { address: '::1', port: 1 }, destination: { address: '::1', port: 2 } }).toString()).toBe('PROXY TCP6 ::1 ::1 1 2\r\n');
    expect(encodeProxyV1({}).toString()).toBe('PROXY UNKNOWN\r\n');
    // mixed families become IPv6; an IPv4-mapped pair becomes IPv4
    expect(encodeProxyV1({ source: { address: '10.0.0.1', port: 1 }, destination: { address: '::1', port: 2 } }).toString()).toBe('PROXY TCP6 ::ffff:a00:1 ::1 1 2\r\n');
    expect(encodeProxyV1({ source: { address: '::ffff:10.0.0.1', port: 1 }, destination: { address: '10.0.0.2', port: 2 } }).toString()).toBe('PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n');
  });

  it('v1 round-trips IPv4 and stays within 107 bytes (property)', () => {
    fc.assert(
      fc.property(v4, v4, port, port, (s, d, sp, dp) => {
        const line = encodeProxyV1({ source: { address: s, port: sp }, destination: { address: d, port: dp } }).toString('latin1');
        expect(line.length).toBeLessThanOrEqual(107);
        const m = /^PROXY TCP4 (\S+) (\S+) (\d+) (\d+)\r\n$/.exec(line)!;
        expect([m[1], m[2], Number(m[3]), Number(m[4])]).toEqual([s, d, sp, dp]);
      }),
    );
  });

  it('v1 IPv6 lines stay within 107 bytes and parse as IPv6 (property)', () => {
    fc.assert(
      fc.property(v6, v6, port, port, (s, d, sp, dp) => {
        const line = encodeProxyV1({ source: { address: s, port: sp }, destination: { address: d, port: dp } }).toString('latin1');
        expect(line.length).toBeLessThanOrEqual(107);
        const m = /^PROXY TCP6 (\S+) (\S+) (\d+) (\d+)\r\n$/.exec(line)!;
        expect(net.isIPv6(m[1]) && net.isIPv6(m[2])).toBe(true);
        expect([Number(m[3]), Number(m[4])]).toEqual([sp, dp]);
      }),
    );
  });

  it('v2 round-trips IPv4 with the SNI as an AUTHORITY TLV (property)', () => {
    fc.assert(
      fc.property(v4, v4, port, port, fc.option(fc.stringMatching(/^[a-z0-9.-]{1,60}$/), { nil: undefined }), (s, d, sp, dp, authority) => {
        const h = decodeV2(encodeProxyV2({ source: { address: s, port: sp }, destination: { address: d, port: dp }, authority }));
        expect(h).toEqual({ local: false, family: 4, src: s.split('.').map(Number), dst: d.split('.').map(Number), sport: sp, dport: dp, tlvs: authority ? [{ type: 2, value: authority }] : [] });
      }),
    );
  });

  it('v2 round-trips IPv6 in any spelling (property)', () => {
    fc.assert(
      fc.property(v6, v6, port, port, (s, d, sp, dp) => {
        const h = decodeV2(encodeProxyV2({ source: { address: s, port: sp }, destination: { address: d, port: dp } }));
        if (h.local) throw new Error('unexpected LOCAL');
        expect(h.family).toBe(6);
        const toGroups = (bytes: number[]) => Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
        expect(toGroups(h.src)).toEqual(groupsOf(s));
        expect(toGroups(h.dst)).toEqual(groupsOf(d));
        expect([h.sport, h.dport]).toEqual([sp, dp]);
      }),
    );
  });

  it('reads IPv6 text the same way the URL parser does (property)', () => {
    fc.assert(
      fc.property(v6, (ip) => {
        const full = groupsOf(ip).map((g) => g.toString(16)).join(':');
        expect(new URL(`http://[${full}]/`).hostname).toBe(new URL(`http://[${ip}]/`).hostname);
      }),
    );
  });

  it('v2 without addresses is a LOCAL header', () => {
    expect(decodeV2(encodeProxyV2({}))).toEqual({ local: true });
  });

  it('parses visitor addresses from stream headers', () => {
    expect(parseIpPort('127.0.0.1:5000')).toEqual({ address: '127.0.0.1', port: 5000 });
    expect(parseIpPort('::1:5000')).toEqual({ address: '::1', port: 5000 });
    expect(parseIpPort('[2001:db8::1]:443')).toEqual({ address: '2001:db8::1', port: 443 });
    expect(parseIpPort('host:80')).toBeUndefined();
    expect(parseIpPort(undefined)).toBeUndefined();
  });
});
