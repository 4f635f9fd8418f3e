import crypto from 'node:crypto';
import net from 'node:net';
import { derBitString, derBoolean, derExplicit, derOctetString, derOid, derSequence, derSet, derTime, derTlv, derUnsignedInteger, derUtf8 } from './der';
import { ipv6Bytes } from './socks5';

/** Options for {@link createSelfSignedCert}. */
export interface SelfSignedOptions {
  /** Subject common name. @default 'tfgw' */
  commonName?: string;
  /** DNS names and IP addresses for subjectAltName. @default ['localhost', '127.0.0.1', '::1'] */
  altNames?: string[];
  /** Validity in days from now. @default 3650 */
  days?: number;
}

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface CertAndKey {
  /** `-----BEGIN CERTIFICATE-----` block. */
  cert: string;
  /** `-----BEGIN PRIVATE KEY-----` block. */
  key: string;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return derSequence(derOid(oid), ...(critical ? [derBoolean(true)] : []), derOctetString(value));
}

function generalName(name: string): Buffer {
  const family = net.isIP(name);
  if (family === 4) return derTlv(0x87, Buffer.from(name.split('.').map(Number)));
  if (family === 6) return derTlv(0x87, ipv6Bytes(name));
  return derTlv(0x82, Buffer.from(name, 'ascii'));
}

/**
 * Makes a self-signed ECDSA P-256 certificate with Node's crypto alone (no OpenSSL binary,
 * no dependency): serverAuth + clientAuth, not a CA, with the given subjectAltNames. Peers
 * trust it by pinning its fingerprint or by using it as their `ca`.
 */
export function createSelfSignedCert(opts: SelfSignedOptions = {}): CertAndKey {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40;
  const now = Date.now();
  const notBefore = new Date(now - 24 * 3600 * 1000);
  const notAfter = new Date(now + (opts.days ?? 3650) * 24 * 3600 * 1000);
  const name = derSequence(derSet(derSequence(derOid(OID.commonName), derUtf8(opts.commonName ?? 'tfgw'))));
  const sigAlg = derSequence(derOid(OID.ecdsaWithSha256));
  const altNames = opts.altNames ?? ['localhost', '127.0.0.1', '::1'];
  const extensions = derSequence(
    extension(OID.basicConstraints, true, derSequence()),
    // digitalSignature only: an ECDSA key signs the TLS handshake, nothing else.
    extension(OID.keyUsage, true, derTlv(0x03, Buffer.from([0x07, 0x80]))),
    extension(OID.extKeyUsage, false, derSequence(derOid(OID.serverAuth), derOid(OID.clientAuth))),
    extension(OID.subjectAltName, false, derSequence(...altNames.map(generalName))),
  );
  const tbs = derSequence(
    derExplicit(0, derUnsignedInteger(Buffer.from([2]))),
    derUnsignedInteger(serial),
    sigAlg,
    name,
    derSequence(derTime(notBefore), derTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    derExplicit(3, extensions),
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const cert = derSequence(tbs, sigAlg, derBitString(signature));
  return { cert: toPem('CERTIFICATE', cert), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
