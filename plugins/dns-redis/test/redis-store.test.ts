import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TfgwNode, type RecordChange, type RecordStore } from '@tfgw/core';
import dnsRedis, { RedisStore } from '@tfgw/dns-redis';
import dnsDns2, { type DnsServer } from '@tfgw/dns-dns2';
import { describeStoreCompliance } from '../../../core/test/dns/store-suite';
import { startRedis, type RedisServer } from '../../../core/test/dns/redis-server';
import { dig } from '../../../core/test/dns/dig';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'tfgw-dns-redis-'));
let redis: RedisServer;
let n = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** `redis-cli -p PORT ...args` (the real client). */
function cli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('redis-cli', ['-p', String(port), ...args], (err, out) => (err ? reject(err) : resolve(out))));
}

/** HGETALL through redis-cli: field -> parsed JSON value. */
async function hgetall(port: number, key: string): Promise<Record<string, unknown>> {
  const lines = (await cli(port, '--no-raw', 'HGETALL', key)).split('\n').filter(Boolean);
  const vals = lines.map((l) => JSON.parse(l.replace(/^\d+\) /, '')) as string);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < vals.length; i += 2) out[vals[i]] = JSON.parse(vals[i + 1]);
  return out;
}

function nextChange(store: RecordStore, match: (c: RecordChange) => boolean): Promise<RecordChange> {
  return new Promise((resolve) => {
    const off = store.onChange((c) => {
      if (match(c)) {
        off();
        resolve(c);
      }
    });
  });
}

describeStoreCompliance('redis', async () => {
  const prefix = `suite${n++}:`;
  const store = new RedisStore({ url: redis.url, prefix, watch: 'off' });
  await store.open();
  return {
    store,
    reopen: async () => {
      const s = new RedisStore({ url: redis.url, prefix, watch: 'off' });
      await s.open();
      return s;
    },
    cleanup: () => store.close(),
  };
});

