import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { TfgwNode, type RecordStore } from '@tfgw/core';
import dnsMemory from '@tfgw/dns-memory';
import dnsDns2, { decodeMessage, type DnsServer } from '@tfgw/dns-dns2';
import { dig, digRaw } from '../../../core/test/dns/dig';
import { rawQuery } from './helpers';

const SOA = { ttl: 3600, ns: 'ns.example.com.', mbox: 'hostmaster.example.', refresh: 3600, retry: 600, expire: 86400, minttl: 120 };

/** The example zone of RFC 4592 section 2.2.1, plus what the other tests need. */
async function fill(store: RecordStore): Promise<void> {
  const z = 'example';
  await store.upsert(z, '@', { soa: SOA, ns: [{ host: 'ns.example.com.', ttl: 3600 }, { host: 'ns.example.net.', ttl: 3600 }] });
  await store.upsert(z, '*', { txt: [{ text: 'this is a wildcard', ttl: 3600 }], mx: [{ host: 'host1.example.', preference: 10, ttl: 3600 }] });
  await store.upsert(z, 'sub.*', { txt: [{ text: 'this is not a wildcard', ttl: 3600 }] });
  await store.upsert(z, 'host1', { a: [{ ip: '192.0.2.1', ttl: 3600 }] });
  await store.upsert(z, '_ssh._tcp.host1', { srv: [{ target: 'host1.example.', port: 22, priority: 0, weight: 0, ttl: 3600 }] });
  await store.upsert(z, '_ssh._tcp.host2', { srv: [{ target: 'host2.example.', port: 22, priority: 0, weight: 0, ttl: 3600 }] });
  await store.upsert(z, 'subdel', { ns: [{ host: 'ns.example.com.', ttl: 3600 }, { host: 'ns1.subdel.example.', ttl: 3600 }] });
  await store.upsert(z, 'ns1.subdel', { a: [{ ip: '192.0.2.53', ttl: 3600 }], aaaa: [{ ip: '2001:db8::53', ttl: 3600 }] });
  // tfgw.localhost: what the gateway writes, and the other record types
  const t = 'tfgw.localhost';
  await store.upsert(t, '@', {
    soa: { ...SOA, ns: 'ns1.tfgw.localhost.', mbox: 'hostmaster.tfgw.localhost.', minttl: 60 },
    ns: [{ host: 'ns1.tfgw.localhost.', ttl: 3600 }],
    mx: [{ host: 'mail.tfgw.localhost.', preference: 5, ttl: 300 }],
    caa: [{ flag: 0, tag: 'issue', value: 'letsencrypt.org' }],
  });
  await store.upsert(t, 'ns1', { a: [{ ip: '127.0.0.1', ttl: 3600 }] });
  await store.upsert(t, 'mail', { a: [{ ip: '127.0.0.25', ttl: 300 }] });
  await store.upsert(t, 'demo', { a: [{ ip: '127.0.0.1', ttl: 60 }], aaaa: [{ ip: '::1', ttl: 60 }] });
  await store.upsert(t, '*.demo', { a: [{ ip: '127.0.0.1', ttl: 60 }], aaaa: [{ ip: '::1', ttl: 60 }] });
  await store.upsert(t, 'www', { cname: [{ host: 'demo.tfgw.localhost.', ttl: 30 }] });
  await store.upsert(t, 'chain', { cname: [{ host: 'www.tfgw.localhost.', ttl: 30 }] });
  await store.upsert(t, 'out', { cname: [{ host: 'example.org.', ttl: 30 }] });
  await store.upsert(t, 'dangling', { cname: [{ host: 'missing.tfgw.localhost.', ttl: 30 }] });
  await store.upsert(t, 'loop1', { cname: [{ host: 'loop2.tfgw.localhost.' }] });
  await store.upsert(t, 'loop2', { cname: [{ host: 'loop1.tfgw.localhost.' }] });
  await store.upsert(t, 'long', { txt: [{ text: 'a'.repeat(300), ttl: 10 }, { text: 'short', ttl: 10 }] });
  await store.upsert(t, '_http._tcp', { srv: [{ target: 'demo.tfgw.localhost.', port: 8080, priority: 10, weight: 5, ttl: 10 }] });
  await store.upsert(t, 'big', { a: Array.from({ length: 60 }, (_, i) => ({ ip: `10.0.0.${i + 1}`, ttl: 10 })) });
  await store.upsert(t, 'deleg', { ns: [{ host: 'ns.deleg.tfgw.localhost.' }] });
  await store.upsert(t, 'ns.deleg', { a: [{ ip: '127.0.0.53' }] });
}

