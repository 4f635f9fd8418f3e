import fc from 'fast-check';
import type { IncomingHttpHeaders } from 'node:http';
import { outgoingRequestHeaders, stripResponseHopByHop } from '../src/headers';
import { compileRouteOptions } from '../src/route-options';
import { checkBasicAuth } from '../src/basic-auth';

const HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect'];
const name = fc.stringOf(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-'.split('')), { minLength: 1, maxLength: 12 });
const headersArb = fc.dictionary(fc.oneof(name, fc.constantFrom(...HOP, 'host', 'x-forwarded-for', 'forwarded', 'authorization')), fc.string({ maxLength: 20 })) as fc.Arbitrary<IncomingHttpHeaders>;
const facts = { address: '192.0.2.7', proto: 'http' as const, trust: false, upgrade: false, dropAuthorization: false, changes: [] };

describe('outgoingRequestHeaders', () => {
  it('never forwards hop-by-hop headers or those named in Connection, and always sets the forwarding headers', () => {
    fc.assert(
      fc.property(headersArb, fc.array(name, { maxLength: 3 }), (incoming, listed) => {
        const h = { ...incoming, connection: listed.join(', ') };
        const out = outgoingRequestHeaders(h, facts);
        for (const k of HOP) expect(Object.hasOwn(out, k)).toBe(false);
        for (const k of listed) if (k !== 'host' && !['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'].includes(k)) expect(Object.hasOwn(out, k)).toBe(false);
        expect(out['x-forwarded-for']).toBe('192.0.2.7');
        expect(out['x-forwarded-proto']).toBe('http');
        expect(out.forwarded).toMatch(/^for=192\.0\.2\.7(;host=.*)?;proto=http$/);
        if (h.host !== undefined) expect(out.host).toBe(h.host);
        for (const [k, v] of Object.entries(h)) {
          if (!HOP.includes(k) && !listed.includes(k) && !['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'].includes(k)) expect(out[k]).toBe(v);
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 100) },
    );
  });

  it('extends the chains only when told to trust them', () => {
    const incoming = { host: 'a.example', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', forwarded: 'for=10.0.0.1;proto=https' };
    expect(outgoingRequestHeaders(incoming, facts)).toMatchObject({ 'x-forwarded-for': '192.0.2.7', 'x-forwarded-proto': 'http', forwarded: 'for=192.0.2.7;host=a.example;proto=http' });
    expect(outgoingRequestHeaders(incoming, { ...facts, trust: true })).toMatchObject({
      'x-forwarded-for': '10.0.0.1, 192.0.2.7',
      'x-forwarded-proto': 'https',
      forwarded: 'for=10.0.0.1;proto=https, for=192.0.2.7;host=a.example;proto=http',
    });
  });

  it('keeps Connection: upgrade and Upgrade for upgrades, drops consumed credentials, applies route changes last', () => {
    const out = outgoingRequestHeaders(
      { host: 'h', connection: 'Upgrade', upgrade: 'websocket', authorization: 'Basic x', 'user-agent': 'ua' },
      { ...facts, upgrade: true, dropAuthorization: true, changes: [{ name: 'user-agent', value: null }, { name: 'x-added', value: '1' }] },
    );
    expect(out).toMatchObject({ connection: 'upgrade', upgrade: 'websocket', 'x-added': '1' });
    expect(out.authorization).toBeUndefined();
    expect(out['user-agent']).toBeUndefined();
  });

  it('strips hop-by-hop response headers', () => {
    expect({ ...stripResponseHopByHop({ connection: 'close, x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'content-type': 'text/plain' }) }).toEqual({ 'content-type': 'text/plain' });
  });
});

describe('route options', () => {
  it('refuses bad options with TFGW_ERR_CONFIG naming the option', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ basicAuth: 'nocolon' }, 'options.basicAuth'],
      [{ basicAuth: ['a:b', 5] }, 'options.basicAuth[1]'],
      [{ requestHeaders: 'x' }, 'options.requestHeaders'],
      [{ requestHeaders: { 'bad name': 'x' } }, 'options.requestHeaders.bad name'],
      [{ requestHeaders: { 'x-a': 'line\r\nbreak' } }, 'options.requestHeaders.x-a'],
      [{ responseHeaders: { 'content-length': '1' } }, 'options.responseHeaders.content-length'],
      [{ responseHeaders: { 'x-a': 5 } }, 'options.responseHeaders.x-a'],
    ];
    for (const [options, path] of cases) {
      expect(() => compileRouteOptions(options)).toThrow(expect.objectContaining({ code: 'TFGW_ERR_CONFIG', details: { path } }));
    }
  });

  it('basic auth accepts exactly the configured pairs', () => {
    const user = fc.stringOf(fc.char().filter((c) => c !== ':'), { minLength: 1, maxLength: 10 });
    const pass = fc.string({ minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(user, pass, pass, (u, p, other) => {
        const { basicAuth } = compileRouteOptions({ basicAuth: `${u}:${p}` });
        const header = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;
        expect(checkBasicAuth(header(`${u}:${p}`), basicAuth)).toBe(true);
        expect(checkBasicAuth(header(`${u}:${other}`), basicAuth)).toBe(other === p);
        expect(checkBasicAuth(undefined, basicAuth)).toBe(false);
        expect(checkBasicAuth(`Bearer ${u}`, basicAuth)).toBe(false);
      }),
    );
  });
});
