import dgram from 'node:dgram';
import { once } from 'node:events';
import fc from 'fast-check';
import { TfgwNode, type DnsQuestion, type RecordStore } from '@tfgw/core';
import dnsMemory from '@tfgw/dns-memory';
import dnsDns2, { decodeMessage, type DnsServer, type DnsServerOptions } from '@tfgw/dns-dns2';
import { dig, digRaw } from '../../../core/test/dns/dig';
import { rawQuery } from './helpers';

async function startNode(opts: DnsServerOptions, setup?: (node: TfgwNode) => void): Promise<{ node: TfgwNode; port: number; store: RecordStore; server: DnsServer }> {
  const node = new TfgwNode({ plugins: [dnsMemory({ file: false, follow: { ledger: false } }), dnsDns2({ listen: '127.0.0.1:0', ...opts })] });
  // stand-in for the gateway role: zones and public addresses
  node.gateway = { zones: ['tfgw.localhost'], publicAddresses: { ipv4: ['127.0.0.1'], ipv6: [] }, names: () => [] } as unknown as TfgwNode['gateway'];
  setup?.(node);
  await node.start();
  const server = node.services.lookup<DnsServer>('dns.server')!;
  return { node, port: server.addresses().udp[0].port, store: node.services.lookup<RecordStore>('dns.store')!, server };
}

/** A UDP client that sends packets and collects replies by ID. */
async function udpClient(port: number, from = '127.0.0.1') {
  const sock = dgram.createSocket('udp4');
  sock.bind(0, from);
  await once(sock, 'listening');
  const replies: Buffer[] = [];
  sock.on('message', (m) => replies.push(m));
  return {
    replies,
    send: (b: Buffer) => sock.send(b, port, '127.0.0.1'),
    /** Resolves with the first reply carrying `id`. */
    waitFor: (id: number) =>
      new Promise<Buffer>((resolve) => {
        const found = replies.find((m) => m.readUInt16BE(0) === id);
        if (found) return resolve(found);
        const on = (m: Buffer) => {
          if (m.readUInt16BE(0) === id) {
            sock.off('message', on);
            resolve(m);
          }
        };
        sock.on('message', on);
      }),
    close: () => sock.close(),
  };
}

describe('resolve hook', () => {
  test('a plugin tapping before the store answers first; the cache then stays off', async () => {
    let calls = 0;
    const { node, port, server } = await startNode({}, (n) => {
      n.hooks.resolve.tapPromise({ name: 'acme', stage: 0 }, async (q: DnsQuestion) => {
        calls++;
        if (q.name === '_acme-challenge.demo.tfgw.localhost' && q.type === 'TXT') {
          return { rcode: 'NOERROR', authoritative: true, answers: [{ name: q.name, type: 'TXT', ttl: 5, data: { text: `token-${calls}` } }], authority: [], additional: [] };
        }
        return undefined;
      });
    });
    try {
      const a = await dig(port, ['_acme-challenge.demo.tfgw.localhost', 'TXT', '+norec']);
      const b = await dig(port, ['_ACME-challenge.demo.tfgw.localhost', 'TXT', '+norec']);
      expect(a.answer[0].data).toBe('"token-1"');
      expect(b.answer[0].data).toBe('"token-2"');
      // other names still come from the store (apex written at start)
      expect((await dig(port, ['tfgw.localhost', 'SOA', '+norec'])).answer[0].type).toBe('SOA');
      expect(server.stats().cacheHits).toBe(0);
    } finally {
      await node.stop();
    }
  });

  test('a failing tap means SERVFAIL, and the server keeps serving', async () => {
    const { node, port } = await startNode({}, (n) => {
      n.hooks.resolve.tapPromise({ name: 'broken', stage: 0 }, async (q: DnsQuestion) => {
        if (q.name.startsWith('boom')) throw new Error('backend down');
        return undefined;
      });
    });
    try {
      expect((await dig(port, ['boom.tfgw.localhost', 'A', '+norec'])).status).toBe('SERVFAIL');
      expect((await dig(port, ['ns1.tfgw.localhost', 'A', '+norec'])).answer[0].data).toBe('127.0.0.1');
    } finally {
      await node.stop();
    }
  });
});

describe('dnsQuery hook', () => {
  test('every answered query is reported with its type, rcode and transport (cache hits too)', async () => {
    const seen: Array<{ type: string; rcode: string; transport: string }> = [];
    const { node, port } = await startNode({}, (n) => n.hooks.dnsQuery.tap('test', (q) => seen.push(q)));
    try {
      await dig(port, ['ns1.tfgw.localhost', 'A', '+norec']);
      await dig(port, ['ns1.tfgw.localhost', 'A', '+norec']);
      await dig(port, ['nope.tfgw.localhost', 'AAAA', '+norec', '+tcp']);
      await dig(port, ['example.org', 'TXT', '+norec']);
      expect(seen).toEqual([
        { type: 'A', rcode: 'NOERROR', transport: 'udp' },
        { type: 'A', rcode: 'NOERROR', transport: 'udp' },
        { type: 'AAAA', rcode: 'NXDOMAIN', transport: 'tcp' },
        { type: 'TXT', rcode: 'REFUSED', transport: 'udp' },
      ]);
    } finally {
      await node.stop();
    }
  });
});

