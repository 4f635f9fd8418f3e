import crypto from 'node:crypto';
import type { IngressCredentials } from './options';

function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** Compares credentials in constant time (per field). */
export function credentialsMatch(given: IngressCredentials, expected: IngressCredentials): boolean {
  const user = sameSecret(given.username, expected.username);
  const pass = sameSecret(given.password, expected.password);
  return user && pass;
}

/** True when a `Proxy-Authorization: Basic ...` header carries the expected credentials. */
export function basicAuthorized(header: string | undefined, expected: IngressCredentials): boolean {
  const m = /^\s*basic\s+([a-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return false;
  return credentialsMatch({ username: text.slice(0, colon), password: text.slice(colon + 1) }, expected);
}
