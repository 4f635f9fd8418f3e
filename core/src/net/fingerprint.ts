import crypto from 'node:crypto';
import { ErrorCodes, TfgwError } from '../errors';

/**
 * Normalises a SHA-256 certificate fingerprint to the form OpenSSL and Node print
 * (`AB:CD:...`, 32 upper-case hex pairs). Accepts upper or lower case, with or without
 * colons, spaces, or a `sha256:` / `sha256/` prefix. Throws TFGW_ERR_CONFIG (`details.path`
 * = `fingerprint`) for anything else.
 */
export function normalizeFingerprint(text: string): string {
  const hex = String(text)
    .trim()
    .replace(/^sha-?256[:/=]?/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new TfgwError(ErrorCodes.CONFIG, `fingerprint: expected the 64 hex digits of a SHA-256 certificate fingerprint, got ${JSON.stringify(text)}`, {
      details: { path: 'fingerprint' },
    });
  }
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/** SHA-256 fingerprint (`AB:CD:...`) of the first certificate in a PEM text or of DER bytes. */
export function certFingerprint(cert: string | Buffer): string {
  return new crypto.X509Certificate(cert).fingerprint256;
}
