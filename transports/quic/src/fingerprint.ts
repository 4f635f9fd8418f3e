import crypto from 'node:crypto';
import { ErrorCodes, TfgwError } from '@tfgw/core';

/**
 * The QUIC identity fingerprint: lowercase hex SHA-256 of the raw 32-byte Ed25519 public
 * key, 64 characters. The same key is also known by its libp2p peer id (`12D3KooW...`),
 * which {@link parseFingerprint} accepts too.
 *
 * An operator can compute it from the key file with openssl:
 * `openssl pkey -in quic-identity.key -pubout -outform DER | tail -c 32 | sha256sum`.
 */
export type Fingerprint = string;

/** libp2p protobuf header of an Ed25519 public key (KeyType=1, 32 bytes). */
const ED25519_PUBLIC_PROTO = Buffer.from([0x08, 0x01, 0x12, 0x20]);
/** Identity multihash header of a 36-byte payload. */
const IDENTITY_MULTIHASH = Buffer.from([0x00, 0x24]);
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Fingerprint of a raw Ed25519 public key. */
export function fingerprintOf(publicKey: Uint8Array): Fingerprint {
  return crypto.createHash('sha256').update(publicKey).digest('hex');
}

/** libp2p peer id (base58btc identity multihash) of a raw Ed25519 public key. */
export function peerIdOf(publicKey: Uint8Array): string {
  return base58Encode(Buffer.concat([IDENTITY_MULTIHASH, ED25519_PUBLIC_PROTO, publicKey]));
}

/** The raw Ed25519 public key inside a libp2p peer id, or undefined if it is not an Ed25519 id. */
export function publicKeyOfPeerId(peerId: string): Buffer | undefined {
  const bytes = base58Decode(peerId);
  if (!bytes || bytes.length !== 38) return undefined;
  if (!bytes.subarray(0, 2).equals(IDENTITY_MULTIHASH) || !bytes.subarray(2, 6).equals(ED25519_PUBLIC_PROTO)) return undefined;
  return bytes.subarray(6);
}

/**
 * Normalise a pinned fingerprint. Accepts the 64-hex form (any case, optional `sha256:`
 * prefix, optional colons) or an Ed25519 libp2p peer id. Throws TFGW_ERR_CONFIG naming
 * `path` otherwise.
 */
export function parseFingerprint(text: string, path = 'fingerprint'): Fingerprint {
  const raw = text.trim();
  const hex = raw.replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) return hex;
  const key = /^[1-9A-HJ-NP-Za-km-z]+$/.test(raw) ? publicKeyOfPeerId(raw) : undefined;
  if (key) return fingerprintOf(key);
  throw new TfgwError(
    ErrorCodes.CONFIG,
    `${path}: expected a QUIC identity fingerprint (64 hex characters, the SHA-256 of the gateway's Ed25519 key, or its 12D3KooW... peer id), got "${text}"`,
    { details: { path } },
  );
}

/** The fingerprint of the peer named in a native `remoteMultiaddr()` (`.../p2p/PEER_ID`), or undefined. */
export function fingerprintOfMultiaddr(multiaddr: string): Fingerprint | undefined {
  const m = /\/p2p\/([1-9A-HJ-NP-Za-km-z]+)$/.exec(multiaddr);
  const key = m ? publicKeyOfPeerId(m[1]) : undefined;
  return key ? fingerprintOf(key) : undefined;
}

function base58Encode(bytes: Uint8Array): string {
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

function base58Decode(text: string): Buffer | undefined {
  let n = 0n;
  for (const ch of text) {
    const v = BASE58.indexOf(ch);
    if (v < 0) return undefined;
    n = n * 58n + BigInt(v);
  }
  let hex = n === 0n ? '' : n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let zeros = 0;
  while (text[zeros] === '1') zeros++;
  return Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex, 'hex')]);
}
