/** DNS wire constants (RFC 1035, 3596, 2782, 6891, 8659). */

/** Record type codes by mnemonic. */
export const TYPE = Object.freeze({
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const);

/** Class IN. */
export const CLASS_IN = 1;
/** Class ANY (QCLASS only). */
export const CLASS_ANY = 255;

/** Response codes (4 bits in the header; BADVERS needs EDNS's extended bits). */
export const RCODE = Object.freeze({
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const);

/** Header flag bits of the 16-bit flags word. */
export const FLAG = Object.freeze({
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const);

/** The EDNS DO bit in the OPT record's TTL field. */
export const EDNS_DO = 0x8000;

/** Largest message over UDP without EDNS. */
export const UDP_PLAIN_MAX = 512;

const NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));

/** `1` -> `'A'`; unknown codes -> `'TYPE1234'` (RFC 3597). */
export function typeName(code: number): string {
  return NAMES.get(code) ?? `TYPE${code}`;
}

/** `'A'` / `'a'` / `'TYPE1'` -> `1`; undefined when unknown. */
export function typeCode(name: string): number | undefined {
  const up = name.toUpperCase();
  const known = (TYPE as Record<string, number>)[up];
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(up);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  return undefined;
}

/** `'NXDOMAIN'` -> `3`. */
export function rcodeCode(name: string): number {
  return (RCODE as Record<string, number>)[name] ?? RCODE.SERVFAIL;
}
