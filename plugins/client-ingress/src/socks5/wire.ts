import net from 'node:net';
import { ErrorCodes, TfgwError, ipv6Bytes, type FrameParse } from '@tfgw/core';
import { SocksReply } from '../refusal';

/**
 * SOCKS5 server-side wire format (RFC 1928, RFC 1929): pure parsers over the bytes received
 * so far and encoders. A parser answers `{ complete: false }` while bytes are missing, the
 * value and its length once complete, and throws TFGW_ERR_BAD_MESSAGE (with
 * `details.socksReply` when the RFC has a reply for it) on bytes that can never become valid.
 */

/** SOCKS protocol version 5. */
export const SOCKS_VERSION = 0x05;
/** Version of the RFC 1929 username/password sub-negotiation. */
export const USERPASS_VERSION = 0x01;

/** Authentication methods (RFC 1928 §3). */
export const AuthMethod = { NONE: 0x00, USERPASS: 0x02, NO_ACCEPTABLE: 0xff } as const;

/** Request commands (RFC 1928 §4). */
export const Command = { CONNECT: 0x01, BIND: 0x02, UDP_ASSOCIATE: 0x03 } as const;

/** Address types (RFC 1928 §5). */
export const AddressType = { IPV4: 0x01, DOMAIN: 0x03, IPV6: 0x04 } as const;

/** The client's greeting: the methods it offers. */
export interface Greeting {
  /** Offered authentication methods, in order. */
  methods: number[];
}

/** RFC 1929 credentials. */
export interface UserPass {
  /** Username (UTF-8). */
  username: string;
  /** Password (UTF-8). */
  password: string;
}

/** An address as SOCKS carries it. */
export interface SocksAddress {
  /** ATYP. */
  type: number;
  /** Dotted IPv4, IPv6 text, or the domain name as sent. */
  host: string;
  /** Port. */
  port: number;
}

/** A request (CONNECT, BIND, UDP ASSOCIATE). */
export interface SocksRequest extends SocksAddress {
  /** CMD. */
  command: number;
}

/** A UDP datagram of an association (RFC 1928 §7). */
export interface SocksDatagram extends SocksAddress {
  /** FRAG: 0 for a whole datagram; tfgw drops fragments. */
  frag: number;
  /** Payload. */
  data: Buffer;
}

function bad(message: string, socksReply?: number): TfgwError {
  return new TfgwError(ErrorCodes.BAD_MESSAGE, `SOCKS5: ${message}`, socksReply === undefined ? {} : { details: { socksReply } });
}

/** Parses VER NMETHODS METHODS... */
export function parseGreeting(buf: Buffer): FrameParse<Greeting> {
  if (buf.length < 1) return { complete: false };
  if (buf[0] !== SOCKS_VERSION) throw bad(`version ${buf[0]} is not 5`);
  if (buf.length < 2) return { complete: false };
  const n = buf[1];
  if (n === 0) throw bad('greeting offers no authentication method');
  if (buf.length < 2 + n) return { complete: false };
  return { complete: true, bytes: 2 + n, value: { methods: [...buf.subarray(2, 2 + n)] } };
}

