/** TLS alert descriptions tfgw sends before closing a visitor (RFC 8446 §6). */
export const TlsAlert = Object.freeze({
  /** The SNI names no route here. */
  unrecognizedName: 112,
  /** The ClientHello could not be parsed. */
  decodeError: 50,
  /** The visitor was refused by policy. */
  accessDenied: 49,
  /** Something else went wrong (agent offline, service unreachable). */
  internalError: 80,
});

/**
 * A fatal alert record: `21 | version | 0x0002 | 2 (fatal) | description`. `recordVersion`
 * echoes the client's first record version (capped at TLS 1.2's 0x0303, the value TLS 1.3
 * uses on the wire), so old and new clients both read it.
 */
export function tlsAlertRecord(description: number, recordVersion = 0x0303): Buffer {
  const v = recordVersion >= 0x0300 && recordVersion <= 0x0303 ? recordVersion : 0x0303;
  return Buffer.from([21, v >>> 8, v & 0xff, 0, 2, 2, description & 0xff]);
}
