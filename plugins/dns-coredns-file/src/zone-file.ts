import { APEX, RECORD_TYPES, fqdn, normalizeLabel, normalizeName, parseLabelRecords, type LabelRecords, type RecordType, type ZoneRecords } from '@tfgw/core';

/** Default TTL written as `$TTL` and used for records stored without one. */
export const ZONE_FILE_DEFAULT_TTL = 300;

/** What {@link renderZoneFile} needs besides the records. */
export interface RenderOptions {
  /** SOA serial to write. */
  serial: number;
  /** `$TTL`. @default 300 */
  defaultTtl?: number;
  /** Told about records left out of the file (e.g. data beside a CNAME). */
  onSkip?: (label: string, why: string) => void;
}

/**
 * Renders one zone as an RFC 1035 master file: `$ORIGIN`, `$TTL`, the apex first (SOA, NS,
 * ...), then labels in order, names relative to the origin, targets absolute. A zone without
 * an SOA gets a default one (`ns1.<zone>`, `hostmaster.<zone>`). A label with a CNAME gets only
 * the CNAME (RFC 1034 3.6.2: no other data beside it).
 */
export function renderZoneFile(zone: string, records: ZoneRecords, opts: RenderOptions): string {
  const z = normalizeName(zone);
  const origin = fqdn(z);
  const lines: string[] = [`; zone ${origin} written by tfgw (dns-coredns-file); edits are overwritten`, `$ORIGIN ${origin}`, `$TTL ${opts.defaultTtl ?? ZONE_FILE_DEFAULT_TTL}`];
  const apex = records.get(APEX) ?? {};
  const soa = apex.soa ?? { ns: `ns1.${origin}`, mbox: `hostmaster.${origin}`, refresh: 3600, retry: 600, expire: 604800, minttl: 60, ttl: 3600 };
  lines.push(`@\t${ttl(soa.ttl)}IN\tSOA\t${fqdn(soa.ns)} ${fqdn(soa.mbox)} ( ${opts.serial >>> 0} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minttl} )`);
  const labels = [...records.keys()].filter((l) => l !== APEX).sort(compareLabels);
  for (const label of [APEX, ...labels]) {
    const recs = records.get(label);
    if (!recs) continue;
    const owner = label;
    const types = RECORD_TYPES.filter((t) => t !== 'soa' && recs[t] !== undefined);
    const cnameOnly = recs.cname?.length && label !== APEX;
    if (recs.cname?.length && label === APEX) opts.onSkip?.(label, 'CNAME at the zone apex');
    for (const t of types) {
      if (t === 'cname' && label === APEX) continue;
      if (cnameOnly && t !== 'cname') {
        opts.onSkip?.(label, `${t.toUpperCase()} beside a CNAME`);
        continue;
      }
      const list = t === 'cname' ? (recs.cname ?? []).slice(0, 1) : ((recs[t] as unknown[]) ?? []);
      for (const r of list) lines.push(`${owner}\t${ttl((r as { ttl?: number }).ttl)}IN\t${t.toUpperCase()}\t${rdata(t, r)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function ttl(t: number | undefined): string {
  return t === undefined ? '' : `${t}\t`;
}

/** Apex first, then by reversed labels (parents before children), then text. */
function compareLabels(a: string, b: string): number {
  const ra = a.split('.').reverse().join('.');
  const rb = b.split('.').reverse().join('.');
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

function rdata(t: RecordType, r: unknown): string {
  const o = r as Record<string, unknown>;
  switch (t) {
    case 'a':
    case 'aaaa':
      return String(o.ip);
    case 'cname':
    case 'ns':
      return fqdn(String(o.host));
    case 'mx':
      return `${o.preference} ${fqdn(String(o.host))}`;
    case 'srv':
      return `${o.priority} ${o.weight} ${o.port} ${fqdn(String(o.target))}`;
    case 'txt':
      return txtStrings(String(o.text));
    case 'caa':
      return `${o.flag} ${o.tag} ${quote(Buffer.from(String(o.value), 'utf8'))}`;
    default:
      throw new Error(`cannot render ${t}`);
  }
}

/** A text as one or more quoted character-strings of at most 255 bytes. */
function txtStrings(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return '""';
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 255) parts.push(quote(bytes.subarray(i, i + 255)));
  return parts.join(' ');
}

/** A quoted string: `"` and `\` escaped, bytes outside printable ASCII as `\DDD`. */
function quote(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) s += `\\${String(b).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return `${s}"`;
}

/** What {@link parseZoneFile} found. */
export interface ParsedZoneFile {
  /** Records by relative label. */
  records: ZoneRecords;
  /** SOA serial, when the file has an SOA. */
  serial?: number;
}

interface Token {
  text: string;
  quoted: boolean;
}

/**
 * Reads an RFC 1035 master file (the subset zone files use: `$ORIGIN`, `$TTL`, comments,
 * parentheses, quoted strings with escapes, owner inheritance, optional TTL and class) into
 * the record model. Types outside the model and names outside the zone are reported to
 * `onSkip` and left out. Records without a TTL of their own take `$TTL`, unless `$TTL`
 * equals `opts.implicitTtl` (what tfgw writes for records stored without a TTL).
 */
export function parseZoneFile(
  text: string,
  zone: string,
  onSkip: (line: number, why: string) => void = () => undefined,
  opts: { implicitTtl?: number } = {},
): ParsedZoneFile {
  let origin = normalizeName(zone);
  let defaultTtl: number | undefined;
  let lastOwner = APEX;
  const raw = new Map<string, Record<string, unknown[] | unknown>>();
  let serial: number | undefined;
  for (const { line, tokens, startsWithSpace } of logicalLines(text)) {
    if (tokens.length === 0) continue;
    const first = tokens[0].text;
    if (!tokens[0].quoted && first.toUpperCase() === '$ORIGIN') {
      origin = normalizeName(tokens[1]?.text ?? origin);
      continue;
    }
    if (!tokens[0].quoted && first.toUpperCase() === '$TTL') {
      defaultTtl = Number(tokens[1]?.text);
      continue;
    }
    if (first.startsWith('$')) {
      onSkip(line, `directive ${first} not supported`);
      continue;
    }
    let i = 0;
    let owner = lastOwner;
    if (!startsWithSpace) {
      owner = ownerLabel(tokens[0].text, origin, zone);
      i = 1;
    }
    lastOwner = owner;
    let ttlValue: number | undefined;
    for (let k = 0; k < 2 && i < tokens.length; k++) {
      const t = tokens[i].text.toUpperCase();
      if (/^\d+$/.test(t)) {
        ttlValue = Number(t);
        i++;
      } else if (t === 'IN') i++;
    }
    const type = tokens[i]?.text.toLowerCase();
    const args = tokens.slice(i + 1);
    if (owner === '') {
      onSkip(line, 'owner outside the zone');
      continue;
    }
    if (!type || !(RECORD_TYPES as readonly string[]).includes(type)) {
      onSkip(line, `type ${type?.toUpperCase() ?? '(none)'} not supported`);
      continue;
    }
    // a $TTL equal to the writer's default stands for "no TTL given" (the file was written from records without one)
    const recTtl = ttlValue ?? (defaultTtl === opts.implicitTtl ? undefined : defaultTtl);
    const abs = (n: string) => (n === '@' ? fqdn(origin) : n.endsWith('.') ? n : `${n}.${fqdn(origin)}`);
    const withTtl = (o: Record<string, unknown>) => (recTtl === undefined ? o : { ...o, ttl: recTtl });
    let rec: Record<string, unknown>;
    switch (type as RecordType) {
      case 'a':
      case 'aaaa':
        rec = withTtl({ ip: args[0]?.text });
        break;
      case 'cname':
      case 'ns':
        rec = withTtl({ host: abs(args[0]?.text ?? '') });
        break;
      case 'mx':
        rec = withTtl({ host: abs(args[1]?.text ?? ''), preference: Number(args[0]?.text) });
        break;
      case 'srv':
        rec = withTtl({ priority: Number(args[0]?.text), weight: Number(args[1]?.text), port: Number(args[2]?.text), target: abs(args[3]?.text ?? '') });
        break;
      case 'txt':
        rec = withTtl({ text: Buffer.concat(args.map((a) => unescapeBytes(a.text))).toString('utf8') });
        break;
      case 'caa':
        rec = withTtl({ flag: Number(args[0]?.text), tag: args[1]?.text, value: unescapeBytes(args.slice(2).map((a) => a.text).join(' ')).toString('utf8') });
        break;
      case 'soa':
        serial = Number(args[2]?.text);
        rec = withTtl({ ns: abs(args[0]?.text ?? ''), mbox: abs(args[1]?.text ?? ''), refresh: Number(args[3]?.text), retry: Number(args[4]?.text), expire: Number(args[5]?.text), minttl: Number(args[6]?.text) });
        break;
    }
    const entry = raw.get(owner) ?? {};
    raw.set(owner, entry);
    if (type === 'soa') entry.soa = rec;
    else ((entry[type] as unknown[] | undefined) ?? (entry[type] = [])).push(rec);
  }
  const records: ZoneRecords = new Map();
  for (const [label, entry] of raw) {
    const recs = parseLabelRecords(entry, { strict: false, onInvalid: (p) => onSkip(0, `${label}: ${p}`) });
    if (Object.keys(recs).length) records.set(label, recs as LabelRecords);
  }
  return { records, serial };
}

function ownerLabel(token: string, origin: string, zone: string): string {
  const z = normalizeName(zone);
  const abs = token === '@' ? origin : token.endsWith('.') ? normalizeName(token) : normalizeName(`${token}.${origin}`);
  if (abs === z) return APEX;
  if (!abs.endsWith(`.${z}`)) return '';
  return normalizeLabel(abs.slice(0, abs.length - z.length - 1));
}

function unescapeBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const d = /^\d{3}/.exec(s.slice(i + 1));
      if (d) {
        out.push(Number(d[0]) & 0xff);
        i += 3;
      } else {
        out.push(...Buffer.from(s[i + 1], 'utf8'));
        i++;
      }
    } else out.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(out);
}

/** Splits a master file into logical lines (parentheses join lines) of tokens. */
function* logicalLines(text: string): Generator<{ line: number; tokens: Token[]; startsWithSpace: boolean }> {
  let tokens: Token[] = [];
  let depth = 0;
  let startLine = 1;
  let startsWithSpace = false;
  let line = 1;
  let i = 0;
  let atLineStart = true;
  while (i <= text.length) {
    const c = text[i];
    if (c === undefined || c === '\n') {
      if (depth === 0) {
        yield { line: startLine, tokens, startsWithSpace };
        tokens = [];
      }
      line++;
      i++;
      atLineStart = true;
      if (depth === 0) startLine = line;
      if (c === undefined) break;
      continue;
    }
    if (atLineStart && depth === 0) {
      startsWithSpace = c === ' ' || c === '\t';
      atLineStart = false;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '(') {
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      depth = Math.max(0, depth - 1);
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) {
          s += text[i] + text[i + 1];
          i += 2;
        } else s += text[i++];
      }
      i++;
      tokens.push({ text: s, quoted: true });
      continue;
    }
    let s = '';
    while (i < text.length && !' \t\r\n;()"'.includes(text[i])) {
      if (text[i] === '\\' && i + 1 < text.length) {
        s += text[i] + text[i + 1];
        i += 2;
      } else s += text[i++];
    }
    tokens.push({ text: s, quoted: false });
  }
}
