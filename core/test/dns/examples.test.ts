/**
 * The DNS parts of examples/redis-dns and examples/coredns-file, run for real: the config's DNS
 * plugin entries are built from their packages and started on a node whose gateway is a small
 * stand-in (until the CLI end-to-end tests cover the whole deployment).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TfgwNode, type PluginEntry, type RecordChange, type RecordStore, type TfgwPlugin } from '@tfgw/core';
import type { DnsServer } from '@tfgw/dns-dns2';
import { dig } from './dig';
import { namedCheckzone } from './named-checkzone';
import { startRedis } from './redis-server';

const EXAMPLES = path.resolve(__dirname, '../../../examples');

/** Loads an example config with `env` set, returning its DNS plugins built from their packages. */
function dnsPlugins(example: string, env: Record<string, string>, override: Record<string, Record<string, unknown>> = {}): TfgwPlugin[] {
  const file = path.join(EXAMPLES, example, 'tfgw.config.js');
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    delete require.cache[require.resolve(file)];
    const config = require(file) as { plugins: PluginEntry[] };
    return config.plugins
      .filter((e): e is [string, Record<string, unknown>] => Array.isArray(e) && e[0].startsWith('dns-'))
      .map(([name, opts]) => {
        const factory = (require(`@tfgw/${name}`) as { default: (o: Record<string, unknown>) => TfgwPlugin }).default;
        return factory({ ...opts, ...override[name] });
      });
  } finally {
    process.env = saved;
  }
}

function standInGateway(node: TfgwNode): void {
  node.gateway = { zones: ['tfgw.localhost'], publicAddresses: { ipv4: ['127.0.0.1'], ipv6: [] }, names: () => [] } as unknown as TfgwNode['gateway'];
}

function change(store: RecordStore, label: string): Promise<RecordChange> {
  return new Promise((resolve) => {
    const off = store.onChange((c) => {
      if (c.label === label) {
        off();
        resolve(c);
      }
    });
  });
}

test('examples/redis-dns: REDIS_URL store + dns-dns2 answer an agent name', async () => {
  const redis = await startRedis();
  const plugins = dnsPlugins('redis-dns', { REDIS_URL: redis.url }, { 'dns-dns2': { listen: '127.0.0.1:0' } });
  expect(plugins.map((p) => p.name)).toEqual(['dns-redis', 'dns-dns2']);
  const node = new TfgwNode({ baseDir: await fs.mkdtemp(path.join(os.tmpdir(), 'tfgw-example-redis-')), plugins });
  standInGateway(node);
  try {
    await node.start();
    const store = node.services.lookup<RecordStore>('dns.store')!;
    expect(store.kind).toBe('redis');
    const done = change(store, '*.demo');
    node.hooks.nameAdded.call({ fqdn: 'demo.tfgw.localhost', zone: 'tfgw.localhost', owner: 'o', kind: 'agent' });
    await done;
    const port = node.services.lookup<DnsServer>('dns.server')!.addresses().udp[0].port;
    const r = await dig(port, ['www.demo.tfgw.localhost', 'A', '+norec']);
    expect(r.status).toBe('NOERROR');
    expect(r.flags).toContain('aa');
    expect(r.answer.map((a) => a.data)).toEqual(['127.0.0.1']);
  } finally {
    await node.stop();
    await redis.stop();
  }
});

test('examples/coredns-file: TFGW_ZONE_DIR gets db.tfgw.localhost that named-checkzone accepts; the Corefile serves it with reload', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfgw-example-zones-'));
  const plugins = dnsPlugins('coredns-file', { TFGW_ZONE_DIR: dir });
  expect(plugins.map((p) => p.name)).toEqual(['dns-coredns-file']);
  const node = new TfgwNode({ baseDir: dir, plugins });
  standInGateway(node);
  try {
    await node.start();
    const store = node.services.lookup<RecordStore>('dns.store')!;
    const done = change(store, '*.demo');
    node.hooks.nameAdded.call({ fqdn: 'demo.tfgw.localhost', zone: 'tfgw.localhost', owner: 'o', kind: 'agent' });
    await done;
    await node.stop();
    const file = path.join(dir, 'db.tfgw.localhost');
    expect(await fs.readFile(file, 'utf8')).toMatch(/^\*\.demo\t60\tIN\tA\t127\.0\.0\.1$/m);
    const check = await namedCheckzone('tfgw.localhost', file);
    expect(check.ok).toBe(true);
    const corefile = await fs.readFile(path.join(EXAMPLES, 'coredns-file', 'Corefile'), 'utf8');
    expect(corefile).toMatch(/file \{\$TFGW_ZONE_DIR\}\/db\.tfgw\.localhost \{\s*reload \d+s/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