describe('redis schema (CoreDNS redis plugin)', () => {
  test('one hash per zone keyed with the trailing dot; labels as fields; JSON per label (read back with redis-cli)', async () => {
    const store = new RedisStore({ url: redis.url, watch: 'off' });
    await store.open();
    try {
      await store.upsert('Schema.Test', '@', {
        soa: { ttl: 300, ns: 'ns1.schema.test', mbox: 'hostmaster.schema.test', refresh: 44, retry: 55, expire: 66, minttl: 100 },
        ns: [{ host: 'ns1.schema.test', ttl: 300 }],
      });
      await store.upsert('schema.test', 'www', { a: [{ ip: '192.0.2.1', ttl: 300 }], aaaa: [{ ip: '2001:db8::1', ttl: 300 }], txt: [{ text: 'hello', ttl: 300 }] });
      await store.upsert('schema.test', '*', { mx: [{ host: 'mx.schema.test', preference: 10, ttl: 300 }], srv: [{ target: 'sip.schema.test', port: 5060, priority: 10, weight: 100, ttl: 300 }] });
      await store.upsert('schema.test', 'alias', { cname: [{ host: 'www.schema.test.', ttl: 300 }], caa: [{ flag: 0, tag: 'issue', value: 'letsencrypt.org' }] });
      expect(await cli(redis.port, 'TYPE', 'schema.test.')).toBe('hash\n');
      expect(await hgetall(redis.port, 'schema.test.')).toEqual({
        '@': {
          soa: { ttl: 300, ns: 'ns1.schema.test.', mbox: 'hostmaster.schema.test.', refresh: 44, retry: 55, expire: 66, minttl: 100 },
          ns: [{ host: 'ns1.schema.test.', ttl: 300 }],
        },
        www: { a: [{ ip: '192.0.2.1', ttl: 300 }], aaaa: [{ ip: '2001:db8::1', ttl: 300 }], txt: [{ text: 'hello', ttl: 300 }] },
        '*': { mx: [{ host: 'mx.schema.test.', preference: 10, ttl: 300 }], srv: [{ target: 'sip.schema.test.', port: 5060, priority: 10, weight: 100, ttl: 300 }] },
        alias: { cname: [{ host: 'www.schema.test.', ttl: 300 }], caa: [{ flag: 0, tag: 'issue', value: 'letsencrypt.org' }] },
      });
      // delete one type: no empty arrays / objects are left behind
      await store.delete('schema.test', 'www', 'txt');
      expect((await hgetall(redis.port, 'schema.test.')).www).toEqual({ a: [{ ip: '192.0.2.1', ttl: 300 }], aaaa: [{ ip: '2001:db8::1', ttl: 300 }] });
    } finally {
      await store.close();
    }
  });

  test('prefix and suffix wrap the key like key_prefix / key_suffix', async () => {
    const store = new RedisStore({ url: redis.url, prefix: '_dns:', suffix: ':v1', watch: 'off' });
    await store.open();
    try {
      await store.upsert('fix.test', 'www', { a: [{ ip: '192.0.2.9' }] });
      expect(await hgetall(redis.port, '_dns:fix.test.:v1')).toEqual({ www: { a: [{ ip: '192.0.2.9' }] } });
    } finally {
      await store.close();
    }
  });

  test('records written by other tools are read; bad ones are skipped and reported; unknown keys survive a tfgw write', async () => {
    await cli(redis.port, 'HSET', 'other.test.', '@', '{"soa":{"ttl":300,"minttl":100,"mbox":"hostmaster.other.test.","ns":"ns1.other.test.","refresh":44,"retry":55,"expire":66},"ns":[{"host":"ns1.other.test.","ttl":300}]}');
    await cli(redis.port, 'HSET', 'other.test.', 'WWW', '{"a":[{"ip":"203.0.113.5","ttl":120},{"ip":"bogus"}],"x-owner":"ops"}');
    await cli(redis.port, 'HSET', 'other.test.', 'broken', 'not json');
    const problems: Error[] = [];
    const store = new RedisStore({ url: redis.url, watch: 'off', onProblem: (e) => problems.push(e) });
    await store.open();
    try {
      const all = await store.list('other.test');
      expect(all.get('www')).toEqual({ a: [{ ip: '203.0.113.5', ttl: 120 }] });
      expect(all.has('broken')).toBe(false);
      expect(all.get('@')?.soa?.minttl).toBe(100);
      expect(problems.map((p) => (p as { code?: string }).code)).toEqual(['TFGW_ERR_DNS', 'TFGW_ERR_DNS']);
      await cli(redis.port, 'HSET', 'other.test.', 'keep', '{"a":[{"ip":"203.0.113.6"}],"x-owner":"ops"}');
      await store.upsert('other.test', 'keep', { txt: [{ text: 'tfgw' }] });
      expect(JSON.parse(await cli(redis.port, '--raw', 'HGET', 'other.test.', 'keep'))).toEqual({ a: [{ ip: '203.0.113.6' }], 'x-owner': 'ops', txt: [{ text: 'tfgw' }] });
    } finally {
      await store.close();
    }
  });

  test('an unreachable Redis fails open with TFGW_ERR_DNS', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    await expect(store.open()).rejects.toMatchObject({ code: 'TFGW_ERR_DNS' });
  });
});

