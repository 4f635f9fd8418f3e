import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { parseAbsoluteTarget, parseConnectTarget } from '../src/http/request-target';
import { thrownCode } from '../../../test/helpers/errors';

const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const label = fc.array(fc.oneof(alnum, fc.constantFrom('-', '_')), { minLength: 1, maxLength: 20 }).map((c) => c.join(''));
const hostname = fc.array(label, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const port = fc.integer({ min: 1, max: 65535 });

describe('HTTP proxy request targets', () => {
  it('CONNECT takes host:port and [v6]:port; anything else is a bad request', () => {
    expect(parseConnectTarget('www.demo.tfgw.localhost:443')).toEqual({ host: 'www.demo.tfgw.localhost', port: 443 });
    expect(parseConnectTarget('[::1]:22')).toEqual({ host: '::1', port: 22 });
    expect(parseConnectTarget('[::FFFF:10.0.0.1]:80')).toEqual({ host: '::ffff:10.0.0.1', port: 80 });
    for (const bad of ['www.demo.tfgw.localhost', 'host:0', 'host:65536', 'http://x/', '/path', 'a b:80', 'host:80/x', '', '[.]:80', '[:]:80', '[1]:80', '[1.2.3.4]:80', '[:::]:80']) {
      expect(thrownCode(() => parseConnectTarget(bad))).toBe('TFGW_ERR_BAD_MESSAGE');
    }
  });

  it('absolute-URI requests need http:// (https goes through CONNECT, origin-form is not a proxy request)', () => {
    expect(parseAbsoluteTarget('http://www.demo.tfgw.localhost/')).toEqual({ host: 'www.demo.tfgw.localhost', port: 80, path: '/' });
    expect(parseAbsoluteTarget('http://WWW.Demo.tfgw.localhost:8080/a/b?c=d')).toEqual({ host: 'www.demo.tfgw.localhost', port: 8080, path: '/a/b?c=d' });
    expect(parseAbsoluteTarget('http://www.demo.tfgw.localhost')).toEqual({ host: 'www.demo.tfgw.localhost', port: 80, path: '/' });
    for (const bad of ['https://www.demo.tfgw.localhost/', '/index.html', '*', 'ftp://x/', 'http://', 'http://:80/']) {
      expect(thrownCode(() => parseAbsoluteTarget(bad))).toBe('TFGW_ERR_BAD_MESSAGE');
    }
  });

  it('property: CONNECT host:port round trip', () => {
    fc.assert(
      fc.property(fc.oneof(hostname, ipv4), port, (h, p) => {
        expect(parseConnectTarget(`${h}:${p}`)).toEqual({ host: h, port: p });
      }),
      { seed: 301, numRuns: 500 },
    );
  });

  it('property: absolute URI round trip (host, port, path and query)', () => {
    const segment = fc.array(alnum, { maxLength: 10 }).map((c) => c.join(''));
    const path = fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`);
    const query = fc.option(fc.array(alnum, { minLength: 1, maxLength: 10 }).map((c) => `?q=${c.join('')}`), { nil: '' });
    fc.assert(
      fc.property(hostname.map((h) => `${h.replace(/_/g, 'u')}.x${h.length}`), fc.option(port, { nil: undefined }), path, query, (h, p, pa, q) => {
        const url = `http://${h}${p === undefined ? '' : `:${p}`}${pa}${q}`;
        expect(parseAbsoluteTarget(url)).toEqual({ host: h, port: p ?? 80, path: `${pa}${q}` });
      }),
      { seed: 302, numRuns: 500 },
    );
  });

  it('property: arbitrary request targets parse or give TFGW_ERR_BAD_MESSAGE, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }).map((s) => `http://${s}`)), (s) => {
        for (const parse of [parseConnectTarget, parseAbsoluteTarget]) {
          const c = thrownCode(() => parse(s));
          if (c !== undefined) expect(c).toBe('TFGW_ERR_BAD_MESSAGE');
        }
      }),
      { seed: 303, numRuns: 2000 },
    );
  });

  it('property: a bracketed CONNECT host is accepted only when it is an IPv6 address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), fc.stringOf(fc.constantFrom('0', '1', 'a', 'F', ':', '.'), { maxLength: 12 })), port, (inner, p) => {
        const c = thrownCode(() => parseConnectTarget(`[${inner}]:${p}`));
        if (isIPv6(inner)) {
          expect(c).toBeUndefined();
          expect(parseConnectTarget(`[${inner}]:${p}`)).toEqual({ host: inner.toLowerCase(), port: p });
        } else expect(c).toBe('TFGW_ERR_BAD_MESSAGE');
      }),
      { seed: 304, numRuns: 1000 },
    );
  });
});