describe('zones', () => {
  test('the gateway\'s zones are read live: a delegated zone added later is answered, a removed one is REFUSED', async () => {
    const zones = ['tfgw.localhost'];
    const { node, port, store } = await startNode({}, (n) => {
      n.gateway = { zones, publicAddresses: { ipv4: ['127.0.0.1'], ipv6: [] }, names: () => [] } as unknown as TfgwNode['gateway'];
    });
    try {
      expect((await dig(port, ['www.custom.example', 'A', '+norec'])).status).toBe('REFUSED');
      zones.push('custom.example');
      await store.upsert('custom.example', '@', { soa: { ns: 'ns1.tfgw.localhost.', mbox: 'hostmaster.custom.example.', refresh: 1, retry: 1, expire: 1, minttl: 30 } });
      await store.upsert('custom.example', '*', { a: [{ ip: '127.0.0.1' }] });
      const r = await dig(port, ['www.custom.example', 'A', '+norec']);
      expect(r.flags).toContain('aa');
      expect(r.answer.map((a) => a.data)).toEqual(['127.0.0.1']);
      zones.pop();
      await store.delete('custom.example', '*');
      expect((await dig(port, ['www.custom.example', 'A', '+norec'])).status).toBe('REFUSED');
    } finally {
      await node.stop();
    }
  });
});

describe('server options', () => {
  test('AXFR is refused unless configured', async () => {
    const { node, port } = await startNode({});
    try {
      const out = await digRaw(port, ['tfgw.localhost', 'AXFR']);
      expect(out).toMatch(/Transfer failed/);
      const c = await udpClient(port);
      c.send(rawQuery(0x5151, 'tfgw.localhost', 252));
      expect(decodeMessage(await c.waitFor(0x5151)).rcode).toBe(5);
      c.close();
    } finally {
      await node.stop();
    }
  });

  test('rateLimit drops what exceeds the per-source budget', async () => {
    const { node, port, server } = await startNode({ rateLimit: 5 });
    const c = await udpClient(port);
    try {
      for (let i = 0; i < 100; i++) c.send(rawQuery(i, 'ns1.tfgw.localhost', 1));
      // another source (127.0.0.2) is not limited: its answer also tells us the burst was processed
      const other = await udpClient(port, '127.0.0.2');
      other.send(rawQuery(9999, 'ns1.tfgw.localhost', 1));
      await other.waitFor(9999);
      other.close();
      await c.waitFor(0);
      expect(server.stats().rateLimited).toBeGreaterThan(0);
      expect(c.replies.length).toBeLessThan(100);
    } finally {
      c.close();
      await node.stop();
    }
  });

  test('a missing store fails start with TFGW_ERR_PLUGIN_DEPENDENCY', async () => {
    const node = new TfgwNode({ plugins: [dnsDns2({ listen: '127.0.0.1:0' })] });
    await expect(node.start()).rejects.toMatchObject({ code: 'TFGW_ERR_PLUGIN_DEPENDENCY' });
  });

  test('a bad listen address fails start with TFGW_ERR_CONFIG naming the key', async () => {
    const node = new TfgwNode({ plugins: [dnsMemory({ file: false }), dnsDns2({ listen: 'localhost:99999' })] });
    await expect(node.start()).rejects.toMatchObject({ code: 'TFGW_ERR_CONFIG', details: { path: 'dns-dns2.listen' } });
  });
});

describe('fuzz', () => {
  test('random packets and mutated queries never crash the server; every reply is a response to its query (property)', async () => {
    const { node, port, server } = await startNode({});
    const c = await udpClient(port);
    const valid = rawQuery(0x7777, 'www.demo.tfgw.localhost', 1);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 512 }),
            fc.tuple(fc.nat(valid.length - 1), fc.nat(255), fc.nat(valid.length)).map(([i, v, cut]) => {
              const b = Buffer.from(valid);
              b[i] = v;
              return b.subarray(0, Math.max(cut, 12));
            }),
          ),
          async (bytes) => {
            const b = Buffer.from(bytes);
            if (b.length >= 2) b.writeUInt16BE(0x1111, 0);
            c.replies.length = 0;
            c.send(b);
            const marker = rawQuery(0x2222, 'ns1.tfgw.localhost', 1);
            c.send(marker);
            await c.waitFor(0x2222);
            for (const r of c.replies) {
              if (r.readUInt16BE(0) === 0x2222) continue;
              expect(r.readUInt16BE(0)).toBe(0x1111);
              expect(r[2] & 0x80).toBe(0x80); // QR
              const m = decodeMessage(r);
              expect([0, 1, 2, 3, 4, 5, 16]).toContain(m.rcode);
            }
          },
        ),
        { seed: 99, numRuns: 400 },
      );
      expect((await dig(port, ['ns1.tfgw.localhost', 'A', '+norec'])).answer[0].data).toBe('127.0.0.1');
      expect(server.stats().malformed).toBeGreaterThan(0);
    } finally {
      c.close();
      await node.stop();
    }
  });
});