let node: TfgwNode;
let server: DnsServer;
let store: RecordStore;
let port: number;

beforeAll(async () => {
  node = new TfgwNode({
    plugins: [dnsMemory({ file: false, follow: false }), dnsDns2({ listen: '127.0.0.1:0', zones: ['example', 'tfgw.localhost'], axfr: ['127.0.0.1'] })],
  });
  await node.start();
  server = node.services.lookup<DnsServer>('dns.server')!;
  store = node.services.lookup<RecordStore>('dns.store')!;
  port = server.addresses().udp[0].port;
  expect(server.addresses().tcp[0].port).toBe(port);
  await fill(store);
});

afterAll(async () => {
  await node.stop();
});

const q = (name: string, type: string, ...more: string[]) => dig(port, [name, type, '+norec', ...more]);

describe('RFC 4592 wildcard examples (section 2.2.1)', () => {
  test('host3.example MX: synthesised from *.example, owner is the query name', async () => {
    const r = await q('host3.example', 'MX');
    expect(r.status).toBe('NOERROR');
    expect(r.flags).toEqual(expect.arrayContaining(['qr', 'aa']));
    expect(r.answer).toEqual([{ name: 'host3.example.', ttl: 3600, class: 'IN', type: 'MX', data: '10 host1.example.' }]);
    expect(r.additional.map((x) => x.data)).toContain('192.0.2.1');
  });

  test('host3.example A: the wildcard matches, has no A: NODATA with SOA', async () => {
    const r = await q('host3.example', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.answer).toEqual([]);
    expect(r.authority).toHaveLength(1);
    expect(r.authority[0]).toMatchObject({ name: 'example.', type: 'SOA', ttl: 120 });
  });

  test('foo.bar.example TXT: synthesised', async () => {
    const r = await q('foo.bar.example', 'TXT');
    expect(r.answer).toEqual([{ name: 'foo.bar.example.', ttl: 3600, class: 'IN', type: 'TXT', data: '"this is a wildcard"' }]);
  });

  test('host1.example MX: the name exists, so no wildcard: NODATA', async () => {
    const r = await q('host1.example', 'MX');
    expect(r.status).toBe('NOERROR');
    expect(r.answer).toEqual([]);
    expect(r.authority[0].type).toBe('SOA');
  });

  test('sub.*.example MX: exists, NODATA; its own TXT answers', async () => {
    expect((await q('sub.*.example', 'MX')).answer).toEqual([]);
    expect((await q('sub.*.example', 'TXT')).answer[0].data).toBe('"this is not a wildcard"');
  });

  test('_telnet._tcp.host1.example SRV: closest encloser _tcp.host1 has no wildcard: NXDOMAIN', async () => {
    const r = await q('_telnet._tcp.host1.example', 'SRV');
    expect(r.status).toBe('NXDOMAIN');
    expect(r.authority.map((x) => x.type)).toEqual(['SOA']);
  });

  test('_tcp.host2.example: an empty non-terminal: NODATA, not NXDOMAIN, not the wildcard', async () => {
    const r = await q('_tcp.host2.example', 'TXT');
    expect(r.status).toBe('NOERROR');
    expect(r.answer).toEqual([]);
  });

  test('ghost.*.example MX: closest encloser is *.example, *.*.example does not exist: NXDOMAIN', async () => {
    expect((await q('ghost.*.example', 'MX')).status).toBe('NXDOMAIN');
  });

  test('host.subdel.example A: referral with glue, AA off', async () => {
    const r = await q('host.subdel.example', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.flags).not.toContain('aa');
    expect(r.answer).toEqual([]);
    expect(r.authority.map((x) => `${x.name} ${x.type} ${x.data}`).sort()).toEqual(['subdel.example. NS ns.example.com.', 'subdel.example. NS ns1.subdel.example.']);
    expect(r.additional.map((x) => `${x.name} ${x.type} ${x.data}`).sort()).toEqual(['ns1.subdel.example. A 192.0.2.53', 'ns1.subdel.example. AAAA 2001:db8::53']);
  });

  test('subdel.example NS at the cut is a referral too; DS at the cut is answered by the parent (NODATA)', async () => {
    const ns = await q('subdel.example', 'NS');
    expect(ns.flags).not.toContain('aa');
    expect(ns.authority).toHaveLength(2);
    const ds = await q('subdel.example', 'DS');
    expect(ds.flags).toContain('aa');
    expect(ds.authority[0].type).toBe('SOA');
  });
});

