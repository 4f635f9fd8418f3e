/**
 * A hand-written, allocation-light reader of the first TLS flight: enough of the
 * ClientHello to route by server name (RFC 8446 §4.1.2, RFC 6066 §3), without terminating
 * TLS. Pure functions over bytes; the socket side lives in peek-client-hello.ts.
 */

/** TLS record content type of handshake messages. */
const CONTENT_HANDSHAKE = 22;
/** Handshake message type of a ClientHello. */
const HANDSHAKE_CLIENT_HELLO = 1;
/** Largest plaintext record fragment (RFC 8446 §5.1). */
const MAX_RECORD = 16384;
/** Bytes of a TLS record header. */
const RECORD_HEADER = 5;
/** Extension type `server_name`. */
const EXT_SERVER_NAME = 0;
/** ServerName name_type `host_name`. */
const NAME_TYPE_HOST = 0;

/** Result of {@link parseClientHello}. */
export type ClientHelloResult =
  /** More bytes are needed (the hello is not complete yet). */
  | { kind: 'incomplete' }
  /** Not a TLS handshake at all (plain text, SSLv2, another protocol): close without an alert. */
  | { kind: 'not-tls'; reason: string }
  /** Looks like TLS but is malformed or too large: answer with a `decode_error` alert. */
  | { kind: 'invalid'; reason: string; recordVersion: number }
  /**
   * A complete ClientHello. `serverName` is the lower-cased `host_name` without a trailing
   * dot, or undefined when the client sent none. `consumed` is the byte count up to the
   * end of the record that completed it; `recordVersion` the version of the first record.
   */
  | { kind: 'hello'; serverName: string | undefined; consumed: number; recordVersion: number };

/**
 * Parses a ClientHello from the first bytes a visitor sent, which may be cut anywhere and
 * may spread the handshake message over several records. Never throws; never reads past
 * `data`. `maxHelloBytes` bounds the handshake message (the caller bounds the bytes it buffers).
 */
export function parseClientHello(data: Uint8Array, maxHelloBytes = 16384): ClientHelloResult {
  if (data.length === 0) return { kind: 'incomplete' };
  if (data[0] !== CONTENT_HANDSHAKE) return { kind: 'not-tls', reason: `first byte 0x${data[0].toString(16).padStart(2, '0')} is not a TLS handshake record` };
  if (data.length >= 2 && data[1] !== 3) return { kind: 'not-tls', reason: 'record version is not 3.x' };
  const recordVersion = data.length >= 3 ? (data[1] << 8) | data[2] : 0x0301;
  const invalid = (reason: string): ClientHelloResult => ({ kind: 'invalid', reason, recordVersion });

  // Walk records, gathering handshake bytes until the ClientHello message is complete.
  let off = 0;
  let fragments: Uint8Array[] | null = null;
  let first: Uint8Array | null = null;
  let have = 0;
  let need = -1; // total handshake bytes of the message (4 + body), once known
  while (true) {
    if (data.length - off < RECORD_HEADER) return { kind: 'incomplete' };
    if (data[off] !== CONTENT_HANDSHAKE) return invalid(`record type ${data[off]} inside the ClientHello`);
    if (data[off + 1] !== 3) return invalid('record version is not 3.x');
    const len = (data[off + 3] << 8) | data[off + 4];
    if (len === 0) return invalid('empty handshake record');
    if (len > MAX_RECORD) return invalid(`record of ${len} bytes exceeds ${MAX_RECORD}`);
    const start = off + RECORD_HEADER;
    const avail = Math.min(len, data.length - start);
    const frag = data.subarray(start, start + avail);
    if (first === null) first = frag;
    else (fragments ??= [first]).push(frag);
    have += avail;
    if (need < 0 && have >= 4) {
      const head = have === avail ? frag : joined(fragments ?? [first], 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return invalid(`first handshake message has type ${head[0]}, not ClientHello`);
      const bodyLen = (head[1] << 16) | (head[2] << 8) | head[3];
      if (bodyLen > maxHelloBytes) return invalid(`ClientHello of ${bodyLen} bytes exceeds the limit of ${maxHelloBytes}`);
      need = 4 + bodyLen;
    }
    if (need >= 0 && have >= need) {
      const msg = fragments ? joined(fragments, need) : first.subarray(0, need);
      const body = msg.subarray(4, need);
      const sni = readServerName(body);
      if (typeof sni === 'object') return invalid(sni.error);
      return { kind: 'hello', serverName: sni, consumed: start + avail, recordVersion };
    }
    if (avail < len) return { kind: 'incomplete' };
    off = start + len;
  }
}

/** Concatenates the first `n` bytes of the fragments (the rare multi-record case). */
function joined(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    if (o >= n) break;
    const take = Math.min(p.length, n - o);
    out.set(p.subarray(0, take), o);
    o += take;
  }
  return out;
}

