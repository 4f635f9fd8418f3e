import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, TfgwError } from '@tfgw/core';
import { fingerprintOf, peerIdOf, type Fingerprint } from './fingerprint';

/** File name of the gateway's QUIC identity key inside its data dir. */
export const IDENTITY_FILE = 'quic-identity.key';

/** An Ed25519 identity a QUIC endpoint presents (through a libp2p TLS certificate). */
export interface QuicIdentity {
  /** The private key in the library's format (libp2p protobuf: type Ed25519, seed + public key). */
  readonly privateKeyProto: Uint8Array;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  /** SHA-256 hex of `publicKey`; what peers pin. */
  readonly fingerprint: Fingerprint;
  /** The same key as a libp2p peer id. */
  readonly peerId: string;
}

/** A fresh in-memory identity (used by dialers, and by listeners without a data dir). */
export function generateIdentity(): QuicIdentity {
  return identityOfKey(crypto.generateKeyPairSync('ed25519').privateKey);
}

/** The identity in a PKCS#8 PEM Ed25519 private key. Throws TFGW_ERR_CONFIG for anything else. */
export function identityFromPem(pem: string | Buffer, source = 'key'): QuicIdentity {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(pem);
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, `${source}: not a readable private key (${(err as Error).message})`, { cause: err, details: { path: source } });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TfgwError(ErrorCodes.CONFIG, `${source}: expected an Ed25519 key, got ${key.asymmetricKeyType}`, { details: { path: source } });
  }
  return identityOfKey(key);
}

function identityOfKey(key: crypto.KeyObject): QuicIdentity {
  const jwk = key.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d as string, 'base64url');
  const publicKey = Buffer.from(jwk.x as string, 'base64url');
  // libp2p PrivateKey protobuf: field 1 (KeyType) = 1 (Ed25519), field 2 = 64 bytes seed || public.
  const privateKeyProto = Buffer.concat([Buffer.from([0x08, 0x01, 0x12, 0x40]), seed, publicKey]);
  return { privateKeyProto, publicKey, fingerprint: fingerprintOf(publicKey), peerId: peerIdOf(publicKey) };
}

/** Result of {@link loadOrCreateIdentity}. */
export interface StoredIdentity {
  /** The identity. */
  identity: QuicIdentity;
  /** Absolute path of the key file. */
  file: string;
  /** True when this call generated the key. */
  created: boolean;
  /** Permission bits of the key file (a key readable by group or others deserves a warning). */
  mode: number;
}

/**
 * The persistent identity in `dataDir/quic-identity.key` (PKCS#8 PEM, mode 0600): read it
 * if present, otherwise generate and write it atomically (never overwriting a key another
 * process wrote first).
 */
export async function loadOrCreateIdentity(dataDir: string): Promise<StoredIdentity> {
  const file = path.resolve(dataDir, IDENTITY_FILE);
  const existing = await readKeyFile(file);
  if (existing) return { identity: identityFromPem(existing, file), file, created: false, mode: await modeOf(file) };
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const pem = crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, pem, { mode: 0o600, flag: 'wx' });
    await fs.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new TfgwError(ErrorCodes.CONFIG, `dataDir: cannot write the QUIC identity ${file}: ${(err as Error).message}`, { cause: err, details: { path: 'dataDir' } });
    }
    // Another process created it first: use theirs.
    const theirs = await readKeyFile(file);
    if (!theirs) throw err;
    return { identity: identityFromPem(theirs, file), file, created: false, mode: await modeOf(file) };
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return { identity: identityFromPem(pem, file), file, created: true, mode: await modeOf(file) };
}

async function modeOf(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777;
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TfgwError(ErrorCodes.CONFIG, `dataDir: cannot read the QUIC identity ${file}: ${(err as Error).message}`, { cause: err, details: { path: 'dataDir' } });
  }
}

/**
 * The fingerprint of the gateway identity stored in `dataDir`, for operators to hand to
 * agents and clients. Does not create a key: throws TFGW_ERR_CONFIG if there is none yet
 * (it is created on the gateway's first start).
 */
export async function quicFingerprint(dataDir: string): Promise<Fingerprint> {
  const file = path.resolve(dataDir, IDENTITY_FILE);
  const pem = await readKeyFile(file);
  if (!pem) {
    throw new TfgwError(ErrorCodes.CONFIG, `dataDir: no QUIC identity at ${file} yet; the gateway creates it on its first start with a quic listener`, { details: { path: 'dataDir', file } });
  }
  return identityFromPem(pem, file).fingerprint;
}
