import { TfgwError } from '@tfgw/core';
import clientIngress from '../src/index';
import { resolveOptions } from '../src/options';
import { REFUSALS, refusalFor } from '../src/refusal';

function configError(raw: unknown): { message: string; path: unknown } {
  try {
    resolveOptions(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(TfgwError);
    expect((err as TfgwError).code).toBe('TFGW_ERR_CONFIG');
    return { message: (err as TfgwError).message, path: (err as TfgwError).details?.path };
  }
  throw new Error('expected a TFGW_ERR_CONFIG error');
}

describe('client-ingress options', () => {
  it('applies defaults', () => {
    const o = resolveOptions({});
    expect(o).toEqual({ forwards: [], handshakeTimeoutMs: 10000, connectTimeoutMs: 15000, udpIdleTimeoutMs: 60000 });
    expect(clientIngress({}).name).toBe('client-ingress');
  });

  it('resolves listeners and forwards (CLI shape)', () => {
    const o = resolveOptions({
      socks: '127.0.0.1:1080',
      httpProxy: '[::1]:8118',
      forwards: [
        { listen: '127.0.0.1:5432', agent: 'DB', target: '10.0.0.5:5432', protocol: 'tcp' },
        { listen: '127.0.0.1:5353', agent: 'dns', service: 'NS', protocol: 'udp' },
        { listen: '127.0.0.1:8000', agent: 'demo', service: '' },
      ],
    });
    expect(o.socks).toEqual({ host: '127.0.0.1', port: 1080 });
    expect(o.httpProxy).toEqual({ host: '::1', port: 8118 });
    expect(o.forwards).toEqual([
      { listen: { host: '127.0.0.1', port: 5432 }, agent: 'db', target: '10.0.0.5:5432', protocol: 'tcp', path: 'forwards[0]' },
      { listen: { host: '127.0.0.1', port: 5353 }, agent: 'dns', service: 'ns', protocol: 'udp', path: 'forwards[1]' },
      { listen: { host: '127.0.0.1', port: 8000 }, agent: 'demo', service: '', protocol: 'tcp', path: 'forwards[2]' },
    ]);
  });

  it.each([
    [{ socks: 'x' }, 'socks', 'socks: expected "host:port", got "x"'],
    [{ socks: 1080 }, 'socks', 'socks: expected "host:port", got 1080'],
    [{ httpProxy: 'localhost' }, 'httpProxy', 'httpProxy: expected "host:port"'],
    [{ socksAuth: { username: 'a', password: 'b' } }, 'socksAuth', 'socksAuth: needs "socks" too'],
    [{ socks: ':1', socksAuth: { username: '', password: 'b' } }, 'socks', 'socks: expected'],
    [{ socks: '127.0.0.1:1', socksAuth: { username: '', password: 'b' } }, 'socksAuth.username', 'expected a string of 1-255 bytes'],
    [{ socks: '127.0.0.1:1', socksAuth: { username: 'a', pass: 'b' } }, 'socksAuth.pass', 'unknown option'],
    [{ forwards: {} }, 'forwards', 'expected an array'],
    [{ forwards: [{ listen: '127.0.0.1:1', agent: 'a' }] }, 'forwards[0]', 'exactly one of "service" and "target"'],
    [{ forwards: [{ listen: '127.0.0.1:1', agent: 'a', service: 's', target: 'h:1' }] }, 'forwards[0]', 'exactly one of'],
    [{ forwards: [{ listen: '127.0.0.1:1', agent: 'a b', service: 's' }] }, 'forwards[0].agent', 'expected an agent name'],
    [{ forwards: [{ listen: '127.0.0.1:1', agent: 'a', service: 's', protocol: 'sctp' }] }, 'forwards[0].protocol', 'expected "tcp" or "udp"'],
    [{ forwards: [{ listen: '127.0.0.1:1', agent: 'a', target: 'nohost' }] }, 'forwards[0].target', 'expected "host:port"'],
    [{ forwards: [{ listen: 'x', agent: 'a', service: 's' }] }, 'forwards[0].listen', 'expected "host:port"'],
    [{ forwards: [{ listen: '127.0.0.1:1', agent: 'a', service: 's', port: 3 }] }, 'forwards[0].port', 'unknown option'],
    [{ udpIdleTimeoutMs: 0 }, 'udpIdleTimeoutMs', 'positive integer'],
    [{ sock: '127.0.0.1:1080' }, 'sock', 'unknown option'],
  ])('rejects %j at %s', (raw, path, message) => {
    const e = configError(raw);
    expect(e.path).toBe(path);
    expect(e.message).toContain(message);
  });

  it('the factory validates (TFGW_ERR_CONFIG before anything starts)', () => {
    expect(() => clientIngress({ socks: 'nope' })).toThrow(TfgwError);
  });
});

describe('refusal table', () => {
  it('maps every documented code to its SOCKS5 reply and HTTP status', () => {
    expect(REFUSALS).toEqual({
      TFGW_ERR_TARGET_NOT_ALLOWED: { socks: 0x02, http: 403 },
      TFGW_ERR_FORBIDDEN: { socks: 0x02, http: 403 },
      TFGW_ERR_UNKNOWN_AGENT: { socks: 0x04, http: 404 },
      TFGW_ERR_UNKNOWN_SERVICE: { socks: 0x04, http: 404 },
      TFGW_ERR_AGENT_OFFLINE: { socks: 0x03, http: 503 },
      TFGW_ERR_SERVICE_UNREACHABLE: { socks: 0x05, http: 502 },
      TFGW_ERR_TIMEOUT: { socks: 0x06, http: 504 },
      TFGW_ERR_BAD_MESSAGE: { socks: 0x04, http: 400 },
      TFGW_ERR_UNKNOWN_PROTOCOL: { socks: 0x07, http: 502 },
    });
    expect(refusalFor('TFGW_ERR_SESSION_CLOSED')).toEqual({ socks: 0x01, http: 502 });
  });
});
