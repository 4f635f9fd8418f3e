import fc from 'fast-check';
import { absoluteName, findZone, fqdn, isInZone, normalizeLabel, normalizeName, relativeLabel } from '@tfgw/core';

const label = fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));

describe('name helpers', () => {
  test('normalizeName: lower case, no trailing dot, idempotent (property)', () => {
    fc.assert(
      fc.property(name, fc.boolean(), (n, dot) => {
        const x = normalizeName(dot ? `${n}.` : n);
        expect(x).toBe(n.toLowerCase());
        expect(normalizeName(x)).toBe(x);
        expect(fqdn(x)).toBe(`${x}.`);
      }),
      { seed: 1 },
    );
  });

  test('relativeLabel and absoluteName are inverse inside a zone (property)', () => {
    fc.assert(
      fc.property(fc.option(name, { nil: undefined }), name, (sub, zone) => {
        const full = sub ? `${sub}.${zone}` : zone;
        const rel = relativeLabel(full.toUpperCase(), `${zone}.`);
        expect(rel).toBe(sub ? sub.toLowerCase() : '@');
        expect(absoluteName(rel, zone)).toBe(full.toLowerCase());
        expect(isInZone(full, zone)).toBe(true);
      }),
      { seed: 2 },
    );
  });

  test('findZone picks the longest suffix at a label boundary (property, against brute force)', () => {
    fc.assert(
      fc.property(name, fc.array(name, { maxLength: 5 }), (n, zones) => {
        const labels = n.toLowerCase().split('.');
        const suffixes = labels.map((_, i) => labels.slice(i).join('.'));
        const expected = suffixes.find((s) => zones.some((z) => z.toLowerCase() === s));
        expect(findZone(n, zones)).toBe(expected);
      }),
      { seed: 3 },
    );
    expect(findZone('a.b.example.com', ['example.com', 'b.example.com'])).toBe('b.example.com');
    expect(findZone('badexample.com', ['example.com'])).toBeUndefined();
    expect(findZone('www.Example.COM.', ['example.com.'])).toBe('example.com');
  });

  test('relativeLabel refuses names outside the zone; labels are checked', () => {
    expect(() => relativeLabel('www.other.test', 'example.test')).toThrow(expect.objectContaining({ code: 'TFGW_ERR_DNS' }));
    expect(normalizeLabel('')).toBe('@');
    expect(normalizeLabel('*.Demo')).toBe('*.demo');
    expect(() => normalizeLabel('a..b')).toThrow(expect.objectContaining({ code: 'TFGW_ERR_DNS' }));
    expect(() => normalizeLabel('x'.repeat(64))).toThrow(expect.objectContaining({ code: 'TFGW_ERR_DNS' }));
    expect(() => normalizeLabel(Array(130).fill('a').join('.'))).toThrow(expect.objectContaining({ code: 'TFGW_ERR_DNS' }));
  });
});
