import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { parseHostPort } from '../src/match';
import { thrownCode } from '../../test/helpers/errors';

const port = fc.integer({ min: 0, max: 65535 });

describe('parseHostPort', () => {
  test('names, IPv4 and bracketed IPv6 round-trip with their port', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`)), port, (host, p) => {
        expect(parseHostPort(`${host}:${p}`)).toEqual({ host: host.replace(/^\[(.*)\]$/, '$1'), port: p });
      }),
    );
  });

  test('an empty host is 0.0.0.0; a bare port takes the default host when there is one', () => {
    expect(parseHostPort(':8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseHostPort('8080', '--tcp', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseHostPort('[fe80::1%eth0]:22')).toEqual({ host: 'fe80::1%eth0', port: 22 });
  });

  test.each(['8080', 'host', 'host:', 'host:99999', '[::1]', '[.]:80', '[:]:80', '[1.2.3.4]:80', '[zz]:80', 'a b:80', ''])('%p is TFGW_ERR_CONFIG naming the key', (text) => {
    let err: unknown;
    try {
      parseHostPort(text, 'agent.services[0].target');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'TFGW_ERR_CONFIG', details: { path: 'agent.services[0].target' } });
  });

  test('a bracketed host is accepted only when it is an IPv6 address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), fc.stringOf(fc.constantFrom('0', '1', 'a', 'F', ':', '.'), { maxLength: 12 })), port, (inner, p) => {
        const code = thrownCode(() => parseHostPort(`[${inner}]:${p}`));
        expect(code).toBe(isIPv6(inner) ? undefined : 'TFGW_ERR_CONFIG');
      }),
    );
  });

  test('arbitrary text parses or gives TFGW_ERR_CONFIG, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.stringOf(fc.constantFrom('a', '1', ':', '[', ']', '.', ' ', '%'), { maxLength: 20 })), (text) => {
        const code = thrownCode(() => parseHostPort(text));
        if (code !== undefined) expect(code).toBe('TFGW_ERR_CONFIG');
      }),
    );
  });
});
