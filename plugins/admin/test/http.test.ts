import type http from 'node:http';
import { BearerAuth } from '../src/http/auth';
import { Router } from '../src/http/router';
import { statusForCode } from '../src/errors';

const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as http.IncomingMessage;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return undefined;
};

describe('BearerAuth', () => {
  const auth = new BearerAuth('s3cret-token');
  it('accepts exactly the token', () => {
    expect(auth.matches('s3cret-token')).toBe(true);
    expect(codeOf(() => auth.check(req('Bearer s3cret-token')))).toBeUndefined();
    expect(codeOf(() => auth.check(req('bearer s3cret-token')))).toBeUndefined();
  });
  it.each([undefined, '', 'Bearer', 'Bearer ', 'Basic s3cret-token', 'Bearer s3cret-tokenx', 'Bearer s3cret-toke', 'Bearer S3CRET-TOKEN', 'Bearer s3cret-token extra'])('refuses %j with TFGW_ERR_AUTH', (h) => {
    expect(codeOf(() => auth.check(req(h)))).toBe('TFGW_ERR_AUTH');
  });
});

describe('Router', () => {
  const router = new Router([
    { method: 'GET', path: '/api/v1/routes', handle: () => undefined },
    { method: 'POST', path: '/api/v1/routes/:id/disable', handle: () => undefined },
    { method: 'DELETE', path: '/api/v1/names/:fqdn', handle: () => undefined },
  ]);
  it('decodes parameters after splitting, so ids with ":" and "/" work', () => {
    expect(router.match('POST', '/api/v1/routes/http%3Awww.demo.tfgw.localhost/disable').params).toEqual({ id: 'http:www.demo.tfgw.localhost' });
    expect(router.match('POST', '/api/v1/routes/tcp:a.b/disable').params).toEqual({ id: 'tcp:a.b' });
    expect(router.match('DELETE', '/api/v1/names/a%2Fb').params).toEqual({ fqdn: 'a/b' });
  });
  it('answers 404 / 405 / 400 codes', () => {
    expect(codeOf(() => router.match('GET', '/api/v1/nothing'))).toBe('TFGW_ERR_NOT_FOUND');
    expect(codeOf(() => router.match('GET', '/api/v1/routes/x/disable'))).toBe('TFGW_ERR_METHOD_NOT_ALLOWED');
    expect(codeOf(() => router.match('POST', '/api/v1/routes//disable'))).toBe('TFGW_ERR_NOT_FOUND');
    expect(codeOf(() => router.match('DELETE', '/api/v1/names/%E0%A4%A'))).toBe('TFGW_ERR_BAD_MESSAGE');
  });
  it('maps codes to statuses', () => {
    expect(statusForCode('TFGW_ERR_AUTH')).toBe(401);
    expect(statusForCode('TFGW_ERR_NAME_TAKEN')).toBe(409);
    expect(statusForCode('TFGW_ERR_CONFIG')).toBe(400);
    expect(statusForCode('TFGW_ERR_PLUGIN_NOT_FOUND')).toBe(400);
    expect(statusForCode('TFGW_ERR_NOT_IMPLEMENTED')).toBe(501);
    expect(statusForCode('TFGW_ERR_SOMETHING_ELSE')).toBe(500);
  });
});
