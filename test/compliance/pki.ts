import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A certificate made by the real `openssl` CLI, with its key, as PEM text and files. */
export interface TestCert {
  /** Certificate PEM. */
  cert: string;
  /** Private key PEM. */
  key: string;
  /** Certificate file. */
  certFile: string;
  /** Key file. */
  keyFile: string;
  /** SHA-256 fingerprint `AB:CD:...`. */
  fingerprint: string;
}

/** A throwaway PKI: two unrelated CAs, a server certificate and a client certificate. */
export interface TestPki {
  /** Folder holding every file; remove with {@link removePki}. */
  dir: string;
  /** The CA that signs `server` and `client`. */
  ca: TestCert;
  /** An unrelated CA (for "wrong CA" tests). */
  otherCa: TestCert;
  /** Server certificate for `localhost` and `127.0.0.1`. */
  server: TestCert;
  /** Client certificate (clientAuth) signed by `ca`. */
  client: TestCert;
  /** Client certificate signed by `otherCa`. */
  strangerClient: TestCert;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function load(dir: string, name: string): TestCert {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  const cert = fs.readFileSync(certFile, 'utf8');
  return { cert, key: fs.readFileSync(keyFile, 'utf8'), certFile, keyFile, fingerprint: new crypto.X509Certificate(cert).fingerprint256 };
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2',
    '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function makeLeaf(dir: string, name: string, ca: string, cn: string, ext: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

/** Makes a fresh PKI in a temporary folder with `openssl`. */
export function makePki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'server', 'ca', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'client', 'ca', 'agent-1', 'extendedKeyUsage=clientAuth\n');
  makeLeaf(dir, 'stranger', 'other-ca', 'stranger', 'extendedKeyUsage=clientAuth\n');
  return { dir, ca: load(dir, 'ca'), otherCa: load(dir, 'other-ca'), server: load(dir, 'server'), client: load(dir, 'client'), strangerClient: load(dir, 'stranger') };
}

/** Removes the PKI folder. */
export function removePki(pki: TestPki | undefined): void {
  if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
}
