/**
 * The record model shared by every store: the schema CoreDNS's redis plugin reads.
 * One object per label (relative to its zone) whose keys are lower-case type names
 * mapping to arrays of records (`soa` is a single object). Host names inside records
 * are absolute; a trailing dot is optional on input and always written by tfgw.
 */

/** A or AAAA: an address. */
export interface AddressRecord {
  /** IPv4 (for `a`) or IPv6 (for `aaaa`) address text. */
  ip: string;
  /** TTL in seconds. @default the server's default TTL (300) */
  ttl?: number;
}

/** CNAME or NS: a host name. */
export interface HostRecord {
  /** Absolute host name (`ns1.example.com.`). */
  host: string;
  /** TTL in seconds. */
  ttl?: number;
}

/** TXT: one text; the server splits it into 255-byte character-strings. */
export interface TxtRecord {
  /** The text. */
  text: string;
  /** TTL in seconds. */
  ttl?: number;
}

/** MX: a mail exchanger. */
export interface MxRecord {
  /** Absolute host name. */
  host: string;
  /** Lower is preferred. */
  preference: number;
  /** TTL in seconds. */
  ttl?: number;
}

/** SRV: a service location. */
export interface SrvRecord {
  /** Absolute target host name. */
  target: string;
  /** Port of the service. */
  port: number;
  /** Lower is tried first. */
  priority: number;
  /** Relative weight among equal priorities. */
  weight: number;
  /** TTL in seconds. */
  ttl?: number;
}

/** CAA: certification authority authorization (RFC 8659). */
export interface CaaRecord {
  /** Flags byte (128 = issuer critical). */
  flag: number;
  /** Property tag: `issue`, `issuewild`, `iodef`. */
  tag: string;
  /** Property value. */
  value: string;
  /** TTL in seconds (not in the CoreDNS schema; optional). */
  ttl?: number;
}

/** SOA: the zone's start of authority, one object at the apex. */
export interface SoaRecord {
  /** TTL in seconds. */
  ttl?: number;
  /** Primary name server (absolute). */
  ns: string;
  /** Responsible mailbox in domain form (`hostmaster.example.com.`). */
  mbox: string;
  /** Serial; absent = the server derives one from the time the zone last changed. */
  serial?: number;
  /** Seconds. */
  refresh: number;
  /** Seconds. */
  retry: number;
  /** Seconds. */
  expire: number;
  /** Negative-caching TTL (RFC 2308). */
  minttl: number;
}

/** All records of one label, keyed by lower-case type. */
export interface LabelRecords {
  /** IPv4 addresses. */
  a?: AddressRecord[];
  /** IPv6 addresses. */
  aaaa?: AddressRecord[];
  /** Alias (at most one is meaningful). */
  cname?: HostRecord[];
  /** Name servers; at a non-apex label they delegate the sub-zone. */
  ns?: HostRecord[];
  /** Texts. */
  txt?: TxtRecord[];
  /** Mail exchangers. */
  mx?: MxRecord[];
  /** Service locations. */
  srv?: SrvRecord[];
  /** CA authorizations. */
  caa?: CaaRecord[];
  /** Start of authority (apex only). */
  soa?: SoaRecord;
}

/** The record types a label can hold, lower case as in the schema. */
export type RecordType = keyof LabelRecords;

/** Every record type of the schema, in the order stores write them. */
export const RECORD_TYPES: readonly RecordType[] = Object.freeze(['soa', 'ns', 'a', 'aaaa', 'cname', 'txt', 'mx', 'srv', 'caa'] as RecordType[]);

/** A zone's content: label (relative, `@` for the apex) to its records. */
export type ZoneRecords = Map<string, LabelRecords>;

/** True when `t` is a type of the schema (`'a'`, `'soa'`, ...). */
export function isRecordType(t: unknown): t is RecordType {
  return typeof t === 'string' && (RECORD_TYPES as readonly string[]).includes(t);
}

/** True when a label holds no record at all. */
export function isEmptyRecords(r: LabelRecords | undefined): boolean {
  if (!r) return true;
  for (const t of RECORD_TYPES) {
    const v = r[t];
    if (t === 'soa' ? v !== undefined : Array.isArray(v) && v.length > 0) return false;
  }
  return true;
}

/**
 * Upsert semantics: every type present in `rrset` replaces that type at the label (an
 * empty array removes it); types absent from `rrset` are kept. Returns a new object.
 */
export function mergeRecords(existing: LabelRecords | undefined, rrset: LabelRecords): LabelRecords {
  const out: LabelRecords = { ...(existing ?? {}) };
  for (const t of RECORD_TYPES) {
    if (!(t in rrset)) continue;
    const v = rrset[t];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) delete out[t];
    else (out as Record<string, unknown>)[t] = v;
  }
  return compactRecords(out);
}

/** Drops empty arrays and undefined keys, and orders keys as {@link RECORD_TYPES}. */
export function compactRecords(r: LabelRecords): LabelRecords {
  const out: LabelRecords = {};
  for (const t of RECORD_TYPES) {
    const v = r[t];
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    (out as Record<string, unknown>)[t] = v;
  }
  return out;
}

/** A deep copy, so callers cannot mutate a store's state through what it returned. */
export function cloneRecords(r: LabelRecords): LabelRecords {
  return JSON.parse(JSON.stringify(r)) as LabelRecords;
}
