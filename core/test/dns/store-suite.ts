/**
 * Compliance suite every DNS RecordStore runs: `describeStoreCompliance('memory', async () => ...)`.
 * The factory returns a fresh, opened store plus `reopen()` (a new instance over the same
 * durable data, opened) when the backend persists, and `cleanup()`.
 */
import fc from 'fast-check';
import { mergeRecords, isEmptyRecords, type LabelRecords, type RecordChange, type RecordStore } from '@tfgw/core';

/** What a store factory hands the suite. */
export interface StoreUnderTest {
  /** A fresh, opened, empty store. */
  store: RecordStore;
  /** A second opened instance over the same durable data (after `store.close()`). */
  reopen?: () => Promise<RecordStore>;
  /** Release everything (called after each test). */
  cleanup: () => Promise<void>;
}

const ZONE = 'suite.test';

/** Registers the compliance tests for one store. */
export function describeStoreCompliance(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`RecordStore compliance: ${name}`, () => {
    let sut: StoreUnderTest;
    beforeEach(async () => {
      sut = await make();
    });
    afterEach(async () => {
      await sut.cleanup();
    });

    test('upsert then lookup returns normalised records', async () => {
      await sut.store.upsert(ZONE, 'www', {
        a: [{ ip: '192.0.2.1', ttl: 60 }],
        cname: undefined,
        mx: [{ host: 'Mail.Example.COM', preference: 10 }],
      } as LabelRecords);
      expect(await sut.store.lookup(ZONE, 'www')).toEqual({ a: [{ ip: '192.0.2.1', ttl: 60 }], mx: [{ host: 'mail.example.com.', preference: 10 }] });
    });

    test('zone and label are case-insensitive and accept a trailing dot', async () => {
      await sut.store.upsert('Suite.Test.', 'WWW', { a: [{ ip: '192.0.2.2' }] });
      expect(await sut.store.lookup('suite.test', 'www')).toEqual({ a: [{ ip: '192.0.2.2' }] });
      expect(await sut.store.lookup('SUITE.TEST.', 'Www')).toEqual({ a: [{ ip: '192.0.2.2' }] });
    });

    test('apex is "@" and "" means the apex too; wildcards are plain labels', async () => {
      await sut.store.upsert(ZONE, '', { txt: [{ text: 'apex' }] });
      await sut.store.upsert(ZONE, '*', { a: [{ ip: '192.0.2.3' }] });
      await sut.store.upsert(ZONE, '*.demo', { a: [{ ip: '192.0.2.4' }] });
      expect(await sut.store.lookup(ZONE, '@')).toEqual({ txt: [{ text: 'apex' }] });
      const all = await sut.store.list(ZONE);
      expect([...all.keys()].sort()).toEqual(['*', '*.demo', '@']);
    });

    test('upsert replaces the types it names and keeps the others; [] removes a type', async () => {
      await sut.store.upsert(ZONE, 'x', { a: [{ ip: '192.0.2.1' }], txt: [{ text: 'keep' }] });
      await sut.store.upsert(ZONE, 'x', { a: [{ ip: '192.0.2.9' }, { ip: '192.0.2.10' }] });
      expect(await sut.store.lookup(ZONE, 'x')).toEqual({ a: [{ ip: '192.0.2.9' }, { ip: '192.0.2.10' }], txt: [{ text: 'keep' }] });
      await sut.store.upsert(ZONE, 'x', { a: [] });
      expect(await sut.store.lookup(ZONE, 'x')).toEqual({ txt: [{ text: 'keep' }] });
      await sut.store.upsert(ZONE, 'x', { txt: [] });
      expect(await sut.store.lookup(ZONE, 'x')).toBeUndefined();
      expect((await sut.store.list(ZONE)).has('x')).toBe(false);
    });

    test('every record type of the schema round-trips', async () => {
      const all: LabelRecords = {
        soa: { ttl: 300, ns: 'ns1.suite.test.', mbox: 'hostmaster.suite.test.', refresh: 44, retry: 55, expire: 66, minttl: 100 },
        ns: [{ host: 'ns1.suite.test.', ttl: 300 }],
        a: [{ ip: '192.0.2.1', ttl: 300 }],
        aaaa: [{ ip: '2001:db8::1', ttl: 300 }],
        txt: [{ text: 'hello world', ttl: 300 }],
        mx: [{ host: 'mx.suite.test.', preference: 10, ttl: 300 }],
        srv: [{ target: 'sip.suite.test.', port: 5060, priority: 10, weight: 100, ttl: 300 }],
        caa: [{ flag: 0, tag: 'issue', value: 'letsencrypt.org' }],
      };
      await sut.store.upsert(ZONE, '@', all);
      await sut.store.upsert(ZONE, 'alias', { cname: [{ host: 'www.suite.test.', ttl: 60 }] });
      expect(await sut.store.lookup(ZONE, '@')).toEqual(all);
      expect(await sut.store.lookup(ZONE, 'alias')).toEqual({ cname: [{ host: 'www.suite.test.', ttl: 60 }] });
    });

    test('delete one type, then the label; false when nothing was there', async () => {
      await sut.store.upsert(ZONE, 'd', { a: [{ ip: '192.0.2.1' }], aaaa: [{ ip: '::1' }] });
      expect(await sut.store.delete(ZONE, 'd', 'txt')).toBe(false);
      expect(await sut.store.delete(ZONE, 'd', 'a')).toBe(true);
      expect(await sut.store.lookup(ZONE, 'd')).toEqual({ aaaa: [{ ip: '::1' }] });
      expect(await sut.store.delete(ZONE, 'd')).toBe(true);
      expect(await sut.store.lookup(ZONE, 'd')).toBeUndefined();
      expect(await sut.store.delete(ZONE, 'd')).toBe(false);
      expect(await sut.store.delete('nowhere.test', 'd')).toBe(false);
    });

    test('zones are isolated; an unknown zone lists empty', async () => {
      await sut.store.upsert('one.test', 'www', { a: [{ ip: '192.0.2.1' }] });
      await sut.store.upsert('two.test', 'www', { a: [{ ip: '192.0.2.2' }] });
      expect(await sut.store.lookup('one.test', 'www')).toEqual({ a: [{ ip: '192.0.2.1' }] });
      expect(await sut.store.lookup('two.test', 'www')).toEqual({ a: [{ ip: '192.0.2.2' }] });
      expect((await sut.store.list('three.test')).size).toBe(0);
    });

    test('invalid records are refused with TFGW_ERR_DNS and change nothing', async () => {
      await sut.store.upsert(ZONE, 'v', { a: [{ ip: '192.0.2.1' }] });
      const bad: unknown[] = [
        { a: [{ ip: '::1' }] },
        { aaaa: [{ ip: '1.2.3.4' }] },
        { a: [{ ip: '192.0.2.1', ttl: -1 }] },
        { mx: [{ host: 'mx.test' }] },
        { srv: [{ target: 'x.test', port: 70000, priority: 0, weight: 0 }] },
        { cname: [{ host: '' }] },
        { caa: [{ flag: 0, tag: 'bad tag', value: 'x' }] },
        { soa: { ns: 'ns1.test' } },
        'not an object',
      ];
      for (const rr of bad) {
        await expect(sut.store.upsert(ZONE, 'v', rr as LabelRecords)).rejects.toMatchObject({ code: 'TFGW_ERR_DNS' });
      }
      await expect(sut.store.upsert(ZONE, 'bad..label', { a: [{ ip: '192.0.2.1' }] })).rejects.toMatchObject({ code: 'TFGW_ERR_DNS' });
      expect(await sut.store.lookup(ZONE, 'v')).toEqual({ a: [{ ip: '192.0.2.1' }] });
    });

    test('returned objects are copies', async () => {
      await sut.store.upsert(ZONE, 'c', { a: [{ ip: '192.0.2.1' }] });
      const got = (await sut.store.lookup(ZONE, 'c'))!;
      got.a!.push({ ip: '192.0.2.99' });
      (await sut.store.list(ZONE)).get('c')!.a!.length = 0;
      expect(await sut.store.lookup(ZONE, 'c')).toEqual({ a: [{ ip: '192.0.2.1' }] });
    });

    test('listeners hear every write before it resolves; unsubscribe stops them', async () => {
      const seen: RecordChange[] = [];
      const off = sut.store.onChange((c) => seen.push(c));
      await sut.store.upsert('Suite.Test', 'W', { a: [{ ip: '192.0.2.1' }] });
      expect(seen).toEqual([{ zone: ZONE, label: 'w' }]);
      await sut.store.delete(ZONE, 'w', 'a');
      expect(seen).toEqual([{ zone: ZONE, label: 'w' }, { zone: ZONE, label: 'w' }]);
      off();
      await sut.store.upsert(ZONE, 'w', { a: [{ ip: '192.0.2.1' }] });
      expect(seen).toHaveLength(2);
    });

    test('random operation sequences match a model (property)', async () => {
      const labels = fc.constantFrom('@', 'www', '*', '*.demo', 'a.b', 'ns1');
      const ip4 = fc.tuple(fc.nat(255), fc.nat(255)).map(([x, y]) => `192.0.${x}.${y}`);
      const rrset = fc.record(
        {
          a: fc.array(fc.record({ ip: ip4, ttl: fc.nat(86400) }), { maxLength: 3 }),
          txt: fc.array(fc.record({ text: fc.string({ maxLength: 40 }) }), { maxLength: 2 }),
          mx: fc.array(fc.record({ host: fc.constantFrom('mx1.suite.test.', 'mx2.example.org.'), preference: fc.nat(65535) }), { maxLength: 2 }),
        },
        { requiredKeys: [] },
      );
      const op = fc.oneof(
        fc.record({ kind: fc.constant('upsert' as const), label: labels, rrset }),
        fc.record({ kind: fc.constant('delete' as const), label: labels, type: fc.constantFrom(undefined, 'a' as const, 'txt' as const, 'mx' as const) }),
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 15 }), async (ops) => {
          const zone = `p${run++}.suite.test`;
          const model = new Map<string, LabelRecords>();
          for (const o of ops) {
            if (o.kind === 'upsert') {
              await sut.store.upsert(zone, o.label, o.rrset as LabelRecords);
              const m = mergeRecords(model.get(o.label), o.rrset as LabelRecords);
              if (isEmptyRecords(m)) model.delete(o.label);
              else model.set(o.label, m);
            } else {
              const had = model.get(o.label);
              const expected = had !== undefined && (o.type === undefined || had[o.type] !== undefined);
              expect(await sut.store.delete(zone, o.label, o.type)).toBe(expected);
              if (had && o.type === undefined) model.delete(o.label);
              else if (had && o.type) {
                const m = mergeRecords(had, { [o.type]: [] });
                if (isEmptyRecords(m)) model.delete(o.label);
                else model.set(o.label, m);
              }
            }
          }
          const listed = await sut.store.list(zone);
          expect(Object.fromEntries(listed)).toEqual(Object.fromEntries(model));
        }),
        { numRuns: 30, seed: 42 },
      );
    });

    test('a reopened store has every record (durability)', async () => {
      if (!sut.reopen) return;
      await sut.store.upsert(ZONE, '@', { soa: { ns: 'ns1.suite.test.', mbox: 'h.suite.test.', refresh: 1, retry: 2, expire: 3, minttl: 4 } });
      for (let i = 0; i < 50; i++) await sut.store.upsert(ZONE, `n${i}`, { a: [{ ip: `192.0.2.${i}` }] });
      await sut.store.delete(ZONE, 'n7');
      const before = Object.fromEntries(await sut.store.list(ZONE));
      await sut.store.close();
      const again = await sut.reopen();
      try {
        expect(Object.fromEntries(await again.list(ZONE))).toEqual(before);
        expect(await again.lookup(ZONE, 'n7')).toBeUndefined();
      } finally {
        await again.close();
      }
    });
  });
}