describe('noticing writes by others', () => {
  test('another tfgw instance: label-level events over the channel', async () => {
    const a = new RedisStore({ url: redis.url, watch: 'off', prefix: 'pair:' });
    const b = new RedisStore({ url: redis.url, watch: 'off', prefix: 'pair:' });
    await a.open();
    await b.open();
    try {
      const seen = nextChange(b, (c) => c.label === 'shared');
      await a.upsert('pair.test', 'shared', { a: [{ ip: '192.0.2.1' }] });
      expect(await seen).toEqual({ zone: 'pair.test', label: 'shared' });
      expect(await b.lookup('pair.test', 'shared')).toEqual({ a: [{ ip: '192.0.2.1' }] });
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('poll mode reports a zone whose hash another tool changed', async () => {
    const store = new RedisStore({ url: redis.url, watch: 'poll', pollMs: 20 });
    await store.open();
    try {
      await store.list('poll.test'); // watch it
      const seen = nextChange(store, (c) => c.zone === 'poll.test');
      await cli(redis.port, 'HSET', 'poll.test.', 'ext', '{"a":[{"ip":"192.0.2.44"}]}');
      expect(await seen).toEqual({ zone: 'poll.test' });
    } finally {
      await store.close();
    }
  });

  test('keyspace mode (auto-detected) reports external writes, and the server answers them', async () => {
    const ks = await startRedis(['--notify-keyspace-events', 'Kh']);
    const node = new TfgwNode({ baseDir: tmp(), plugins: [dnsRedis({ url: ks.url }), dnsDns2({ listen: '127.0.0.1:0', zones: ['ks.test'] })] });
    node.gateway = { zones: ['ks.test'], publicAddresses: { ipv4: ['127.0.0.1'], ipv6: [] }, names: () => [] } as unknown as TfgwNode['gateway'];
    await node.start();
    try {
      const store = node.services.lookup<RecordStore>('dns.store')!;
      const port = node.services.lookup<DnsServer>('dns.server')!.addresses().udp[0].port;
      expect((await dig(port, ['ext.ks.test', 'A', '+norec'])).status).toBe('NXDOMAIN');
      const seen = nextChange(store, (c) => c.zone === 'ks.test' && c.label === undefined);
      await cli(ks.port, 'HSET', 'ks.test.', 'ext', '{"a":[{"ip":"192.0.2.55","ttl":30}]}');
      await seen;
      const r = await dig(port, ['ext.ks.test', 'A', '+norec']);
      expect(r.answer).toEqual([{ name: 'ext.ks.test.', ttl: 30, class: 'IN', type: 'A', data: '192.0.2.55' }]);
    } finally {
      await node.stop();
      await ks.stop();
    }
  });
});

describe('Redis outage', () => {
  test('zones already loaded keep being answered while Redis is down; writes fail with TFGW_ERR_DNS', async () => {
    const own = await startRedis();
    const node = new TfgwNode({ baseDir: tmp(), plugins: [dnsRedis({ url: own.url, watch: 'off', redis: { maxRetriesPerRequest: 0, retryStrategy: () => 50 } }), dnsDns2({ listen: '127.0.0.1:0', zones: ['down.test'] })] });
    node.gateway = { zones: ['down.test'], publicAddresses: { ipv4: ['127.0.0.1'], ipv6: [] }, names: () => [] } as unknown as TfgwNode['gateway'];
    await node.start();
    try {
      const store = node.services.lookup<RecordStore>('dns.store')!;
      const port = node.services.lookup<DnsServer>('dns.server')!.addresses().udp[0].port;
      await store.upsert('down.test', 'www', { a: [{ ip: '192.0.2.80' }] });
      expect((await dig(port, ['www.down.test', 'A', '+norec'])).answer.map((a) => a.data)).toEqual(['192.0.2.80']);
      await own.stop();
      expect((await dig(port, ['www.down.test', 'A', '+norec'])).answer.map((a) => a.data)).toEqual(['192.0.2.80']);
      expect((await dig(port, ['nope.down.test', 'A', '+norec'])).status).toBe('NXDOMAIN');
      await expect(store.upsert('down.test', 'x', { a: [{ ip: '192.0.2.1' }] })).rejects.toMatchObject({ code: 'TFGW_ERR_DNS' });
    } finally {
      await node.stop();
      await own.stop();
    }
  });
});

describe('dns-redis plugin', () => {
  test('names follow tunnels into Redis; apex SOA/NS/glue written at start', async () => {
    const node = new TfgwNode({ baseDir: tmp(), plugins: [dnsRedis({ url: redis.url, prefix: 'plug:' })] });
    // stand-in for the gateway role until it lands
    node.gateway = { zones: ['tfgw.localhost'], publicAddresses: { ipv4: ['198.51.100.7'], ipv6: [] }, names: () => [] } as unknown as TfgwNode['gateway'];
    await node.start();
    try {
      const store = node.services.lookup<RecordStore>('dns.store')!;
      const done = nextChange(store, (c) => c.label === '*.demo');
      node.hooks.nameAdded.call({ fqdn: 'demo.tfgw.localhost', zone: 'tfgw.localhost', owner: 'o', kind: 'agent' });
      await done;
      const h = await hgetall(redis.port, 'plug:tfgw.localhost.');
      expect(h.demo).toEqual({ a: [{ ip: '198.51.100.7', ttl: 60 }] });
      expect(h['*.demo']).toEqual({ a: [{ ip: '198.51.100.7', ttl: 60 }] });
      expect(h.ns1).toEqual({ a: [{ ip: '198.51.100.7', ttl: 3600 }] });
      expect((h['@'] as { ns: unknown }).ns).toEqual([{ host: 'ns1.tfgw.localhost.', ttl: 3600 }]);
      const gone = nextChange(store, (c) => c.label === '*.demo');
      node.hooks.nameRemoved.call({ fqdn: 'demo.tfgw.localhost', zone: 'tfgw.localhost', owner: 'o', kind: 'agent' });
      await gone;
      const after = await hgetall(redis.port, 'plug:tfgw.localhost.');
      expect(after.demo).toBeUndefined();
      expect(after['*.demo']).toBeUndefined();
    } finally {
      await node.stop();
    }
  });
});
