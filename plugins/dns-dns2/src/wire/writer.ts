import type { DnsRecord } from '@tfgw/core';
import { CLASS_IN, TYPE, typeCode } from './constants';
import { ipv4Bytes, ipv6Bytes, txtChunks } from './rdata';

/** Types with a structured encoder; others need `data.raw` (RFC 3597 opaque RDATA). */
const ENCODABLE = new Set<number>([TYPE.A, TYPE.AAAA, TYPE.CNAME, TYPE.NS, TYPE.PTR, TYPE.MX, TYPE.TXT, TYPE.SRV, TYPE.SOA, TYPE.CAA]);

/** The scratch buffer encodings are built in (encoding is synchronous, so one is enough). */
const SCRATCH = Buffer.allocUnsafe(65535 + 512);

/** Thrown when a message would exceed 65535 bytes. */
export class MessageTooLarge extends Error {
  constructor() {
    super('DNS message larger than 65535 bytes');
    this.name = 'MessageTooLarge';
  }
}

/**
 * Writes one DNS message with name compression (RFC 1035 4.1.4). Names are given as
 * dotted text (lower case, no trailing dot); the question name is copied raw so the
 * asker's case is echoed, and later names pointing at it share that case.
 */
export class MessageWriter {
  private readonly buf = SCRATCH;
  private pos = 12;
  private readonly names = new Map<string, number>();

  /** Writes the question: raw name bytes (from the query) registered under `name`. */
  question(rawName: Uint8Array, name: string, qtype: number, qclass: number): void {
    this.need(rawName.length + 4);
    this.buf.set(rawName, this.pos);
    // register every suffix of the question name at its offset
    let off = this.pos;
    let rest = name;
    if (rest !== '') {
      for (;;) {
        this.names.set(rest, off);
        const dot = nextDot(rest);
        if (dot < 0) break;
        off += labelWireLength(rest.slice(0, dot)) + 1;
        rest = rest.slice(dot + 1);
      }
    }
    this.pos += rawName.length;
    this.u16(qtype);
    this.u16(qclass);
  }

  /** Appends one record; `false` for a type it cannot encode. */
  record(rr: DnsRecord): boolean {
    const type = typeCode(rr.type);
    const d = rr.data as Record<string, unknown>;
    if (type === undefined || (!ENCODABLE.has(type) && !(d.raw instanceof Uint8Array))) return false;
    this.name(norm(rr.name), true);
    this.u16(type);
    this.u16(CLASS_IN);
    this.u32(Math.max(0, Math.min(0x7fffffff, Math.floor(Number(rr.ttl) || 0))));
    const lenAt = this.pos;
    this.u16(0);
    switch (type) {
      case TYPE.A:
        this.bytes(ipv4Bytes(String(d.ip)));
        break;
      case TYPE.AAAA:
        this.bytes(ipv6Bytes(String(d.ip)));
        break;
      case TYPE.CNAME:
      case TYPE.NS:
      case TYPE.PTR:
        this.name(norm(String(d.host)), true);
        break;
      case TYPE.MX:
        this.u16(Number(d.preference));
        this.name(norm(String(d.host)), true);
        break;
      case TYPE.TXT:
        for (const chunk of txtChunks(String(d.text ?? ''))) {
          this.need(chunk.length + 1);
          this.buf[this.pos++] = chunk.length;
          this.buf.set(chunk, this.pos);
          this.pos += chunk.length;
        }
        break;
      case TYPE.SRV:
        this.u16(Number(d.priority));
        this.u16(Number(d.weight));
        this.u16(Number(d.port));
        this.name(norm(String(d.target)), false); // RFC 2782: no compression
        break;
      case TYPE.SOA:
        this.name(norm(String(d.ns)), true);
        this.name(norm(String(d.mbox)), true);
        this.u32(Number(d.serial));
        this.u32(Number(d.refresh));
        this.u32(Number(d.retry));
        this.u32(Number(d.expire));
        this.u32(Number(d.minttl));
        break;
      case TYPE.CAA: {
        const tag = Buffer.from(String(d.tag), 'latin1');
        const value = Buffer.from(String(d.value), 'utf8');
        this.need(2 + tag.length + value.length);
        this.buf[this.pos++] = Number(d.flag) & 0xff;
        this.buf[this.pos++] = tag.length;
        this.buf.set(tag, this.pos);
        this.pos += tag.length;
        this.buf.set(value, this.pos);
        this.pos += value.length;
        break;
      }
      default: {
        const raw = d.raw as Uint8Array;
        this.need(raw.length);
        this.buf.set(raw, this.pos);
        this.pos += raw.length;
      }
    }
    this.buf.writeUInt16BE(this.pos - lenAt - 2, lenAt);
    return true;
  }