/** Parses the RFC 1929 request: VER ULEN UNAME PLEN PASSWD. */
export function parseUserPass(buf: Buffer): FrameParse<UserPass> {
  if (buf.length < 1) return { complete: false };
  if (buf[0] !== USERPASS_VERSION) throw bad(`username/password version ${buf[0]} is not 1`);
  if (buf.length < 2) return { complete: false };
  const ulen = buf[1];
  if (ulen === 0) throw bad('empty username');
  if (buf.length < 3 + ulen) return { complete: false };
  const plen = buf[2 + ulen];
  const total = 3 + ulen + plen;
  if (buf.length < total) return { complete: false };
  return { complete: true, bytes: total, value: { username: buf.toString('utf8', 2, 2 + ulen), password: buf.toString('utf8', 3 + ulen, total) } };
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** Parses ATYP ADDR PORT at `offset`: the address and the offset after it, or undefined while bytes are missing. */
function parseAddress(buf: Buffer, offset: number): { address: SocksAddress; end: number } | undefined {
  if (buf.length < offset + 1) return undefined;
  const type = buf[offset];
  let host: string;
  let at: number;
  if (type === AddressType.IPV4) {
    if (buf.length < offset + 7) return undefined;
    host = [...buf.subarray(offset + 1, offset + 5)].join('.');
    at = offset + 5;
  } else if (type === AddressType.IPV6) {
    if (buf.length < offset + 19) return undefined;
    host = ipv6Text(buf.subarray(offset + 1, offset + 17));
    at = offset + 17;
  } else if (type === AddressType.DOMAIN) {
    if (buf.length < offset + 2) return undefined;
    const len = buf[offset + 1];
    if (len === 0) throw bad('empty domain name', SocksReply.HOST_UNREACHABLE);
    if (buf.length < offset + 2 + len + 2) return undefined;
    host = buf.toString('latin1', offset + 2, offset + 2 + len);
    at = offset + 2 + len;
  } else {
    throw bad(`address type ${type} is not supported`, SocksReply.ADDRESS_TYPE_NOT_SUPPORTED);
  }
  return { address: { type, host, port: buf.readUInt16BE(at) }, end: at + 2 };
}

/** Parses VER CMD RSV ATYP DST.ADDR DST.PORT. */
export function parseRequest(buf: Buffer): FrameParse<SocksRequest> {
  if (buf.length < 1) return { complete: false };
  if (buf[0] !== SOCKS_VERSION) throw bad(`request version ${buf[0]} is not 5`, SocksReply.GENERAL_FAILURE);
  if (buf.length < 4) return { complete: false };
  const parsed = parseAddress(buf, 3);
  if (!parsed) return { complete: false };
  return { complete: true, bytes: parsed.end, value: { command: buf[1], ...parsed.address } };
}

/** Parses one UDP datagram of an association; undefined when it is truncated or malformed (RFC 1928: drop it). */
export function parseSocksDatagram(buf: Buffer): SocksDatagram | undefined {
  if (buf.length < 4) return undefined;
  try {
    const parsed = parseAddress(buf, 3);
    if (!parsed) return undefined;
    return { frag: buf[2], ...parsed.address, data: buf.subarray(parsed.end) };
  } catch {
    return undefined;
  }
}

/** ATYP ADDR PORT for `host:port`: IP literals as addresses, anything else as a domain name. */
export function encodeAddress(host: string, port: number): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  const family = net.isIP(host);
  if (family === 4) return Buffer.concat([Buffer.from([AddressType.IPV4, ...host.split('.').map(Number)]), p]);
  if (family === 6) return Buffer.concat([Buffer.from([AddressType.IPV6]), ipv6Bytes(host), p]);
  const name = Buffer.from(host, 'latin1');
  if (name.length === 0 || name.length > 255) throw bad(`cannot encode host name of ${name.length} bytes`);
  return Buffer.concat([Buffer.from([AddressType.DOMAIN, name.length]), name, p]);
}

/** The server's method selection: VER METHOD. */
export function encodeMethodChoice(method: number): Buffer {
  return Buffer.from([SOCKS_VERSION, method]);
}

/** The RFC 1929 status: VER STATUS (0 = success). */
export function encodeUserPassStatus(ok: boolean): Buffer {
  return Buffer.from([USERPASS_VERSION, ok ? 0x00 : 0x01]);
}

/** A reply: VER REP RSV ATYP BND.ADDR BND.PORT (0.0.0.0:0 when no address applies). */
export function encodeReply(reply: number, host = '0.0.0.0', port = 0): Buffer {
  return Buffer.concat([Buffer.from([SOCKS_VERSION, reply, 0x00]), encodeAddress(host.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, ''), port)]);
}

/** A UDP datagram to the SOCKS client: RSV RSV FRAG=0 ATYP DST.ADDR DST.PORT DATA. */
export function encodeSocksDatagram(host: string, port: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0x00, 0x00]), encodeAddress(host, port), data]);
}
