import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { TfgwNode, ensureZoneApex, type LabelRecords, type RecordStore, type ZoneRecords } from '@tfgw/core';
import dnsCorednsFile, { ZoneFileStore, nextSerial, parseZoneFile, renderZoneFile } from '@tfgw/dns-coredns-file';
import { describeStoreCompliance } from '../../../core/test/dns/store-suite';
import { namedCheckzone } from '../../../core/test/dns/named-checkzone';

async function tmpDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'tfgw-zones-'));
}

describeStoreCompliance('coredns-file', async () => {
  const dir = await tmpDir();
  const store = new ZoneFileStore({ dir, debounceMs: 5 });
  await store.open();
  return {
    store,
    reopen: async () => {
      const s = new ZoneFileStore({ dir });
      await s.open();
      return s;
    },
    cleanup: async () => {
      await store.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});

/** Checks a zone file's text with named-checkzone (through a temp file). */
async function check(zone: string, text: string): Promise<void> {
  const dir = await tmpDir();
  const file = path.join(dir, `db.${zone}`);
  await fs.writeFile(file, text);
  const r = await namedCheckzone(zone, file);
  await fs.rm(dir, { recursive: true, force: true });
  if (!r.ok) throw new Error(`named-checkzone failed:\n${r.output}\n--- file ---\n${text}`);
}

describe('zone files', () => {
  test('every file written passes named-checkzone, and the SOA serial grows on every write', async () => {
    const dir = await tmpDir();
    const snapshots: Array<{ serial: number; text: string }> = [];
    let onWrite: (() => void) | undefined;
    const store = new ZoneFileStore({
      dir,
      debounceMs: 5,
      onWritten: (file, _zone, serial) => {
        snapshots.push({ serial, text: readFileSync(file, 'utf8') });
        onWrite?.();
      },
    });
    await store.open();
    const written = () => new Promise<void>((r) => (onWrite = r));
    const zone = 'files.test';
    let w = written();
    await ensureZoneApex(store, zone, { ipv4: ['192.0.2.53'], ipv6: ['2001:db8::53'] });
    await w;
    const steps: Array<() => Promise<unknown>> = [
      () => store.upsert(zone, 'demo', { a: [{ ip: '192.0.2.1', ttl: 60 }], aaaa: [{ ip: '2001:db8::1', ttl: 60 }] }),
      () => store.upsert(zone, '*.demo', { a: [{ ip: '192.0.2.1', ttl: 60 }] }),
      () => store.upsert(zone, 'txt', { txt: [{ text: `long "quoted" \\ ${'x'.repeat(400)} é` }, { text: '' }] }),
      () => store.upsert(zone, '@', { mx: [{ host: 'mail.example.net', preference: 10 }], caa: [{ flag: 128, tag: 'issue', value: 'ca.example; account=1' }] }),
      () => store.upsert(zone, '_sip._udp', { srv: [{ target: 'sip.example.net.', port: 5060, priority: 1, weight: 2 }] }),
      () => store.upsert(zone, 'sub', { ns: [{ host: 'ns.sub.files.test.' }] }),
      () => store.upsert(zone, 'ns.sub', { a: [{ ip: '192.0.2.99' }] }),
      () => store.upsert(zone, 'alias', { cname: [{ host: 'demo.files.test.' }] }),
      () => store.delete(zone, 'demo', 'aaaa'),
      () => store.delete(zone, '*.demo'),
    ];
    for (const step of steps) {
      w = written();
      await step();
      await w;
    }
    await store.close();
    expect(snapshots.length).toBe(steps.length + 1);
    for (let i = 1; i < snapshots.length; i++) expect(snapshots[i].serial).toBeGreaterThan(snapshots[i - 1].serial);
    for (const s of snapshots) {
      await check(zone, s.text);
      expect(s.text).toContain(` ( ${s.serial} `);
    }
    // the file on disk is the last snapshot, and no temp file is left
    expect(await fs.readdir(dir)).toEqual(['db.files.test']);
    expect(await fs.readFile(path.join(dir, 'db.files.test'), 'utf8')).toBe(snapshots[snapshots.length - 1].text);
    // a restart reads the file back and continues the serial
    const again = new ZoneFileStore({ dir, debounceMs: 5 });
    await again.open();
    expect(again.serialOf(zone)).toBe(snapshots[snapshots.length - 1].serial);
    expect(await again.lookup(zone, 'txt')).toEqual({ txt: [{ text: `long "quoted" \\ ${'x'.repeat(400)} é` }, { text: '' }] });
    expect(await again.lookup(zone, '@')).toMatchObject({ caa: [{ flag: 128, tag: 'issue', value: 'ca.example; account=1' }] });
    await again.upsert(zone, 'later', { a: [{ ip: '192.0.2.7' }] });
    await again.close();
    expect(again.serialOf(zone)).toBeGreaterThan(snapshots[snapshots.length - 1].serial);
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a hand-written zone file loads: parentheses, comments, $TTL, relative and absolute names, owner inheritance', async () => {
    const dir = await tmpDir();
    await fs.writeFile(
      path.join(dir, 'db.hand.test'),
      `$ORIGIN hand.test.
$TTL 3600 ; default
@   IN SOA ns1 hostmaster.hand.test. (
        2024010101 ; serial
        7200 900 1209600 300 )
    IN NS ns1
    IN MX 10 mail.hand.test.
ns1 600 IN A 192.0.2.53
www IN A 192.0.2.80
    IN AAAA 2001:db8::80
txt.hand.test. TXT "part one " "part two" ; two strings
_x._tcp SRV 0 5 443 www
weird IN HINFO "cpu" "os"
`,
    );
    const problems: Error[] = [];
    const store = new ZoneFileStore({ dir, onProblem: (e) => problems.push(e) });
    await store.open();
    expect(await store.lookup('hand.test', '@')).toEqual({
      soa: { ttl: 3600, ns: 'ns1.hand.test.', mbox: 'hostmaster.hand.test.', refresh: 7200, retry: 900, expire: 1209600, minttl: 300 },
      ns: [{ host: 'ns1.hand.test.', ttl: 3600 }],
      mx: [{ host: 'mail.hand.test.', preference: 10, ttl: 3600 }],
    });
    expect(await store.lookup('hand.test', 'ns1')).toEqual({ a: [{ ip: '192.0.2.53', ttl: 600 }] });
    expect(await store.lookup('hand.test', 'www')).toEqual({ a: [{ ip: '192.0.2.80', ttl: 3600 }], aaaa: [{ ip: '2001:db8::80', ttl: 3600 }] });
    expect(await store.lookup('hand.test', 'txt')).toEqual({ txt: [{ text: 'part one part two', ttl: 3600 }] });
    expect(await store.lookup('hand.test', '_x._tcp')).toEqual({ srv: [{ priority: 0, weight: 5, port: 443, target: 'www.hand.test.', ttl: 3600 }] });
    expect(store.serialOf('hand.test')).toBe(2024010101);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/HINFO not supported/);
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('render -> named-checkzone -> parse gives the records back (property)', async () => {
    const label = fc.constantFrom('www', 'api', '*', '*.demo', 'a.b', '_http._tcp', 'mail');
    const rrset = fc.record(
      {
        a: fc.array(fc.record({ ip: fc.ipV4(), ttl: fc.nat(86400) }), { minLength: 1, maxLength: 3 }),
        aaaa: fc.array(fc.record({ ip: fc.constantFrom('2001:db8::1', '::1', '2001:db8:0:1::ff') }), { minLength: 1, maxLength: 2 }),
        txt: fc.array(fc.record({ text: fc.string({ unit: 'grapheme', maxLength: 300 }) }), { minLength: 1, maxLength: 2 }),
        mx: fc.array(fc.record({ host: fc.constantFrom('mx1.example.net.', 'mx2.example.org.'), preference: fc.nat(65535) }), { minLength: 1, maxLength: 2 }),
        srv: fc.array(fc.record({ target: fc.constantFrom('sip.example.net.'), port: fc.nat(65535), priority: fc.nat(65535), weight: fc.nat(65535) }), { minLength: 1 }),
        caa: fc.array(fc.record({ flag: fc.constantFrom(0, 128), tag: fc.constantFrom('issue', 'iodef'), value: fc.string({ maxLength: 40 }) }), { minLength: 1 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(label, rrset, { maxKeys: 6 }), fc.integer({ min: 1, max: 0xfffffffe }), async (labels, serial) => {
        const zone = 'prop.test';
        const records: ZoneRecords = new Map();
        records.set('@', {
          soa: { ttl: 3600, ns: 'ns1.prop.test.', mbox: 'hostmaster.prop.test.', refresh: 3600, retry: 600, expire: 604800, minttl: 60 },
          ns: [{ host: 'ns1.prop.test.', ttl: 3600 }],
        });
        records.set('ns1', { a: [{ ip: '192.0.2.53' }] });
        for (const [l, r] of Object.entries(labels)) if (Object.keys(r).length) records.set(l, r as LabelRecords);
        const text = renderZoneFile(zone, records, { serial });
        await check(zone, text);
        const parsed = parseZoneFile(text, zone, undefined, { implicitTtl: 300 });
        expect(parsed.serial).toBe(serial);
        expect(Object.fromEntries(parsed.records)).toEqual(Object.fromEntries(records));
      }),
      { seed: 21, numRuns: 25 },
    );
  });

  test('data beside a CNAME is left out of the file and reported', () => {
    const skipped: string[] = [];
    const records: ZoneRecords = new Map([['x', { cname: [{ host: 'y.test.' }], a: [{ ip: '192.0.2.1' }] }]]);
    const text = renderZoneFile('c.test', records, { serial: 1, onSkip: (l, why) => skipped.push(`${l}: ${why}`) });
    expect(text).toMatch(/^x\tIN\tCNAME\ty\.test\.$/m);
    expect(text).not.toMatch(/192\.0\.2\.1/);
    expect(skipped).toEqual(['x: A beside a CNAME']);
  });

  test('serials are date based and always increase', () => {
    const d = new Date(Date.UTC(2025, 0, 31));
    expect(nextSerial(0, d)).toBe(2025013100);
    expect(nextSerial(2025013100, d)).toBe(2025013101);
    expect(nextSerial(2099010100, d)).toBe(2099010101);
  });
});

describe('dns-coredns-file plugin', () => {
  test('dir from TFGW_ZONE_DIR; names follow tunnels into db.<zone>; the file passes named-checkzone', async () => {
    const dir = await tmpDir();
    const before = process.env.TFGW_ZONE_DIR;
    process.env.TFGW_ZONE_DIR = dir;
    const node = new TfgwNode({ baseDir: dir, plugins: [dnsCorednsFile({ debounceMs: 5 })] });
    // stand-in for the gateway role until it lands
    node.gateway = { zones: ['tfgw.localhost'], publicAddresses: { ipv4: ['203.0.113.1'], ipv6: ['2001:db8::1'] }, names: () => [] } as unknown as TfgwNode['gateway'];
    try {
      await node.start();
      const store = node.services.lookup<RecordStore>('dns.store')!;
      const done = new Promise<void>((resolve) => {
        const off = store.onChange((c) => {
          if (c.label === '*.demo') {
            off();
            resolve();
          }
        });
      });
      node.hooks.nameAdded.call({ fqdn: 'demo.tfgw.localhost', zone: 'tfgw.localhost', owner: 'o', kind: 'agent' });
      await done;
      await node.stop();
      const file = path.join(dir, 'db.tfgw.localhost');
      const text = await fs.readFile(file, 'utf8');
      expect(text).toMatch(/^demo\t60\tIN\tA\t203\.0\.113\.1$/m);
      expect(text).toMatch(/^\*\.demo\t60\tIN\tAAAA\t2001:db8::1$/m);
      expect(text).toMatch(/^@\t3600\tIN\tNS\tns1\.tfgw\.localhost\.$/m);
      const r = await namedCheckzone('tfgw.localhost', file);
      expect(r.output).toMatch(/OK/);
      expect(r.ok).toBe(true);
    } finally {
      if (before === undefined) delete process.env.TFGW_ZONE_DIR;
      else process.env.TFGW_ZONE_DIR = before;
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
