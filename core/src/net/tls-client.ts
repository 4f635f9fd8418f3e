import net from 'node:net';
import tls from 'node:tls';
import { ErrorCodes, TfgwError } from '../errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, withDeadline } from './deadline';
import { loadPem, loadPemList } from './pem';
import type { TlsOptions } from './tls-options';

/** Options for {@link secureClient}. */
export interface SecureClientOptions {
  /** Host the URL named: the default SNI name and the name the certificate must match. */
  host: string;
  /** TLS options (ca, fingerprint, servername, cert/key for mTLS). */
  tls: TlsOptions;
  /** Folder relative PEM paths resolve from. @default process.cwd() */
  baseDir?: string;
  /** ALPN protocols to offer. */
  alpn?: string[];
  /** Aborts the handshake. */
  signal?: AbortSignal;
  /** Time for the handshake. @default 10000 */
  timeoutMs?: number;
}

/** A client TLS connection whose peer passed the trust check. */
export interface SecureClientResult {
  /** The encrypted socket. */
  socket: tls.TLSSocket;
  /** SHA-256 fingerprint of the server certificate (`AB:CD:...`). */
  fingerprint: string;
}

/** Certificate-related handshake failures are trust problems; anything else is a connection problem. */
function mapHandshakeError(err: NodeJS.ErrnoException, host: string): TfgwError {
  if (err instanceof TfgwError) return err;
  const code = String(err.code ?? '');
  if (/CERT|UNKNOWN_CA/.test(code)) {
    return new TfgwError(ErrorCodes.TRUST, `TLS handshake with ${host} failed: ${err.message}`, { cause: err, details: { reason: code } });
  }
  return new TfgwError(ErrorCodes.CONNECT, `TLS handshake with ${host} failed: ${err.message}`, { cause: err, details: { errno: code } });
}

/**
 * Runs the client side of TLS over an already connected socket (direct or through a
 * proxy) and checks the server: by pinned fingerprint when `tls.fingerprint` is set (and by
 * CA as well when `tls.ca` is also set), else by CA (`tls.ca` or the system roots) and
 * host name. A server that fails the check is a TFGW_ERR_TRUST error; the socket is
 * destroyed before any byte of ours is sent over it.
 */
export async function secureClient(socket: net.Socket, opts: SecureClientOptions): Promise<SecureClientResult> {
  const baseDir = opts.baseDir ?? process.cwd();
  const t = opts.tls;
  let ca: string[] | undefined;
  let cert: string | undefined;
  let key: string | undefined;
  try {
    [ca, cert, key] = await Promise.all([
      t.ca ? loadPemList(t.ca, 'ca', baseDir) : undefined,
      t.cert ? loadPem(t.cert, 'cert', baseDir) : undefined,
      t.key ? loadPem(t.key, 'key', baseDir) : undefined,
    ]);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  const servername = t.servername ?? (net.isIP(opts.host) ? undefined : opts.host);
  // Verification is ours (below), so a pinned self-signed certificate is not refused first.
  const tlsSocket = tls.connect({ socket, host: opts.host, servername, ca, cert, key, rejectUnauthorized: false, ALPNProtocols: opts.alpn, minVersion: 'TLSv1.2' });
  const who = servername ?? opts.host;
  const work = new Promise<SecureClientResult>((resolve, reject) => {
    const onError = (err: Error): void => reject(mapHandshakeError(err, who));
    tlsSocket.once('error', onError);
    tlsSocket.once('secureConnect', () => {
      tlsSocket.off('error', onError);
      const peer = tlsSocket.getPeerX509Certificate();
      if (!peer) {
        reject(new TfgwError(ErrorCodes.TRUST, `${who} sent no certificate`));
        return;
      }
      const fingerprint = peer.fingerprint256;
      if (t.fingerprint && fingerprint !== t.fingerprint) {
        reject(new TfgwError(ErrorCodes.TRUST, `${who} presented certificate ${fingerprint}, expected the pinned ${t.fingerprint}`, { details: { expected: t.fingerprint, actual: fingerprint } }));
        return;
      }
      if ((!t.fingerprint || t.ca) && !tlsSocket.authorized) {
        const reason = String(tlsSocket.authorizationError ?? 'unknown');
        reject(new TfgwError(ErrorCodes.TRUST, `${who} presented a certificate we do not trust: ${reason}`, { details: { reason, actual: fingerprint } }));
        return;
      }
      resolve({ socket: tlsSocket, fingerprint });
    });
  });
  return withDeadline(work, {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    what: `TLS handshake with ${who}`,
    cancel: () => tlsSocket.destroy(),
  }).catch((err) => {
    tlsSocket.destroy();
    throw err;
  });
}
