import { resolveAdminOptions } from '../src/options';

describe('resolveAdminOptions', () => {
  const saved = process.env.TFGW_ADMIN_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.TFGW_ADMIN_TOKEN;
    else process.env.TFGW_ADMIN_TOKEN = saved;
  });

  it('applies the documented defaults', () => {
    const o = resolveAdminOptions({ token: 'dev-admin' });
    expect(o).toEqual({ listen: '127.0.0.1:7070', host: '127.0.0.1', port: 7070, token: 'dev-admin', requestLogSize: 200, reservationsFile: 'reservations.json', sweepMs: 1000, rttSampleMs: 15000, heartbeatMs: 15000 });
  });

  it('takes the token from TFGW_ADMIN_TOKEN', () => {
    process.env.TFGW_ADMIN_TOKEN = 'from-the-env';
    expect(resolveAdminOptions({}).token).toBe('from-the-env');
  });

  it.each([
    [{}, 'token'],
    [{ token: 'short' }, 'token'],
    [{ token: 'has a space' }, 'token'],
    [{ token: 'dev-admin', listen: 'nope' }, 'listen'],
    [{ token: 'dev-admin', listen: 7070 }, 'listen'],
    [{ token: 'dev-admin', requestLogSize: 0 }, 'requestLogSize'],
    [{ token: 'dev-admin', sweepMs: 1.5 }, 'sweepMs'],
    [{ token: 'dev-admin', reservationsFile: '' }, 'reservationsFile'],
    [{ token: 'dev-admin', bogus: true }, 'bogus'],
  ])('rejects %j naming %s with TFGW_ERR_CONFIG', (input, key) => {
    delete process.env.TFGW_ADMIN_TOKEN;
    expect.assertions(2);
    try {
      resolveAdminOptions(input as never);
    } catch (err) {
      expect((err as { code: string }).code).toBe('TFGW_ERR_CONFIG');
      expect((err as { details: { path: string } }).details.path).toBe(key);
    }
  });
});