/**
 * Reads the `server_name` extension from a ClientHello body. Returns the name, undefined
 * when absent, or `{ error }` when the body is malformed.
 */
export function readServerName(body: Uint8Array): string | undefined | { error: string } {
  let p = 0;
  const left = () => body.length - p;
  if (left() < 2 + 32 + 1) return { error: 'ClientHello too short' };
  p += 2 + 32; // legacy_version, random
  const sidLen = body[p++];
  if (sidLen > 32 || left() < sidLen) return { error: 'bad session id' };
  p += sidLen;
  if (left() < 2) return { error: 'truncated cipher suites' };
  const csLen = (body[p] << 8) | body[p + 1];
  p += 2;
  if (csLen < 2 || csLen % 2 !== 0 || left() < csLen) return { error: 'bad cipher suites' };
  p += csLen;
  if (left() < 1) return { error: 'truncated compression methods' };
  const cmLen = body[p++];
  if (cmLen < 1 || left() < cmLen) return { error: 'bad compression methods' };
  p += cmLen;
  if (left() === 0) return undefined; // no extensions at all (legal before TLS 1.3)
  if (left() < 2) return { error: 'truncated extensions' };
  const extLen = (body[p] << 8) | body[p + 1];
  p += 2;
  if (extLen !== left()) return { error: 'extensions length does not match the message' };
  let name: string | undefined;
  const seen = new Set<number>();
  while (left() > 0) {
    if (left() < 4) return { error: 'truncated extension header' };
    const type = (body[p] << 8) | body[p + 1];
    const len = (body[p + 2] << 8) | body[p + 3];
    p += 4;
    if (left() < len) return { error: 'truncated extension' };
    if (seen.has(type)) return { error: `duplicate extension ${type}` };
    seen.add(type);
    if (type === EXT_SERVER_NAME) {
      const r = readServerNameList(body.subarray(p, p + len));
      if (typeof r === 'object') return r;
      name = r;
    }
    p += len;
  }
  return name;
}

/** Parses the body of a `server_name` extension (RFC 6066 §3). */
function readServerNameList(ext: Uint8Array): string | undefined | { error: string } {
  if (ext.length === 0) return undefined; // a server's empty echo; tolerate it from a client
  if (ext.length < 2) return { error: 'truncated server_name list' };
  const listLen = (ext[0] << 8) | ext[1];
  if (listLen !== ext.length - 2 || listLen === 0) return { error: 'bad server_name list length' };
  let p = 2;
  let host: string | undefined;
  while (p < ext.length) {
    if (ext.length - p < 3) return { error: 'truncated server_name entry' };
    const type = ext[p];
    const len = (ext[p + 1] << 8) | ext[p + 2];
    p += 3;
    if (ext.length - p < len) return { error: 'truncated server name' };
    if (type === NAME_TYPE_HOST) {
      if (host !== undefined) return { error: 'two host_name entries' };
      const h = decodeHostName(ext.subarray(p, p + len));
      if (h === undefined) return { error: 'host_name is not a DNS name' };
      host = h;
    }
    p += len;
  }
  return host;
}

/** ASCII letters, digits, `-`, `_`, `.`, `*`; 1–253 chars after dropping one trailing dot; lower-cased. */
function decodeHostName(b: Uint8Array): string | undefined {
  let end = b.length;
  if (end > 0 && b[end - 1] === 0x2e) end--;
  if (end === 0 || end > 253) return undefined;
  let s = '';
  for (let i = 0; i < end; i++) {
    let c = b[i];
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x2a;
    if (!ok) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}
