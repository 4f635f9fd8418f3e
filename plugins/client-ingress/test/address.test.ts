import fc from 'fast-check';
import { formatIngressAddress, resolveIngressAddress, VIA_LABEL, type IngressTarget } from '../src/address';
import { resultOrCode } from '../../../test/helpers/errors';

const ZONE = 'tfgw.localhost';
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
/** RFC 1123 labels: letters, digits, inner hyphens, 1-63 characters. */
const label = fc
  .tuple(alnum, fc.array(fc.oneof(alnum, fc.constant('-')), { maxLength: 20 }), alnum)
  .map(([a, mid, z]) => `${a}${mid.join('')}${z}`)
  .filter((l) => l.length <= 63);
const serviceName = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.'));
const hostLabel = fc.oneof(label, label.map((l) => `_${l}`), fc.integer({ min: 0, max: 255 }).map(String));
const rawHost = fc.oneof(
  fc.array(hostLabel, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.')),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
);
const port = fc.integer({ min: 1, max: 65535 });
const zone = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.'));

function outcome(host: string, p: number, z: string): IngressTarget | string {
  return resultOrCode(() => resolveIngressAddress(host, p, z));
}

describe('addressing scheme', () => {
  it('SVC.AGENT.<zone> reaches the service, whatever the port (and case, and a trailing dot)', () => {
    expect(resolveIngressAddress(`www.demo.${ZONE}`, 80, ZONE)).toEqual({ agent: 'demo', service: 'www' });
    expect(resolveIngressAddress(`WWW.Demo.${ZONE.toUpperCase()}.`, 8443, ZONE)).toEqual({ agent: 'demo', service: 'www' });
    expect(resolveIngressAddress(`demo.${ZONE}`, 80, ZONE)).toEqual({ agent: 'demo', service: '' });
    expect(resolveIngressAddress(`a.b.demo.${ZONE}`, 1, ZONE)).toEqual({ agent: 'demo', service: 'a.b' });
  });

  it('HOST._via.AGENT.<zone>:PORT names a raw target', () => {
    expect(resolveIngressAddress(`10.0.0.5._via.db.${ZONE}`, 5432, ZONE)).toEqual({ agent: 'db', target: '10.0.0.5:5432' });
    expect(resolveIngressAddress(`pg.internal._via.db.${ZONE}`, 5432, ZONE)).toEqual({ agent: 'db', target: 'pg.internal:5432' });
  });

  it('refuses names outside the zone, the zone apex and IP literals (not an open proxy)', () => {
    for (const h of ['example.com', ZONE, `x${ZONE}`, '127.0.0.1', '::1', `www.demo.${ZONE}.evil.com`]) {
      expect(outcome(h, 80, ZONE)).toBe('TFGW_ERR_TARGET_NOT_ALLOWED');
    }
  });

  it('rejects malformed names under the zone', () => {
    for (const h of [`._via.demo.${ZONE}`, `${VIA_LABEL}.demo.${ZONE}`, `a..demo.${ZONE}`, `-x.demo.${ZONE}`, `www.-demo.${ZONE}`, `a_b.demo.${ZONE}`, `x y._via.demo.${ZONE}`]) {
      expect(outcome(h, 80, ZONE)).toBe('TFGW_ERR_BAD_MESSAGE');
    }
    expect(outcome(`h._via.demo.${ZONE}`, 0, ZONE)).toBe('TFGW_ERR_BAD_MESSAGE');
  });

  it('property: every service address maps back to that service, never to a raw target', () => {
    fc.assert(
      fc.property(serviceName, label, zone, port, (svc, agent, z, p) => {
        const t: IngressTarget = { agent, service: svc };
        const { host } = formatIngressAddress(t, z);
        expect(resolveIngressAddress(host, p, z)).toEqual(t);
      }),
      { seed: 101, numRuns: 500 },
    );
  });

  it('property: every raw target address maps back to that target', () => {
    fc.assert(
      fc.property(rawHost, label, zone, port, (h, agent, z, p) => {
        const t: IngressTarget = { agent, target: `${h}:${p}` };
        const f = formatIngressAddress(t, z);
        expect(resolveIngressAddress(f.host, f.port!, z)).toEqual(t);
      }),
      { seed: 102, numRuns: 500 },
    );
  });

  it('property: a name not ending in .<zone> is always refused with TFGW_ERR_TARGET_NOT_ALLOWED', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), zone, port, (h, z, p) => {
        fc.pre(!h.toLowerCase().replace(/\.$/, '').endsWith(`.${z}`));
        expect(outcome(h, p, z)).toBe('TFGW_ERR_TARGET_NOT_ALLOWED');
      }),
      { seed: 103, numRuns: 500 },
    );
  });

  it('property: any input gives a target or a coded TfgwError, never another exception', () => {
    const anyName = fc.oneof(
      fc.string({ maxLength: 80 }).map((s) => `${s}.${ZONE}`),
      fc.array(fc.oneof(hostLabel, fc.constant(VIA_LABEL), fc.string({ maxLength: 5 })), { maxLength: 6 }).map((ls) => [...ls, ZONE].join('.')),
    );
    fc.assert(
      fc.property(anyName, fc.integer({ min: 0, max: 65535 }), (h, p) => {
        const r = outcome(h, p, ZONE);
        if (typeof r === 'string') expect(['TFGW_ERR_TARGET_NOT_ALLOWED', 'TFGW_ERR_BAD_MESSAGE']).toContain(r);
        else expect(r.target !== undefined ? r.service : r.target).toBeUndefined();
      }),
      { seed: 104, numRuns: 500 },
    );
  });
});