describe('record types', () => {
  test('A and AAAA for a tunnel name and its services (wildcard)', async () => {
    expect((await q('demo.tfgw.localhost', 'A')).answer.map((x) => x.data)).toEqual(['127.0.0.1']);
    expect((await q('www.demo.tfgw.localhost', 'A')).answer).toEqual([{ name: 'www.demo.tfgw.localhost.', ttl: 60, class: 'IN', type: 'A', data: '127.0.0.1' }]);
    expect((await q('api.demo.tfgw.localhost', 'AAAA')).answer.map((x) => x.data)).toEqual(['::1']);
  });

  test('CNAME is chased inside the zone, also through a chain', async () => {
    const r = await q('www.tfgw.localhost', 'A');
    expect(r.answer.map((x) => `${x.name} ${x.type} ${x.data}`)).toEqual(['www.tfgw.localhost. CNAME demo.tfgw.localhost.', 'demo.tfgw.localhost. A 127.0.0.1']);
    const c = await q('chain.tfgw.localhost', 'AAAA');
    expect(c.answer.map((x) => x.type)).toEqual(['CNAME', 'CNAME', 'AAAA']);
    expect((await q('www.tfgw.localhost', 'CNAME')).answer.map((x) => x.type)).toEqual(['CNAME']);
  });

  test('CNAME out of the zone is not chased; a dangling one ends in NXDOMAIN; loops stop', async () => {
    const out = await q('out.tfgw.localhost', 'A');
    expect(out.status).toBe('NOERROR');
    expect(out.answer.map((x) => x.data)).toEqual(['example.org.']);
    const dangling = await q('dangling.tfgw.localhost', 'A');
    expect(dangling.status).toBe('NXDOMAIN');
    expect(dangling.answer.map((x) => x.type)).toEqual(['CNAME']);
    expect(dangling.authority.map((x) => x.type)).toEqual(['SOA']);
    const loop = await q('loop1.tfgw.localhost', 'A');
    expect(loop.status).toBe('NOERROR');
    expect(loop.answer.map((x) => x.type)).toEqual(['CNAME', 'CNAME']);
  });

  test('TXT longer than 255 bytes comes as several strings', async () => {
    const r = await q('long.tfgw.localhost', 'TXT');
    const long = r.answer.find((x) => x.data.length > 100)!;
    expect(long.data).toBe(`"${'a'.repeat(255)}" "${'a'.repeat(45)}"`);
    expect(r.answer.map((x) => x.data)).toContain('"short"');
  });

  test('MX, SRV, NS, SOA, CAA with additional data', async () => {
    const mx = await q('tfgw.localhost', 'MX');
    expect(mx.answer[0].data).toBe('5 mail.tfgw.localhost.');
    expect(mx.additional.map((x) => `${x.name} ${x.data}`)).toEqual(['mail.tfgw.localhost. 127.0.0.25']);
    const srv = await q('_http._tcp.tfgw.localhost', 'SRV');
    expect(srv.answer[0].data).toBe('10 5 8080 demo.tfgw.localhost.');
    const ns = await q('tfgw.localhost', 'NS');
    expect(ns.flags).toContain('aa');
    expect(ns.answer.map((x) => x.data)).toEqual(['ns1.tfgw.localhost.']);
    expect(ns.additional.map((x) => `${x.name} ${x.type} ${x.data}`)).toEqual(['ns1.tfgw.localhost. A 127.0.0.1']);
    const soa = await q('tfgw.localhost', 'SOA');
    expect(soa.answer[0].data).toMatch(/^ns1\.tfgw\.localhost\. hostmaster\.tfgw\.localhost\. \d+ 3600 600 86400 60$/);
    const caa = await q('tfgw.localhost', 'CAA');
    expect(caa.answer[0].data).toBe('0 issue "letsencrypt.org"');
  });

  test('NXDOMAIN carries the SOA with TTL min(SOA TTL, minimum)', async () => {
    const r = await q('nope.tfgw.localhost', 'A');
    expect(r.status).toBe('NXDOMAIN');
    expect(r.flags).toContain('aa');
    expect(r.authority).toHaveLength(1);
    expect(r.authority[0]).toMatchObject({ name: 'tfgw.localhost.', type: 'SOA', ttl: 60 });
  });

  test('a delegated sub-zone of tfgw.localhost gets a referral with glue', async () => {
    const r = await q('www.deleg.tfgw.localhost', 'A');
    expect(r.flags).not.toContain('aa');
    expect(r.authority.map((x) => x.data)).toEqual(['ns.deleg.tfgw.localhost.']);
    expect(r.additional.map((x) => x.data)).toEqual(['127.0.0.53']);
  });

  test('ANY lists every type of the name', async () => {
    const r = await q('demo.tfgw.localhost', 'ANY');
    expect(r.answer.map((x) => x.type).sort()).toEqual(['A', 'AAAA']);
  });

  test('an unknown type at an existing name is NODATA', async () => {
    const r = await q('demo.tfgw.localhost', 'TYPE65');
    expect(r.status).toBe('NOERROR');
    expect(r.answer).toEqual([]);
    expect(r.authority[0].type).toBe('SOA');
  });
});

