import fc from 'fast-check';
import { Packet } from 'dns2';
import type { DnsRecord } from '@tfgw/core';
import { MessageWriter, decodeMessage, ipv6Bytes, ipv6Text, isProblem, parseQuery, questionName, txtChunks, typeCode, typeName } from '@tfgw/dns-dns2';

/** Builds a query the way a resolver does (name as labels, optional OPT). */
function query(name: string, qtype: number, opts: { id?: number; edns?: { size: number; version?: number; do?: boolean }; flags?: number } = {}): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const parts: Buffer[] = [];
  const h = Buffer.alloc(12);
  h.writeUInt16BE(opts.id ?? 0x1234, 0);
  h.writeUInt16BE(opts.flags ?? 0x0100, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(opts.edns ? 1 : 0, 10);
  parts.push(h);
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 255, 0, 1]));
  if (opts.edns) {
    const o = Buffer.alloc(11);
    o.writeUInt16BE(41, 1);
    o.writeUInt16BE(opts.edns.size, 3);
    o[6] = opts.edns.version ?? 0;
    o.writeUInt16BE(opts.edns.do ? 0x8000 : 0, 7);
    parts.push(o);
  }
  return Buffer.concat(parts);
}

const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const dname = fc.array(label, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('.'));
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();

describe('query parser', () => {
  test('parses what a resolver sends: lower-cased name, type, EDNS (property)', () => {
    fc.assert(
      fc.property(dname, fc.integer({ min: 1, max: 65535 }), fc.option(fc.record({ size: fc.integer({ min: 0, max: 65535 }), do: fc.boolean() }), { nil: undefined }), fc.nat(65535), (name, qtype, edns, id) => {
        const msg = query(name, qtype, { id, edns });
        const q = parseQuery(msg);
        if (isProblem(q)) throw new Error(q.reason);
        expect(questionName(msg, q.nameEnd)).toBe(name.toLowerCase());
        expect(q.qtype).toBe(qtype);
        expect(q.id).toBe(id);
        expect(q.nameEnd).toBe(12 + name.length + 2);
        if (edns) expect(q.edns).toEqual({ udpSize: Math.max(512, edns.size), version: 0, dnssecOk: edns.do });
        else expect(q.edns).toBeUndefined();
        // the cache key ignores case
        const again = parseQuery(query(name.toUpperCase(), qtype, { id, edns }));
        expect(isProblem(again) ? '' : again.wireKey).toBe(q.wireKey);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  test('never throws on random bytes, and flags junk correctly (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = parseQuery(Buffer.from(bytes));
        if (isProblem(r)) expect(['drop', 'FORMERR', 'NOTIMP']).toContain(r.action);
        else {
          expect(r.nameEnd).toBeLessThanOrEqual(bytes.length);
          expect(typeof questionName(Buffer.from(bytes), r.nameEnd)).toBe('string');
        }
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  test('labels holding dots or backslashes are escaped in the text name', () => {
    const m = Buffer.concat([Buffer.alloc(12), Buffer.from([3, 0x61, 0x2e, 0x5c, 1, 0x42, 0]), Buffer.from([0, 1, 0, 1])]);
    m.writeUInt16BE(1, 4);
    const q = parseQuery(m);
    if (isProblem(q)) throw new Error(q.reason);
    expect(questionName(m, q.nameEnd)).toBe('a\\.\\\\.b');
  });

  test('malformed queries: codes per rule', () => {
    const ok = query('www.example', 1);
    const problem = (b: Buffer) => {
      const r = parseQuery(b);
      return isProblem(r) ? r.action : 'ok';
    };
    expect(problem(ok)).toBe('ok');
    expect(problem(ok.subarray(0, 11))).toBe('drop');
    const resp = Buffer.from(ok);
    resp[2] |= 0x80;
    expect(problem(resp)).toBe('drop');
    const update = Buffer.from(ok);
    update[2] = (5 << 3) | (update[2] & 0x87);
    expect(problem(update)).toBe('NOTIMP');
    const twoQ = Buffer.from(ok);
    twoQ.writeUInt16BE(2, 4);
    expect(problem(twoQ)).toBe('FORMERR');
    expect(problem(ok.subarray(0, ok.length - 2))).toBe('FORMERR');
    const pointer = Buffer.from(ok);
    pointer[12] = 0xc0;
    expect(problem(pointer)).toBe('FORMERR');
    const twoOpt = query('a', 1, { edns: { size: 1232 } });
    twoOpt.writeUInt16BE(2, 10);
    expect(problem(Buffer.concat([twoOpt, twoOpt.subarray(twoOpt.length - 11)]))).toBe('FORMERR');
    const longName = Buffer.concat([Buffer.from(Array(12).fill(0)), ...Array(5).fill(Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 97)])), Buffer.from([0, 0, 1, 0, 1])]);
    longName.writeUInt16BE(1, 4);
    expect(problem(longName)).toBe('FORMERR');
  });
});

const record: fc.Arbitrary<DnsRecord> = fc.oneof(
  fc.record({ name: dname, type: fc.constant('A'), ttl: fc.nat(0x7fffffff), data: fc.record({ ip: ipv4 }) }),
  fc.record({ name: dname, type: fc.constant('AAAA'), ttl: fc.nat(0x7fffffff), data: fc.record({ ip: ipv6 }) }),
  fc.record({ name: dname, type: fc.constantFrom('CNAME', 'NS'), ttl: fc.nat(86400), data: fc.record({ host: dname }) }),
  fc.record({ name: dname, type: fc.constant('MX'), ttl: fc.nat(86400), data: fc.record({ host: dname, preference: fc.nat(65535) }) }),
  fc.record({ name: dname, type: fc.constant('TXT'), ttl: fc.nat(86400), data: fc.record({ text: fc.string({ maxLength: 700 }) }) }),
  fc.record({ name: dname, type: fc.constant('SRV'), ttl: fc.nat(86400), data: fc.record({ target: dname, port: fc.nat(65535), priority: fc.nat(65535), weight: fc.nat(65535) }) }),
  fc.record({ name: dname, type: fc.constant('CAA'), ttl: fc.nat(86400), data: fc.record({ flag: fc.constantFrom(0, 128), tag: fc.constantFrom('issue', 'issuewild', 'iodef'), value: fc.string({ maxLength: 60 }) }) }),
  fc.record({
    name: dname,
    type: fc.constant('SOA'),
    ttl: fc.nat(86400),
    data: fc.record({ ns: dname, mbox: dname, serial: fc.nat(0xffffffff), refresh: fc.nat(0xffffffff), retry: fc.nat(0xffffffff), expire: fc.nat(0xffffffff), minttl: fc.nat(0xffffffff) }),
  }),
);

function lowerNames(r: DnsRecord): DnsRecord {
  const data: Record<string, unknown> = { ...r.data };
  for (const k of ['host', 'target', 'ns', 'mbox']) if (typeof data[k] === 'string') data[k] = (data[k] as string).toLowerCase();
  if (r.type === 'AAAA') data.ip = ipv6Text(Uint8Array.from(ipv6Bytes(String(data.ip))));
  return { ...r, name: r.name.toLowerCase(), data };
}

describe('encoder', () => {
  test('encode -> decode gives the records back, with compression (property)', () => {
    fc.assert(
      fc.property(dname, fc.array(record, { maxLength: 12 }), (qname, records) => {
        const w = new MessageWriter();
        const raw = query(qname, 1).subarray(12, 12 + qname.length + 2);
        w.question(raw, qname.toLowerCase(), 1, 1);
        let n = 0;
        for (const r of records) if (w.record(r)) n++;
        expect(n).toBe(records.length);
        const msg = decodeMessage(w.finish(7, 0x8400, [1, n, 0, 0]));
        expect(msg.questions[0].name).toBe(qname);
        const got = msg.answers.map((r) => {
          const d = { ...r.data };
          delete d.strings;
          return lowerNames({ ...r, data: d });
        });
        expect(got).toEqual(records.map(lowerNames));
      }),
      { seed: 3, numRuns: 300 },
    );
  });

  test('dns2 (an independent codec) reads what it writes (property)', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records) => {
        const w = new MessageWriter();
        w.question(Buffer.from([0]), '', 255, 1);
        for (const r of records) w.record(r);
        const p = Packet.parse(w.finish(9, 0x8400, [1, records.length, 0, 0])) as unknown as { answers: Array<Record<string, unknown>> };
        expect(p.answers).toHaveLength(records.length);
        p.answers.forEach((a, i) => {
          const r = records[i];
          expect(a.name).toBe(r.name.toLowerCase());
          expect(a.type).toBe(typeCode(r.type));
          expect(a.ttl).toBe(r.ttl);
          if (r.type === 'A') expect(a.address).toBe(r.data.ip);
          if (r.type === 'AAAA') expect(ipv6Bytes(String(a.address))).toEqual(ipv6Bytes(String(r.data.ip)));
          if (r.type === 'MX') expect([a.exchange, a.priority]).toEqual([String(r.data.host).toLowerCase(), r.data.preference]);
          if (r.type === 'SRV') expect([a.target, a.port, a.priority, a.weight]).toEqual([String(r.data.target).toLowerCase(), r.data.port, r.data.priority, r.data.weight]);
          if (r.type === 'CNAME' || r.type === 'NS') expect(a.domain ?? a.ns).toBe(String(r.data.host).toLowerCase());
        });
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  test('TXT over 255 bytes is split into character-strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 1200 }), (text) => {
        const chunks = txtChunks(text);
        for (const c of chunks) expect(c.length).toBeLessThanOrEqual(255);
        expect(Buffer.concat(chunks).toString('utf8')).toBe(text);
        if (Buffer.byteLength(text) > 255) expect(chunks.length).toBeGreaterThan(1);
      }),
      { seed: 13, numRuns: 120 },
    );
  });

  test('IPv6 text <-> bytes (property)', () => {
    fc.assert(
      fc.property(ipv6, (ip) => {
        const b = ipv6Bytes(ip);
        expect(b).toHaveLength(16);
        expect(ipv6Bytes(ipv6Text(Uint8Array.from(b)))).toEqual(b);
      }),
      { seed: 17, numRuns: 500 },
    );
  });

  test('type names and codes', () => {
    expect(typeName(1)).toBe('A');
    expect(typeName(65)).toBe('TYPE65');
    expect(typeCode('caa')).toBe(257);
    expect(typeCode('TYPE65')).toBe(65);
    expect(typeCode('nope')).toBeUndefined();
  });

  test('decoder refuses pointer loops and truncation', () => {
    const loop = Buffer.from([0, 1, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(() => decodeMessage(loop)).toThrow();
    expect(() => decodeMessage(Buffer.alloc(5))).toThrow();
  });
});
