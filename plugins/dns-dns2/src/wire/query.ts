import { CLASS_IN, EDNS_DO, TYPE } from './constants';

/** EDNS facts of a query's OPT record. */
export interface EdnsInfo {
  /** Advertised UDP payload size (values under 512 count as 512). */
  udpSize: number;
  /** EDNS version. */
  version: number;
  /** DNSSEC OK bit. */
  dnssecOk: boolean;
}

/** A parsed query: what the server needs and nothing more. */
export interface ParsedQuery {
  /** Message ID. */
  id: number;
  /** Raw 16-bit flags word. */
  flags: number;
  /** Cache key of the name: the wire form lower-cased, as a latin1 string. */
  wireKey: string;
  /** Offset just after the question name (the name is at 12..nameEnd). */
  nameEnd: number;
  /** QTYPE. */
  qtype: number;
  /** QCLASS. */
  qclass: number;
  /** EDNS, when the query carries an OPT record. */
  edns?: EdnsInfo;
}

/** Why a message was not a well-formed query. */
export interface QueryProblem {
  /** `drop`: not worth an answer (too short, or a response). Otherwise the rcode to answer. */
  action: 'drop' | 'FORMERR' | 'NOTIMP';
  /** Message ID (for the error answer). */
  id: number;
  /** Raw flags (opcode and RD are echoed). */
  flags: number;
  /** Human-readable reason, for logs and tests. */
  reason: string;
}

/** True when `r` is a {@link QueryProblem}. */
export function isProblem(r: ParsedQuery | QueryProblem): r is QueryProblem {
  return (r as QueryProblem).action !== undefined;
}

/**
 * Parses a DNS query by hand (no allocation beyond the result): header, the one
 * question, and an OPT record in the additional section. Never throws: malformed input
 * yields a {@link QueryProblem}. Rules: fewer than 12 bytes or QR set -> drop; opcode
 * other than QUERY -> NOTIMP; QDCOUNT != 1, a bad name, a truncated record or two OPT
 * records -> FORMERR.
 */
export function parseQuery(msg: Uint8Array): ParsedQuery | QueryProblem {
  const len = msg.length;
  if (len < 12) return { action: 'drop', id: 0, flags: 0, reason: 'shorter than a header' };
  const id = (msg[0] << 8) | msg[1];
  const flags = (msg[2] << 8) | msg[3];
  if (flags & 0x8000) return { action: 'drop', id, flags, reason: 'QR set: a response, not a query' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { action: 'NOTIMP', id, flags, reason: `opcode ${opcode} not implemented` };
  const qd = (msg[4] << 8) | msg[5];
  const an = (msg[6] << 8) | msg[7];
  const ns = (msg[8] << 8) | msg[9];
  const ar = (msg[10] << 8) | msg[11];
  if (qd !== 1) return { action: 'FORMERR', id, flags, reason: `QDCOUNT ${qd}, expected 1` };

  // question name: plain labels only (a pointer in the question has nothing to point at).
  // Only bounds and case are checked here; the dotted name is decoded on the slow path.
  let p = 12;
  let wireLen = 0;
  let lowerNeeded = false;
  for (;;) {
    if (p >= len) return { action: 'FORMERR', id, flags, reason: 'question name runs past the end' };
    const l = msg[p];
    if (l === 0) {
      p++;
      break;
    }
    if (l > 63) return { action: 'FORMERR', id, flags, reason: 'compression or bad label length in the question' };
    wireLen += l + 1;
    if (wireLen > 254) return { action: 'FORMERR', id, flags, reason: 'question name longer than 255 bytes' };
    if (p + 1 + l > len) return { action: 'FORMERR', id, flags, reason: 'question label runs past the end' };
    if (!lowerNeeded) {
      for (let i = p + 1; i <= p + l; i++) {
        const c = msg[i];
        if (c >= 0x41 && c <= 0x5a) {
          lowerNeeded = true;
          break;
        }
      }
    }
    p += l + 1;
  }
  const nameEnd = p;
  if (p + 4 > len) return { action: 'FORMERR', id, flags, reason: 'question type/class missing' };
  const qtype = (msg[p] << 8) | msg[p + 1];
  const qclass = (msg[p + 2] << 8) | msg[p + 3];
  p += 4;
  let wireKey = latin1(msg, 12, nameEnd);
  if (lowerNeeded) wireKey = asciiLower(wireKey);

  // skip answer and authority records, find OPT in additional
  let edns: EdnsInfo | undefined;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const start = p;
    p = skipName(msg, p);
    if (p < 0 || p + 10 > len) return { action: 'FORMERR', id, flags, reason: 'record runs past the end' };
    const type = (msg[p] << 8) | msg[p + 1];
    const rdlen = (msg[p + 8] << 8) | msg[p + 9];
    if (p + 10 + rdlen > len) return { action: 'FORMERR', id, flags, reason: 'record data runs past the end' };
    if (type === TYPE.OPT) {
      if (i < an + ns) return { action: 'FORMERR', id, flags, reason: 'OPT outside the additional section' };
      if (edns) return { action: 'FORMERR', id, flags, reason: 'more than one OPT record' };
      if (msg[start] !== 0 || p !== start + 1) return { action: 'FORMERR', id, flags, reason: 'OPT owner is not the root' };
      const size = (msg[p + 2] << 8) | msg[p + 3];
      edns = { udpSize: size < 512 ? 512 : size, version: msg[p + 5], dnssecOk: (((msg[p + 6] << 8) | msg[p + 7]) & EDNS_DO) !== 0 };
    }
    p += 10 + rdlen;
  }
  return { id, flags, wireKey, nameEnd, qtype, qclass, edns };
}

/**
 * The question name of a parsed query as text: lower case (ASCII), no trailing dot, `.` and
 * `\` inside labels escaped. Only valid for messages {@link parseQuery} accepted.
 */
export function questionName(msg: Uint8Array, nameEnd: number): string {
  let name = '';
  let p = 12;
  while (p < nameEnd - 1) {
    const l = msg[p];
    if (name.length > 0) name += '.';
    for (let i = p + 1; i <= p + l; i++) {
      let c = msg[i];
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      name += c === 0x2e || c === 0x5c ? `\\${String.fromCharCode(c)}` : String.fromCharCode(c);
    }
    p += l + 1;
  }
  return name;
}

/** Offset after a (possibly compressed) name at `p`, or -1 when malformed. */
export function skipName(msg: Uint8Array, p: number): number {
  const len = msg.length;
  let guard = 0;
  for (;;) {
    if (p >= len || ++guard > 128) return -1;
    const l = msg[p];
    if (l === 0) return p + 1;
    if ((l & 0xc0) === 0xc0) return p + 2 <= len ? p + 2 : -1;
    if (l > 63) return -1;
    p += l + 1;
  }
}

function latin1(msg: Uint8Array, start: number, end: number): string {
  return Buffer.prototype.latin1Slice.call(msg, start, end) as string;
}

function asciiLower(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 0x20) : s[i];
  }
  return out;
}

/** True when the query asks for class IN (or ANY). */
export function isInternetClass(q: ParsedQuery): boolean {
  return q.qclass === CLASS_IN || q.qclass === 255;
}
