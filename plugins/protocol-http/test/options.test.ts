import protocolHttp from '../src/index';
import { HTTP_DEFAULTS, resolveHttpOptions } from '../src/options';

describe('protocol-http options', () => {
  it('has documented defaults', () => {
    const o = resolveHttpOptions(undefined);
    expect(o.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(o).toMatchObject({ maxHeaderBytes: HTTP_DEFAULTS.maxHeaderBytes, requestTimeoutMs: 300000, headersTimeoutMs: 60000, responseTimeoutMs: 60000, trustForwarded: false });
    expect(o.https).toBeUndefined();
  });

  it.each<[Record<string, unknown>, string]>([
    [{ listen: 'x' }, 'listen'],
    [{ lisen: '127.0.0.1:1' }, 'lisen'],
    [{ maxHeaderBytes: 10 }, 'maxHeaderBytes'],
    [{ requestTimeoutMs: -1 }, 'requestTimeoutMs'],
    [{ requestTimeoutMs: 1000, headersTimeoutMs: 2000 }, 'headersTimeoutMs'],
    [{ https: { listen: '127.0.0.1:8443', cert: 'c.pem' } }, 'https.key'],
    [{ https: { listen: 'nope', cert: 'c', key: 'k' } }, 'https.listen'],
    [{ https: 'yes' }, 'https'],
  ])('refuses %p naming %s', (options, path) => {
    expect(() => protocolHttp(options as never)).toThrow(expect.objectContaining({ code: 'TFGW_ERR_CONFIG', details: expect.objectContaining({ path }) }));
  });

  it('the factory returns a plugin named protocol-http', () => {
    expect(protocolHttp({ listen: '127.0.0.1:0' }).name).toBe('protocol-http');
  });
});
