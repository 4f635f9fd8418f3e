import net from 'node:net';
import { ErrorCodes, TfgwError } from '../errors';
import { assertValidName, fqdn } from './names';
import { RECORD_TYPES, compactRecords, type LabelRecords, type RecordType } from './records';

/** Options for {@link parseLabelRecords}. */
export interface ParseRecordsOptions {
  /**
   * `true`: the first invalid entry throws TFGW_ERR_DNS (for writes through tfgw).
   * `false`: invalid entries are dropped and reported to `onInvalid` (for records other tools wrote).
   * @default true
   */
  strict?: boolean;
  /** Told about each dropped entry when not strict. */
  onInvalid?: (problem: string) => void;
}

const U16 = 0xffff;
const U32 = 0xffffffff;
const I31 = 0x7fffffff;

/**
 * Checks and normalises one label's records: host names become lower-case absolute
 * names with a trailing dot, numbers are checked against their wire ranges, unknown
 * keys are ignored. Throws TFGW_ERR_DNS (strict) or drops bad entries (lenient).
 */
export function parseLabelRecords(input: unknown, opts: ParseRecordsOptions = {}): LabelRecords {
  const strict = opts.strict ?? true;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TfgwError(ErrorCodes.DNS, 'records must be an object keyed by type (a, aaaa, cname, ns, txt, mx, srv, caa, soa)', { details: { value: input } });
  }
  const src = input as Record<string, unknown>;
  const out: LabelRecords = {};
  const bad = (type: string, problem: string) => {
    const msg = `invalid ${type} record: ${problem}`;
    if (strict) throw new TfgwError(ErrorCodes.DNS, msg, { details: { type } });
    opts.onInvalid?.(msg);
  };
  for (const key of Object.keys(src)) {
    const type = key.toLowerCase();
    if (!(RECORD_TYPES as readonly string[]).includes(type)) continue;
    const value = src[key];
    if (value === undefined || value === null) continue;
    if (type === 'soa') {
      const soa = tryParse(() => parseSoa(value, strict), (p) => bad('soa', p));
      if (soa) out.soa = soa;
      continue;
    }
    const list = Array.isArray(value) ? value : [value];
    const parsed: unknown[] = [];
    for (const item of list) {
      const v = tryParse(() => parseOne(type as Exclude<RecordType, 'soa'>, item, strict), (p) => bad(type, p));
      if (v !== undefined) parsed.push(v);
    }
    (out as Record<string, unknown>)[type] = parsed;
  }
  return compactRecords(out);
}

function tryParse<T>(fn: () => T, onError: (problem: string) => void): T | undefined {
  try {
    return fn();
  } catch (err) {
    onError(err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

function obj(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected an object');
  return v as Record<string, unknown>;
}

function num(v: unknown, field: string, max: number, strict: boolean, optional = false): number | undefined {
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new Error(`"${field}" is required`);
  }
  let n = v;
  if (!strict && typeof v === 'string' && /^\d+$/.test(v.trim())) n = Number(v);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) throw new Error(`"${field}" must be an integer 0..${max}`);
  return n;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new Error(`"${field}" must be a string`);
  return v;
}

function host(v: unknown, field: string): string {
  const h = str(v, field);
  if (h.trim() === '' || h.trim() === '.') throw new Error(`"${field}" must be a host name`);
  assertValidName(h, field);
  return fqdn(h);
}

function withTtl<T extends object>(rec: T, o: Record<string, unknown>, strict: boolean): T & { ttl?: number } {
  const ttl = num(o.ttl, 'ttl', I31, strict, true);
  return ttl === undefined ? rec : { ...rec, ttl };
}

function parseOne(type: Exclude<RecordType, 'soa'>, item: unknown, strict: boolean): unknown {
  const o = obj(item);
  switch (type) {
    case 'a': {
      const ip = str(o.ip, 'ip').trim();
      if (!net.isIPv4(ip)) throw new Error(`"${ip}" is not an IPv4 address`);
      return withTtl({ ip }, o, strict);
    }
    case 'aaaa': {
      const ip = str(o.ip, 'ip').trim();
      if (!net.isIPv6(ip)) throw new Error(`"${ip}" is not an IPv6 address`);
      return withTtl({ ip }, o, strict);
    }
    case 'cname':
    case 'ns':
      return withTtl({ host: host(o.host, 'host') }, o, strict);
    case 'txt': {
      const text = str(o.text, 'text');
      if (Buffer.byteLength(text) > 16384) throw new Error('"text" is longer than 16384 bytes');
      return withTtl({ text }, o, strict);
    }
    case 'mx':
      return withTtl({ host: host(o.host, 'host'), preference: num(o.preference ?? (strict ? undefined : 10), 'preference', U16, strict)! }, o, strict);
    case 'srv':
      return withTtl(
        {
          target: host(o.target, 'target'),
          port: num(o.port, 'port', U16, strict)!,
          priority: num(o.priority ?? (strict ? undefined : 10), 'priority', U16, strict)!,
          weight: num(o.weight ?? (strict ? undefined : 100), 'weight', U16, strict)!,
        },
        o,
        strict,
      );
    case 'caa': {
      const tag = str(o.tag, 'tag');
      if (!/^[A-Za-z0-9]{1,255}$/.test(tag)) throw new Error('"tag" must be 1..255 letters or digits');
      const value = str(o.value, 'value');
      if (Buffer.byteLength(value) > 4096) throw new Error('"value" is longer than 4096 bytes');
      return withTtl({ flag: num(o.flag ?? 0, 'flag', 255, strict)!, tag, value }, o, strict);
    }
  }
}

function parseSoa(value: unknown, strict: boolean): LabelRecords['soa'] {
  const o = obj(Array.isArray(value) && !strict ? value[0] : value);
  const soa = {
    ns: host(o.ns, 'ns'),
    mbox: host(o.mbox, 'mbox'),
    refresh: num(o.refresh, 'refresh', U32, strict)!,
    retry: num(o.retry, 'retry', U32, strict)!,
    expire: num(o.expire, 'expire', U32, strict)!,
    minttl: num(o.minttl, 'minttl', U32, strict)!,
  } as NonNullable<LabelRecords['soa']>;
  const serial = num(o.serial, 'serial', U32, strict, true);
  const ttl = num(o.ttl, 'ttl', I31, strict, true);
  return { ...(ttl === undefined ? {} : { ttl }), ...soa, ...(serial === undefined ? {} : { serial }) };
}
