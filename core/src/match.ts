import net from 'node:net';
import { ErrorCodes, TfgwError } from './errors';

/** Glob match where `*` matches any run of characters (including dots). Case-insensitive. */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'i');
  return re.test(value);
}

/** True when any pattern matches. An absent list means "anything". */
export function anyGlob(patterns: readonly string[] | undefined, value: string): boolean {
  return patterns === undefined || patterns.some((p) => globMatch(p, value));
}

/** Parsed `10.0.0.0/8` (or a single address). */
export interface Cidr {
  /** 4 or 6. */
  family: 4 | 6;
  /** Network bits as a bigint. */
  network: bigint;
  /** Prefix length. */
  prefix: number;
}

function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } {
  const fam = net.isIP(ip);
  if (fam === 4) return { family: 4, value: ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (fam === 6) {
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (v4) return ipToBigInt(v4[1]);
    const [head, tail] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
    const parts = [...h, ...fill, ...t];
    return { family: 6, value: parts.reduce((acc, p) => (acc << 16n) | BigInt(parseInt(p || '0', 16)), 0n) };
  }
  throw new TfgwError(ErrorCodes.CONFIG, `not an IP address: "${ip}"`);
}

/** Parses `a.b.c.d/n`, `::1/128` or a bare address. Throws TFGW_ERR_CONFIG. */
export function parseCidr(spec: string): Cidr {
  const [ip, bits] = spec.split('/');
  const { family, value } = ipToBigInt(ip);
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new TfgwError(ErrorCodes.CONFIG, `bad prefix length in "${spec}"`);
  const shift = BigInt(max - prefix);
  return { family, network: (value >> shift) << shift, prefix };
}

/** True when `ip` lies inside `cidr`. IPv4-mapped IPv6 addresses match IPv4 ranges. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  if (!net.isIP(ip)) return false;
  const { family, value } = ipToBigInt(ip);
  if (family !== cidr.family) return false;
  const max = family === 4 ? 32 : 128;
  const shift = BigInt(max - cidr.prefix);
  return (value >> shift) << shift === cidr.network;
}

/**
 * Splits `host:port` into parts: IPv6 in brackets (an address, optionally with a zone), an
 * empty host meaning 0.0.0.0 (`:8080`), and a bare port taking `defaultHost` when given.
 * Throws TFGW_ERR_CONFIG naming `what` (`details.path`).
 */
export function parseHostPort(value: string, what = 'address', defaultHost?: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(String(value).trim());
  if (!m) {
    if (defaultHost !== undefined && /^\d{1,5}$/.test(String(value).trim())) return parseHostPort(`${defaultHost}:${value}`, what);
    throw new TfgwError(ErrorCodes.CONFIG, `${what}: expected "host:port", got "${value}"`, { details: { path: what } });
  }
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port < 0 || port > 65535) throw new TfgwError(ErrorCodes.CONFIG, `${what}: port out of range in "${value}"`, { details: { path: what } });
  if (m[1] !== undefined && !net.isIPv6(host.replace(/%.*$/, ''))) {
    throw new TfgwError(ErrorCodes.CONFIG, `${what}: "${host}" in brackets is not an IPv6 address`, { details: { path: what } });
  }
  return { host: host || '0.0.0.0', port };
}
