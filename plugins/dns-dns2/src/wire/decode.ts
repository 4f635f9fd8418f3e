import type { DnsRecord } from '@tfgw/core';
import { TYPE, typeName } from './constants';
import { ipv6Text } from './rdata';

/** A decoded message (tests, tools; the server's hot path never decodes whole messages). */
export interface DecodedMessage {
  /** ID. */
  id: number;
  /** Flags word. */
  flags: number;
  /** Response code including EDNS extended bits. */
  rcode: number;
  /** Questions. */
  questions: Array<{ name: string; type: string; class: number }>;
  /** Answer section. */
  answers: DnsRecord[];
  /** Authority section. */
  authority: DnsRecord[];
  /** Additional section, without the OPT record. */
  additional: DnsRecord[];
  /** OPT facts when present. */
  edns?: { udpSize: number; version: number; dnssecOk: boolean };
}

/** Thrown by {@link decodeMessage} on malformed input. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Decodes a whole DNS message: names (with compression, loop-safe), every type the server
 * writes into `data` fields like the record model (`ip`, `host`, `text`, ...), others as `raw`.
 * Names keep their case. Throws {@link DecodeError} on malformed input.
 */
export function decodeMessage(buf: Uint8Array): DecodedMessage {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12) throw new DecodeError('short header');
  let p = 12;
  const u16 = () => {
    if (p + 2 > b.length) throw new DecodeError('truncated');
    const v = b.readUInt16BE(p);
    p += 2;
    return v;
  };
  const u32 = () => {
    if (p + 4 > b.length) throw new DecodeError('truncated');
    const v = b.readUInt32BE(p);
    p += 4;
    return v;
  };
  const name = (): string => {
    const labels: string[] = [];
    let q = p;
    let jumped = false;
    let hops = 0;
    let total = 0;
    for (;;) {
      if (q >= b.length) throw new DecodeError('name past end');
      const l = b[q];
      if (l === 0) {
        q++;
        break;
      }
      if ((l & 0xc0) === 0xc0) {
        if (q + 1 >= b.length) throw new DecodeError('pointer past end');
        if (++hops > 64) throw new DecodeError('pointer loop');
        const target = ((l & 0x3f) << 8) | b[q + 1];
        if (!jumped) p = q + 2;
        jumped = true;
        if (target >= q) throw new DecodeError('forward pointer');
        q = target;
        continue;
      }
      if (l > 63) throw new DecodeError('bad label length');
      if (q + 1 + l > b.length) throw new DecodeError('label past end');
      total += l + 1;
      if (total > 255) throw new DecodeError('name too long');
      labels.push(b.toString('latin1', q + 1, q + 1 + l).replace(/[.\\]/g, (c) => `\\${c}`));
      q += l + 1;
    }
    if (!jumped) p = q;
    return labels.join('.');
  };
  const id = b.readUInt16BE(0);
  const flags = b.readUInt16BE(2);
  const counts = [b.readUInt16BE(4), b.readUInt16BE(6), b.readUInt16BE(8), b.readUInt16BE(10)];
  const questions: DecodedMessage['questions'] = [];
  for (let i = 0; i < counts[0]; i++) {
    const n = name();
    const type = u16();
    questions.push({ name: n, type: typeName(type), class: u16() });
  }
  let edns: DecodedMessage['edns'];
  let ext = 0;
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const owner = name();
      const type = u16();
      const klass = u16();
      const ttl = u32();
      const rdlen = u16();
      const end = p + rdlen;
      if (end > b.length) throw new DecodeError('rdata past end');
      if (type === TYPE.OPT) {
        ext = ttl >>> 24;
        edns = { udpSize: klass, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0 };
        p = end;
        continue;
      }
      const data = rdata(type, end);
      if (p !== end) throw new DecodeError(`rdata length mismatch for ${typeName(type)}`);
      sections[s].push({ name: owner, type: typeName(type), ttl, data });
    }
  }
  return { id, flags, rcode: (ext << 4) | (flags & 0xf), questions, answers: sections[0], authority: sections[1], additional: sections[2], edns };

  function rdata(type: number, end: number): Record<string, unknown> {
    switch (type) {
      case TYPE.A: {
        if (end - p !== 4) throw new DecodeError('A rdata is not 4 bytes');
        const ip = `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
        p += 4;
        return { ip };
      }
      case TYPE.AAAA: {
        if (end - p !== 16) throw new DecodeError('AAAA rdata is not 16 bytes');
        const ip = ipv6Text(b.subarray(p, p + 16));
        p += 16;
        return { ip };
      }
      case TYPE.CNAME:
      case TYPE.NS:
      case TYPE.PTR:
        return { host: name() };
      case TYPE.MX: {
        const preference = u16();
        return { preference, host: name() };
      }
      case TYPE.SRV: {
        const priority = u16();
        const weight = u16();
        const port = u16();
        return { priority, weight, port, target: name() };
      }
      case TYPE.SOA: {
        const ns = name();
        const mbox = name();
        return { ns, mbox, serial: u32(), refresh: u32(), retry: u32(), expire: u32(), minttl: u32() };
      }
      case TYPE.TXT: {
        const strings: string[] = [];
        while (p < end) {
          const l = b[p];
          if (p + 1 + l > end) throw new DecodeError('TXT string past rdata');
          strings.push(b.toString('utf8', p + 1, p + 1 + l));
          p += 1 + l;
        }
        return { text: strings.join(''), strings };
      }
      case TYPE.CAA: {
        if (end - p < 2) throw new DecodeError('short CAA');
        const flag = b[p];
        const tl = b[p + 1];
        if (p + 2 + tl > end) throw new DecodeError('CAA tag past rdata');
        const tag = b.toString('latin1', p + 2, p + 2 + tl);
        const value = b.toString('utf8', p + 2 + tl, end);
        p = end;
        return { flag, tag, value };
      }
      default: {
        const raw = Buffer.from(b.subarray(p, end));
        p = end;
        return { raw };
      }
    }
  }
}
