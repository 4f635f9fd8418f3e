import crypto from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type tls from 'node:tls';
import { ErrorCodes, TfgwError } from '../errors';
import type { Logger } from '../log';
import { certFingerprint } from './fingerprint';
import { loadPem, loadPemList } from './pem';
import { createSelfSignedCert, type CertAndKey } from './self-signed';
import { DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, type TlsOptions } from './tls-options';

/** File names of the generated identity inside the data folder. */
export const SELF_SIGNED_CERT_FILE = 'tls-cert.pem';
/** See {@link SELF_SIGNED_CERT_FILE}. */
export const SELF_SIGNED_KEY_FILE = 'tls-key.pem';

/** Where a TLS server's options come from. */
export interface TlsServerContext {
  /** Folder relative `cert` / `key` / `ca` paths resolve from. */
  baseDir: string;
  /** Folder for the self-signed identity when `cert`/`key` are absent (`options.dataDir` wins). */
  dataDir: string;
  /** Host names / IPs to put in a newly generated certificate besides localhost. */
  altNames?: string[];
  /** Logs the fingerprint so agents can pin it. */
  log?: Logger;
  /** Scheme shown in the pinning hint, e.g. `tls` or `wss`. */
  scheme: string;
}

/** Options for `tls.createServer` / `https.createServer`, plus the fingerprint of our certificate. */
export interface TlsServerSetup {
  /** Secure-context and server options. */
  secure: tls.TlsOptions;
  /** SHA-256 fingerprint of the server certificate (`AB:CD:...`). */
  fingerprint: string;
  /** The certificate file, when it was generated or loaded from one. */
  certFile?: string;
  /** True when the certificate is tfgw's self-signed one. */
  selfSigned: boolean;
}

const generating = new Map<string, Promise<CertAndKey>>();

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TfgwError(ErrorCodes.CONFIG, `dataDir: cannot read ${file}: ${(err as Error).message}`, { cause: err, details: { path: 'dataDir', file } });
  }
}

async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
  await rename(tmp, file);
}

/**
 * The self-signed identity kept in `dataDir`: made on first use (ECDSA P-256, files mode
 * 0600, folder 0700), the same one after. Agents pin its fingerprint, so it is never
 * silently replaced: a certificate that does not match its key is a TFGW_ERR_CONFIG error.
 */
export async function ensureSelfSignedIdentity(dataDir: string, altNames: string[] = []): Promise<CertAndKey & { certFile: string; created: boolean }> {
  const dir = path.resolve(dataDir);
  const certFile = path.join(dir, SELF_SIGNED_CERT_FILE);
  const keyFile = path.join(dir, SELF_SIGNED_KEY_FILE);
  let pending = generating.get(dir);
  let created = false;
  if (!pending) {
    pending = (async () => {
      const [cert, key] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
      if (cert !== undefined && key !== undefined) {
        let matches = false;
        try {
          matches = new crypto.X509Certificate(cert).checkPrivateKey(crypto.createPrivateKey(key));
        } catch {
          matches = false;
        }
        if (!matches) {
          throw new TfgwError(ErrorCodes.CONFIG, `dataDir: ${certFile} and ${keyFile} are not a certificate and its key; remove both to make a new identity (agents pinning the old fingerprint must update)`, {
            details: { path: 'dataDir', file: certFile },
          });
        }
        return { cert, key };
      }
      const names = ['localhost', '127.0.0.1', '::1', ...altNames.filter((n) => n && n !== '0.0.0.0' && n !== '::' && (net.isIP(n) || /^[A-Za-z0-9.-]+$/.test(n)))];
      const made = createSelfSignedCert({ altNames: [...new Set(names)] });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writePrivate(keyFile, made.key);
      await writePrivate(certFile, made.cert);
      created = true;
      return made;
    })();
    generating.set(dir, pending);
    // Only concurrent starts share one generation; later ones read the files again.
    const forget = (): void => void generating.delete(dir);
    pending.then(forget, forget);
  }
  const identity = await pending;
  return { ...identity, certFile, created };
}

/**
 * Builds the server side of TLS from transport options: the configured `cert`/`key`, or
 * tfgw's self-signed identity in the data folder (its fingerprint is logged with a pinning
 * hint); `ca` + `requestClientCert` turn on mTLS. Throws TFGW_ERR_CONFIG.
 */
export async function resolveTlsServer(opts: TlsOptions, ctx: TlsServerContext): Promise<TlsServerSetup> {
  let cert: string;
  let key: string;
  let certFile: string | undefined;
  let selfSigned = false;
  if (opts.cert !== undefined && opts.key !== undefined) {
    [cert, key] = await Promise.all([loadPem(opts.cert, 'cert', ctx.baseDir), loadPem(opts.key, 'key', ctx.baseDir)]);
    if (!opts.cert.includes('-----BEGIN ')) certFile = path.resolve(ctx.baseDir, opts.cert);
  } else {
    const dataDir = path.resolve(ctx.baseDir, opts.dataDir ?? ctx.dataDir);
    const id = await ensureSelfSignedIdentity(dataDir, ctx.altNames);
    ({ cert, key, certFile } = id);
    selfSigned = true;
  }
  let fingerprint: string;
  try {
    fingerprint = certFingerprint(cert);
    if (!new crypto.X509Certificate(cert).checkPrivateKey(crypto.createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, `cert: not a usable certificate and key: ${(err as Error).message}`, { cause: err, details: { path: 'cert' } });
  }
  if (selfSigned) {
    ctx.log?.info({ fingerprint, cert: certFile }, `${ctx.scheme}: using the self-signed certificate ${certFile}; agents pin it with ${ctx.scheme}://HOST:PORT#${fingerprint.replace(/:/g, '')} or --fingerprint`);
  } else {
    ctx.log?.info({ fingerprint, cert: certFile }, `${ctx.scheme}: serving certificate with fingerprint ${fingerprint}`);
  }
  const ca = opts.ca ? await loadPemList(opts.ca, 'ca', ctx.baseDir) : undefined;
  const secure: tls.TlsOptions = {
    cert,
    key,
    minVersion: 'TLSv1.2',
    handshakeTimeout: opts.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
    ...(ca ? { ca } : {}),
    ...(opts.requestClientCert ? { requestCert: true, rejectUnauthorized: true } : { requestCert: false }),
  };
  return { secure, fingerprint, certFile, selfSigned };
}