describe('protocol behaviour', () => {
  test('REFUSED outside our zones, no recursion offered (RA off), RD echoed', async () => {
    const r = await dig(port, ['example.org', 'A']);
    expect(r.status).toBe('REFUSED');
    expect(r.flags).toContain('rd');
    expect(r.flags).not.toContain('ra');
    expect(r.flags).not.toContain('aa');
    const n = await q('demo.tfgw.localhost', 'A');
    expect(n.flags).not.toContain('rd');
    expect(n.flags).not.toContain('ra');
  });

  test('names match case-insensitively and the question is echoed as asked (also from the cache)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await q('WwW.DeMo.TFGW.localhost', 'A');
      expect(r.question).toEqual(['WwW.DeMo.TFGW.localhost. IN A']);
      expect(r.answer[0].name).toBe('WwW.DeMo.TFGW.localhost.');
      expect(r.answer[0].data).toBe('127.0.0.1');
    }
  });

  test('EDNS: OPT echoed with our UDP size; no OPT without EDNS', async () => {
    const r = await q('demo.tfgw.localhost', 'A', '+bufsize=4096');
    expect(r.edns).toEqual({ version: 0, udp: 1232, flags: [] });
    const d = await q('demo.tfgw.localhost', 'A', '+dnssec');
    expect(d.edns?.flags).toEqual(['do']);
    const plain = await q('demo.tfgw.localhost', 'A', '+noedns');
    expect(plain.edns).toBeUndefined();
  });

  test('EDNS version 1 gets BADVERS', async () => {
    const r = await q('demo.tfgw.localhost', 'A', '+edns=1', '+noednsnegotiation');
    expect(r.status).toBe('BADVERS');
  });

  test('a large answer is truncated over UDP (TC) and complete over TCP', async () => {
    const udp = await q('big.tfgw.localhost', 'A', '+ignore', '+noedns');
    expect(udp.flags).toContain('tc');
    expect(udp.answer).toEqual([]);
    const small = await q('big.tfgw.localhost', 'A', '+ignore', '+bufsize=512');
    expect(small.flags).toContain('tc');
    const edns = await q('big.tfgw.localhost', 'A', '+ignore', '+bufsize=1232');
    expect(edns.flags).not.toContain('tc');
    expect(edns.answer).toHaveLength(60);
    const tcp = await q('big.tfgw.localhost', 'A', '+tcp', '+noedns');
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer).toHaveLength(60);
    const fallback = await q('big.tfgw.localhost', 'A', '+noedns'); // dig retries over TCP on TC
    expect(fallback.answer).toHaveLength(60);
  });

  test('AXFR over TCP from an allowed source gets the zone, SOA first and last', async () => {
    const raw = await digRaw(port, ['tfgw.localhost', 'AXFR']);
    const recs = raw.split('\n').filter((l) => /^\S+\s+\d+\s+IN\s+/.test(l));
    expect(recs[0]).toMatch(/SOA/);
    expect(recs[recs.length - 1]).toMatch(/SOA/);
    expect(recs.some((l) => /^\*\.demo\.tfgw\.localhost\.\s+60\s+IN\s+A\s+127\.0\.0\.1/.test(l))).toBe(true);
  });

  test('store changes are served at once (the response cache is invalidated)', async () => {
    expect((await q('fresh.tfgw.localhost', 'A')).status).toBe('NXDOMAIN');
    await store.upsert('tfgw.localhost', 'fresh', { a: [{ ip: '192.0.2.77' }] });
    expect((await q('fresh.tfgw.localhost', 'A')).answer.map((x) => x.data)).toEqual(['192.0.2.77']);
    await store.upsert('tfgw.localhost', 'fresh', { a: [{ ip: '192.0.2.78' }] });
    expect((await q('fresh.tfgw.localhost', 'A')).answer.map((x) => x.data)).toEqual(['192.0.2.78']);
    await store.delete('tfgw.localhost', 'fresh');
    expect((await q('fresh.tfgw.localhost', 'A')).status).toBe('NXDOMAIN');
    // a wildcard added below the name that was NXDOMAIN
    await store.upsert('tfgw.localhost', '*.fresh', { txt: [{ text: 'w' }] });
    expect((await q('x.fresh.tfgw.localhost', 'TXT')).answer.map((x) => x.data)).toEqual(['"w"']);
    expect((await q('fresh.tfgw.localhost', 'TXT')).status).toBe('NOERROR'); // now an empty non-terminal
    expect(server.stats().cacheHits).toBeGreaterThan(0);
  });

  test('TCP: pipelined queries on one connection, frames split byte by byte', async () => {
    const frames = [1, 2, 3].map((i) => {
      const m = rawQuery(0x100 + i, i === 2 ? 'nope.tfgw.localhost' : 'demo.tfgw.localhost', 1);
      const f = Buffer.alloc(m.length + 2);
      f.writeUInt16BE(m.length, 0);
      m.copy(f, 2);
      return f;
    });
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const all = Buffer.concat(frames);
    for (const byte of all) sock.write(Buffer.from([byte]));
    const got: Array<{ id: number; rcode: number }> = [];
    let buf = Buffer.alloc(0);
    await new Promise<void>((resolve) => {
      sock.on('data', (c) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const m = decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          got.push({ id: m.id, rcode: m.rcode });
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (got.length === 3) resolve();
      });
    });
    sock.destroy();
    expect(got.sort((a, b) => a.id - b.id)).toEqual([
      { id: 0x101, rcode: 0 },
      { id: 0x102, rcode: 3 },
      { id: 0x103, rcode: 0 },
    ]);
  });

  test('malformed, unsupported and odd packets over UDP: FORMERR / NOTIMP / REFUSED or dropped, never a crash', async () => {
    const sock = dgram.createSocket('udp4');
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    const ask = async (b: Buffer): Promise<ReturnType<typeof decodeMessage> | undefined> => {
      // each probe is followed by a valid query: its answer proves the probe got everything it will get
      const marker = rawQuery(0xbeef, 'demo.tfgw.localhost', 1);
      const replies: Buffer[] = [];
      const onMsg = (m: Buffer) => replies.push(m);
      sock.on('message', onMsg);
      const done = new Promise<void>((resolve) => {
        const check = (m: Buffer) => {
          if (m.readUInt16BE(0) === 0xbeef) {
            sock.off('message', check);
            resolve();
          }
        };
        sock.on('message', check);
      });
      sock.send(b, port, '127.0.0.1');
      sock.send(marker, port, '127.0.0.1');
      await done;
      sock.off('message', onMsg);
      const r = replies.find((m) => m.readUInt16BE(0) !== 0xbeef);
      return r ? decodeMessage(r) : undefined;
    };
    const ok = rawQuery(0x4242, 'demo.tfgw.localhost', 1);
    expect((await ask(ok))?.rcode).toBe(0);
    expect(await ask(Buffer.from([1, 2, 3]))).toBeUndefined(); // too short: dropped
    const resp = Buffer.from(ok);
    resp[2] |= 0x80;
    expect(await ask(resp)).toBeUndefined(); // a response: dropped (no reflection loops)
    const twoQ = Buffer.from(ok);
    twoQ.writeUInt16BE(2, 4);
    const formerr = await ask(twoQ);
    expect(formerr?.rcode).toBe(1);
    expect(formerr?.id).toBe(0x4242);
    const update = Buffer.from(ok);
    update[2] = 5 << 3;
    expect((await ask(update))?.rcode).toBe(4);
    const chaos = Buffer.from(ok);
    chaos.writeUInt16BE(3, chaos.length - 2);
    expect((await ask(chaos))?.rcode).toBe(5);
    sock.close();
  });
});
