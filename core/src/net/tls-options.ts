import { ErrorCodes, TfgwError } from '../errors';
import { normalizeFingerprint } from './fingerprint';
import { readBoolean, readInteger, readString, readStringList } from './option-readers';

/** TLS options shared by every transport that speaks TLS (tls://, wss://). */
export interface TlsOptions {
  /** Server: certificate chain (PEM or file path). Client: certificate for mTLS. */
  cert?: string;
  /** Private key of `cert` (PEM or file path). */
  key?: string;
  /** Server: CAs that sign client certificates (mTLS). Client: CAs that sign the server certificate. */
  ca?: string[];
  /** Server: require a client certificate signed by `ca`. @default false */
  requestClientCert?: boolean;
  /** Client: pin the server certificate by SHA-256 fingerprint (normalised `AB:CD:...`). */
  fingerprint?: string;
  /** Client: name to send in SNI and check the certificate against. @default the URL host */
  servername?: string;
  /** Server: folder for the self-signed certificate made when no `cert`/`key` are given. */
  dataDir?: string;
  /** Server: time a client has to finish the TLS handshake. @default 10000 */
  handshakeTimeoutMs?: number;
}

/** Option keys {@link readTlsOptions} understands. */
export const TLS_OPTION_KEYS = ['cert', 'key', 'ca', 'requestClientCert', 'fingerprint', 'servername', 'dataDir', 'handshakeTimeoutMs'] as const;

/** Default time for a TLS handshake on the server side. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Reads and checks the TLS options out of a transport's option bag; `urlFingerprint` is the
 * URL fragment (`tls://host:port#FINGERPRINT`), which wins over `options.fingerprint`.
 * Throws TFGW_ERR_CONFIG naming the key.
 */
export function readTlsOptions(opts: Record<string, unknown>, urlFingerprint?: string): TlsOptions {
  const out: TlsOptions = {
    cert: readString(opts, 'cert'),
    key: readString(opts, 'key'),
    ca: readStringList(opts, 'ca'),
    requestClientCert: readBoolean(opts, 'requestClientCert'),
    servername: readString(opts, 'servername'),
    dataDir: readString(opts, 'dataDir'),
    handshakeTimeoutMs: readInteger(opts, 'handshakeTimeoutMs', 1, 3_600_000),
  };
  const fp = urlFingerprint ? decodeURIComponent(urlFingerprint.replace(/^#/, '')) : readString(opts, 'fingerprint');
  if (fp) out.fingerprint = normalizeFingerprint(fp);
  if ((out.cert === undefined) !== (out.key === undefined)) {
    const missing = out.cert === undefined ? 'cert' : 'key';
    throw new TfgwError(ErrorCodes.CONFIG, `${missing}: "cert" and "key" go together; give both or neither`, { details: { path: missing } });
  }
  if (out.requestClientCert && !out.ca) {
    throw new TfgwError(ErrorCodes.CONFIG, 'ca: requestClientCert needs "ca", the CA that signs client certificates', { details: { path: 'ca' } });
  }
  return out;
}
