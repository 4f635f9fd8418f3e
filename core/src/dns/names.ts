import { ErrorCodes, TfgwError } from '../errors';

/**
 * Name helpers shared by stores and servers. tfgw's canonical form of a domain name is
 * lower case without the trailing dot (`www.demo.tfgw.localhost`); the root is `''`.
 * Labels inside a zone are relative: `@` is the apex, `*` a wildcard.
 */

/** The label that stands for the zone apex. */
export const APEX = '@';

/** Lower case, no trailing dot, surrounding spaces trimmed. `'WWW.Example.COM.'` -> `'www.example.com'`. */
export function normalizeName(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n;
}

/** The absolute form with a trailing dot: `'example.com'` -> `'example.com.'`, root -> `'.'`. */
export function fqdn(name: string): string {
  const n = normalizeName(name);
  return n === '' ? '.' : `${n}.`;
}

/**
 * Checks a name or relative label: each label 1..63 bytes, whole name at most 253
 * characters (255 bytes on the wire). Throws TFGW_ERR_DNS naming the problem.
 */
export function assertValidName(name: string, what = 'name'): void {
  const n = normalizeName(name);
  if (n === '' || n === APEX) return;
  if (n.length > 253) throw new TfgwError(ErrorCodes.DNS, `${what} "${name}" is longer than 253 characters`, { details: { name } });
  for (const label of n.split('.')) {
    if (label.length === 0) throw new TfgwError(ErrorCodes.DNS, `${what} "${name}" has an empty label`, { details: { name } });
    if (Buffer.byteLength(label) > 63) throw new TfgwError(ErrorCodes.DNS, `${what} "${name}" has a label longer than 63 bytes`, { details: { name } });
  }
}

/** True when `name` equals `zone` or lies below it (both normalised first). */
export function isInZone(name: string, zone: string): boolean {
  const n = normalizeName(name);
  const z = normalizeName(zone);
  if (z === '') return true;
  return n === z || n.endsWith(`.${z}`);
}

/**
 * The zone `name` belongs to: the longest of `zones` that equals it or is a suffix at a
 * label boundary. `findZone('a.b.example.com', ['example.com', 'b.example.com'])` -> `'b.example.com'`.
 */
export function findZone(name: string, zones: readonly string[]): string | undefined {
  const n = normalizeName(name);
  let best: string | undefined;
  for (const zone of zones) {
    const z = normalizeName(zone);
    if ((n === z || z === '' || n.endsWith(`.${z}`)) && (best === undefined || z.length > best.length)) best = z;
  }
  return best;
}

/** `name` relative to `zone`: the apex is `@`. Throws TFGW_ERR_DNS when the name is outside the zone. */
export function relativeLabel(name: string, zone: string): string {
  const n = normalizeName(name);
  const z = normalizeName(zone);
  if (n === z) return APEX;
  if (z === '') return n;
  if (!n.endsWith(`.${z}`)) throw new TfgwError(ErrorCodes.DNS, `"${name}" is not in zone "${zone}"`, { details: { name, zone } });
  return n.slice(0, n.length - z.length - 1);
}

/** The absolute name of a relative label: `absoluteName('www', 'example.com')` -> `'www.example.com'`. */
export function absoluteName(label: string, zone: string): string {
  const l = normalizeName(label);
  const z = normalizeName(zone);
  if (l === APEX || l === '') return z;
  return z === '' ? l : `${l}.${z}`;
}

/** Normalises a relative label (`'WWW'` -> `'www'`, `''` / `'@'` -> `'@'`) and checks it. */
export function normalizeLabel(label: string): string {
  const l = normalizeName(label);
  if (l === '' || l === APEX) return APEX;
  assertValidName(l, 'label');
  return l;
}