  /** Appends an OPT record (EDNS0) advertising `udpSize`, with extended rcode bits and DO. */
  opt(udpSize: number, extRcode: number, dnssecOk: boolean): void {
    this.need(11);
    this.buf[this.pos++] = 0;
    this.u16(TYPE.OPT);
    this.u16(udpSize);
    this.buf[this.pos++] = extRcode & 0xff;
    this.buf[this.pos++] = 0; // version 0
    this.u16(dnssecOk ? 0x8000 : 0);
    this.u16(0);
  }

  /** Current length. */
  get length(): number {
    return this.pos;
  }

  /** Fills the header and returns a copy of the message. */
  finish(id: number, flags: number, counts: [number, number, number, number]): Buffer {
    const b = this.buf;
    b.writeUInt16BE(id & 0xffff, 0);
    b.writeUInt16BE(flags & 0xffff, 2);
    b.writeUInt16BE(counts[0], 4);
    b.writeUInt16BE(counts[1], 6);
    b.writeUInt16BE(counts[2], 8);
    b.writeUInt16BE(counts[3], 10);
    return Buffer.from(b.subarray(0, this.pos));
  }

  /** Writes a name, compressing against earlier names when `compress`. */
  private name(name: string, compress: boolean): void {
    let rest = name;
    while (rest !== '') {
      if (compress) {
        const ptr = this.names.get(rest);
        if (ptr !== undefined) {
          this.u16(0xc000 | ptr);
          return;
        }
      }
      if (this.pos < 0x3fff) this.names.set(rest, this.pos);
      const dot = nextDot(rest);
      const label = unescapeLabel(dot < 0 ? rest : rest.slice(0, dot));
      if (label.length === 0 || label.length > 63) throw new Error(`bad label in "${name}"`);
      this.need(label.length + 1);
      this.buf[this.pos++] = label.length;
      this.buf.set(label, this.pos);
      this.pos += label.length;
      rest = dot < 0 ? '' : rest.slice(dot + 1);
    }
    this.need(1);
    this.buf[this.pos++] = 0;
  }

  private need(n: number): void {
    if (this.pos + n > 65535) throw new MessageTooLarge();
  }

  private u16(v: number): void {
    this.need(2);
    this.buf[this.pos++] = (v >> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
  }

  private u32(v: number): void {
    this.need(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  private bytes(b: number[]): void {
    this.need(b.length);
    for (const x of b) this.buf[this.pos++] = x;
  }
}

function norm(name: string): string {
  let n = name.toLowerCase();
  if (n.endsWith('.') && !n.endsWith('\\.')) n = n.slice(0, -1);
  return n;
}

/** Index of the next unescaped dot, or -1. */
function nextDot(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '.') return i;
  }
  return -1;
}

function unescapeLabel(label: string): Buffer {
  if (!label.includes('\\')) return Buffer.from(label, 'latin1');
  return Buffer.from(label.replace(/\\(.)/g, '$1'), 'latin1');
}

function labelWireLength(label: string): number {
  return label.includes('\\') ? label.replace(/\\(.)/g, '$1').length : label.length;
}
