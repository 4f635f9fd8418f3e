/**
 * The few ASN.1 DER encoders a self-signed X.509 certificate needs (X.690). Each returns
 * the complete tag-length-value; constructed types take already encoded children.
 */

/** Tag-length-value with DER's definite length form. */
export function derTlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else if (n < 0x100) len = Buffer.from([0x81, n]);
  else if (n < 0x10000) len = Buffer.from([0x82, n >> 8, n & 0xff]);
  else len = Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

/** SEQUENCE of encoded children. */
export function derSequence(...children: Buffer[]): Buffer {
  return derTlv(0x30, Buffer.concat(children));
}

/** SET of encoded children (callers pass them already in DER order). */
export function derSet(...children: Buffer[]): Buffer {
  return derTlv(0x31, Buffer.concat(children));
}

/** INTEGER from unsigned big-endian bytes (a leading 0 is added when the top bit is set, extra zeros dropped). */
export function derUnsignedInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return derTlv(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** OBJECT IDENTIFIER from dotted text, e.g. `2.5.4.3`. */
export function derOid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const base128: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return derTlv(0x06, Buffer.from(bytes));
}

/** UTF8String. */
export function derUtf8(text: string): Buffer {
  return derTlv(0x0c, Buffer.from(text, 'utf8'));
}

/** BIT STRING with no unused bits. */
export function derBitString(bytes: Buffer): Buffer {
  return derTlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

/** OCTET STRING. */
export function derOctetString(bytes: Buffer): Buffer {
  return derTlv(0x04, bytes);
}

/** BOOLEAN. */
export function derBoolean(value: boolean): Buffer {
  return derTlv(0x01, Buffer.from([value ? 0xff : 0]));
}

/** A time as RFC 5280 wants it: UTCTime through 2049, GeneralizedTime from 2050. */
export function derTime(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+/, '');
  const year = date.getUTCFullYear();
  return year < 2050 ? derTlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : derTlv(0x18, Buffer.from(iso, 'ascii'));
}

/** Context-specific constructed tag `[n] EXPLICIT`. */
export function derExplicit(n: number, inner: Buffer): Buffer {
  return derTlv(0xa0 | n, inner);
}
