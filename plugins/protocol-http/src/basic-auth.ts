import crypto from 'node:crypto';

/**
 * The `user:pass` pair of an `Authorization: Basic …` header, or undefined when the header
 * is missing or is not well-formed basic credentials.
 */
export function basicCredentials(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const pair = Buffer.from(m[1], 'base64').toString('utf8');
  return pair.includes(':') ? pair : undefined;
}

/**
 * True when the header carries one of the accepted pairs (given as sha256 digests, compared
 * in constant time so the response time says nothing about how close a guess was).
 */
export function checkBasicAuth(header: string | undefined, accepted: readonly Buffer[]): boolean {
  const pair = basicCredentials(header);
  if (pair === undefined) return false;
  const d = crypto.createHash('sha256').update(pair, 'utf8').digest();
  let ok = false;
  for (const a of accepted) ok = crypto.timingSafeEqual(a, d) || ok;
  return ok;
}
