import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TfgwNode, type NameClaim, type RecordStore } from '@tfgw/core';
import dnsMemory, { MemoryStore } from '@tfgw/dns-memory';
import { describeStoreCompliance } from '../../../core/test/dns/store-suite';

async function tmpDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'tfgw-dns-memory-'));
}

describeStoreCompliance('memory (file-backed)', async () => {
  const dir = await tmpDir();
  const file = path.join(dir, 'records.json');
  const store = new MemoryStore({ file, debounceMs: 5 });
  await store.open();
  return {
    store,
    reopen: async () => {
      const s = new MemoryStore({ file });
      await s.open();
      return s;
    },
    cleanup: async () => {
      await store.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});

describeStoreCompliance('memory (no file)', async () => {
  const store = new MemoryStore();
  await store.open();
  return { store, cleanup: () => store.close() };
});

describe('memory store file', () => {
  test('is JSON in the redis schema, zones keyed with a trailing dot, written atomically', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'sub', 'records.json');
    const store = new MemoryStore({ file, debounceMs: 5 });
    await store.open();
    await store.upsert('Demo.Test', 'www', { a: [{ ip: '192.0.2.1', ttl: 60 }] });
    await store.upsert('demo.test', '*.x', { txt: [{ text: 't' }] });
    await store.close();
    const doc = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(doc).toEqual({ version: 1, zones: { 'demo.test.': { '*.x': { txt: [{ text: 't' }] }, www: { a: [{ ip: '192.0.2.1', ttl: 60 }] } } } });
    // no temp files left behind
    expect(await fs.readdir(path.dirname(file))).toEqual(['records.json']);
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a burst of changes is coalesced and the last state wins', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'records.json');
    const store = new MemoryStore({ file, debounceMs: 20 });
    await store.open();
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.upsert('z.test', `n${i}`, { a: [{ ip: `10.0.${i >> 8}.${i & 255}` }] })));
    await store.close();
    const doc = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(Object.keys(doc.zones['z.test.'])).toHaveLength(200);
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a corrupt file fails open with TFGW_ERR_DNS naming the file', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'records.json');
    await fs.writeFile(file, '{ not json');
    await expect(new MemoryStore({ file }).open()).rejects.toMatchObject({ code: 'TFGW_ERR_DNS', details: { file } });
    await fs.writeFile(file, '[]');
    await expect(new MemoryStore({ file }).open()).rejects.toMatchObject({ code: 'TFGW_ERR_DNS' });
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('records written by hand with invalid entries load the valid ones', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'records.json');
    await fs.writeFile(file, JSON.stringify({ version: 1, zones: { 'h.test.': { WWW: { a: [{ ip: 'nope' }, { ip: '192.0.2.5', ttl: '30' }] } } } }));
    const problems: unknown[] = [];
    const store = new MemoryStore({ file, onError: (e) => problems.push(e) });
    await store.open();
    expect(await store.lookup('h.test', 'www')).toEqual({ a: [{ ip: '192.0.2.5', ttl: 30 }] });
    expect(problems).toHaveLength(1);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describe('dns-memory plugin', () => {
  // Stand-in for the gateway role until it lands: node.gateway is a small object with what DNS reads.
  function gatewayStandIn(zones: string[], ipv4: string[], ipv6: string[], names: NameClaim[] = []) {
    return { zones, publicAddresses: { ipv4, ipv6 }, names: () => names } as unknown as TfgwNode['gateway'];
  }

  test('provides dns.store, writes apex SOA/NS/glue at start, names follow tunnels, persists across restarts', async () => {
    const dir = await tmpDir();
    const node = new TfgwNode({ baseDir: dir, plugins: [dnsMemory({})] });
    node.gateway = gatewayStandIn(['tfgw.localhost'], ['203.0.113.7'], ['2001:db8::7']);
    await node.start();
    const store = node.services.lookup<RecordStore>('dns.store')!;
    expect(store.kind).toBe('memory');
    const apex = (await store.lookup('tfgw.localhost', '@'))!;
    expect(apex.ns).toEqual([{ host: 'ns1.tfgw.localhost.', ttl: 3600 }]);
    expect(apex.soa).toMatchObject({ ns: 'ns1.tfgw.localhost.', mbox: 'hostmaster.tfgw.localhost.' });
    expect(await store.lookup('tfgw.localhost', 'ns1')).toEqual({ a: [{ ip: '203.0.113.7', ttl: 3600 }], aaaa: [{ ip: '2001:db8::7', ttl: 3600 }] });

    const changed = new Promise<void>((resolve) => {
      const off = store.onChange((c) => {
        if (c.label === '*.demo') {
          off();
          resolve();
        }
      });
    });
    const claim: NameClaim = { fqdn: 'demo.tfgw.localhost', zone: 'tfgw.localhost', owner: 't1', kind: 'agent' };
    node.hooks.nameAdded.call(claim);
    node.hooks.nameAdded.call({ ...claim, fqdn: 'reserved.tfgw.localhost', kind: 'reservation' });
    await changed;
    expect(await store.lookup('tfgw.localhost', 'demo')).toEqual({ a: [{ ip: '203.0.113.7', ttl: 60 }], aaaa: [{ ip: '2001:db8::7', ttl: 60 }] });
    expect(await store.lookup('tfgw.localhost', '*.demo')).toEqual({ a: [{ ip: '203.0.113.7', ttl: 60 }], aaaa: [{ ip: '2001:db8::7', ttl: 60 }] });
    expect(await store.lookup('tfgw.localhost', 'reserved')).toBeUndefined();
    await store.upsert('tfgw.localhost', 'demo', { txt: [{ text: 'operator note' }] });
    await node.stop();

    // restart: everything is still there; the apex is not rewritten
    const node2 = new TfgwNode({ baseDir: dir, plugins: [dnsMemory({})] });
    node2.gateway = gatewayStandIn(['tfgw.localhost'], ['203.0.113.7'], []);
    await node2.start();
    const store2 = node2.services.lookup<RecordStore>('dns.store')!;
    expect(await store2.lookup('tfgw.localhost', '*.demo')).toBeDefined();
    const removed = new Promise<void>((resolve) => {
      const off = store2.onChange((c) => {
        if (c.label === '*.demo') {
          off();
          resolve();
        }
      });
    });
    node2.hooks.nameRemoved.call(claim);
    await removed;
    await node2.stop();
    // A/AAAA gone, the operator's TXT kept
    const doc = JSON.parse(await fs.readFile(path.join(dir, '.tfgw', 'dns-records.json'), 'utf8'));
    expect(doc.zones['tfgw.localhost.'].demo).toEqual({ txt: [{ text: 'operator note' }] });
    expect(doc.zones['tfgw.localhost.']['*.demo']).toBeUndefined();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('after a restart, records of agents that did not come back within the grace period are removed', async () => {
    const dir = await tmpDir();
    const claim: NameClaim = { fqdn: 'gone.tfgw.localhost', zone: 'tfgw.localhost', owner: 'o', kind: 'agent' };
    const back: NameClaim = { ...claim, fqdn: 'back.tfgw.localhost' };
    const node = new TfgwNode({ baseDir: dir, plugins: [dnsMemory({})] });
    node.gateway = gatewayStandIn(['tfgw.localhost'], ['192.0.2.1'], []);
    await node.start();
    node.hooks.nameAdded.call(claim);
    node.hooks.nameAdded.call(back);
    await node.stop();
    expect(JSON.parse(await fs.readFile(path.join(dir, '.tfgw', 'dns-tunnel-names.json'), 'utf8')).names).toEqual({ 'back.tfgw.localhost': 'tfgw.localhost', 'gone.tfgw.localhost': 'tfgw.localhost' });

    // restart: "back" reconnected, "gone" did not
    const node2 = new TfgwNode({ baseDir: dir, plugins: [dnsMemory({ follow: { reconcileAfterMs: 1 } })] });
    node2.gateway = gatewayStandIn(['tfgw.localhost'], ['192.0.2.1'], [], [back]);
    // listen from before the store opens: the reconciliation may run as soon as start is done
    let removed!: Promise<void>;
    node2.hooks.start.tap({ name: 'test', stage: -100 }, () => {
      const store2 = node2.services.lookup<RecordStore>('dns.store')!;
      removed = new Promise<void>((resolve) => {
        const off = store2.onChange((c) => {
          if (c.label === '*.gone') {
            off();
            resolve();
          }
        });
      });
    });
    await node2.start();
    await removed;
    await node2.stop();
    const doc = JSON.parse(await fs.readFile(path.join(dir, '.tfgw', 'dns-records.json'), 'utf8'));
    expect(doc.zones['tfgw.localhost.'].gone).toBeUndefined();
    expect(doc.zones['tfgw.localhost.']['*.gone']).toBeUndefined();
    expect(doc.zones['tfgw.localhost.']['*.back']).toEqual({ a: [{ ip: '192.0.2.1', ttl: 60 }] });
    expect(JSON.parse(await fs.readFile(path.join(dir, '.tfgw', 'dns-tunnel-names.json'), 'utf8')).names).toEqual({ 'back.tfgw.localhost': 'tfgw.localhost' });
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('names the gateway already owns at start get records', async () => {
    const dir = await tmpDir();
    const node = new TfgwNode({ baseDir: dir, plugins: [dnsMemory({ file: false, follow: { apex: false } })] });
    node.gateway = gatewayStandIn(['z.test'], ['192.0.2.1'], [], [{ fqdn: 'early.z.test', zone: 'z.test', owner: 'o', kind: 'agent' }]);
    await node.start();
    const store = node.services.lookup<RecordStore>('dns.store')!;
    expect(await store.lookup('z.test', 'early')).toEqual({ a: [{ ip: '192.0.2.1', ttl: 60 }] });
    expect(await store.lookup('z.test', '@')).toBeUndefined();
    await node.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('without a gateway role, the zone comes from config and the address defaults to 127.0.0.1', async () => {
    const dir = await tmpDir();
    const node = new TfgwNode({ baseDir: dir, config: { zone: 'cfg.test', dataDir: 'state' }, plugins: [dnsMemory({})] });
    await node.start();
    const store = node.services.lookup<RecordStore>('dns.store')!;
    expect(await store.lookup('cfg.test', 'ns1')).toEqual({ a: [{ ip: '127.0.0.1', ttl: 3600 }] });
    await node.stop();
    await expect(fs.stat(path.join(dir, 'state', 'dns-records.json'))).resolves.toBeDefined();
    await fs.rm(dir, { recursive: true, force: true });
  });
});
