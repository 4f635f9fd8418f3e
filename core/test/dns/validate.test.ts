import fc from 'fast-check';
import { CoalescedWriter, mergeRecords, parseLabelRecords } from '@tfgw/core';

describe('parseLabelRecords', () => {
  test('strict: normalises hosts and keeps valid records; lenient: drops only the bad entries', () => {
    expect(parseLabelRecords({ CNAME: [{ host: 'WWW.Example.com' }], ns: { host: 'ns1.example.com.', ttl: 60 }, extra: 1 })).toEqual({
      ns: [{ host: 'ns1.example.com.', ttl: 60 }],
      cname: [{ host: 'www.example.com.' }],
    });
    const problems: string[] = [];
    const got = parseLabelRecords({ a: [{ ip: '1.2.3.4', ttl: '30' }, { ip: '300.1.1.1' }], mx: [{ host: 'mx.test' }], soa: [{ ns: 'a.', mbox: 'b.', refresh: 1, retry: 2, expire: 3, minttl: 4 }] }, { strict: false, onInvalid: (p) => problems.push(p) });
    expect(got).toEqual({ soa: { ns: 'a.', mbox: 'b.', refresh: 1, retry: 2, expire: 3, minttl: 4 }, a: [{ ip: '1.2.3.4', ttl: 30 }], mx: [{ host: 'mx.test.', preference: 10 }] });
    expect(problems).toHaveLength(1);
    expect(() => parseLabelRecords({ a: [{ ip: '1.2.3.4', ttl: '30' }] })).toThrow(expect.objectContaining({ code: 'TFGW_ERR_DNS' }));
  });

  test('never throws in lenient mode on any JSON object (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'aaaa', 'cname', 'ns', 'txt', 'mx', 'srv', 'caa', 'soa', 'x'), fc.jsonValue()), (obj) => {
        const r = parseLabelRecords(obj, { strict: false });
        // what survives is valid in strict mode too
        expect(parseLabelRecords(r)).toEqual(r);
      }),
      { seed: 4, numRuns: 500 },
    );
  });

  test('mergeRecords: named types replace, others stay, [] removes', () => {
    expect(mergeRecords({ a: [{ ip: '1.1.1.1' }], txt: [{ text: 'x' }] }, { a: [], mx: [{ host: 'm.', preference: 1 }] })).toEqual({ txt: [{ text: 'x' }], mx: [{ host: 'm.', preference: 1 }] });
  });
});

describe('CoalescedWriter', () => {
  test('many schedules cost few writes; flush waits for the last state', async () => {
    let writes = 0;
    let value = 0;
    let written = -1;
    const w = new CoalescedWriter(async () => {
      writes++;
      written = value;
    }, 10);
    for (let i = 1; i <= 100; i++) {
      value = i;
      w.schedule();
    }
    await w.flush();
    expect(written).toBe(100);
    expect(writes).toBe(1);
  });

  test('a failed write is reported, kept dirty and retried by flush', async () => {
    let fail = true;
    const errors: unknown[] = [];
    let ok = 0;
    const w = new CoalescedWriter(
      async () => {
        if (fail) throw new Error('disk full');
        ok++;
      },
      1,
      (e) => errors.push(e),
    );
    w.schedule();
    await expect(w.flush()).rejects.toThrow('disk full');
    fail = false;
    await w.flush();
    expect(ok).toBe(1);
  });
});
