import net from 'node:net';
import { ErrorCodes, TfgwError } from '@tfgw/core';

/**
 * PROXY protocol headers (HAProxy's spec, versions 1 and 2), written by the agent before
 * the first byte toward a service that asked for them, so the service sees the visitor's
 * address instead of the agent's.
 */

/** The 12-byte signature that starts every v2 header. */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** v2 TLV type carrying the host name the client asked for (SNI / Host). */
export const PP2_TYPE_AUTHORITY = 0x02;

/** An IP address and port. */
export interface ProxyAddress {
  /** IPv4 or IPv6 address (IPv4-mapped IPv6 is written as IPv4 when the other side is IPv4). */
  address: string;
  /** TCP port. */
  port: number;
}

/** What a PROXY header says. */
export interface ProxyHeaderInfo {
  /** The visitor; undefined = unknown (v1 `UNKNOWN`, v2 `LOCAL`). */
  source?: ProxyAddress;
  /** Where the visitor connected to. Required with `source`. */
  destination?: ProxyAddress;
  /** v2 only: host name for a PP2_TYPE_AUTHORITY TLV (the SNI); ignored by v1. */
  authority?: string;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Brings source and destination to one family: IPv4 when both can be, else IPv6 (v4-mapped). */
function sameFamily(src: ProxyAddress, dst: ProxyAddress): { family: 4 | 6; src: string; dst: string } {
  const unmap = (a: string) => MAPPED_V4.exec(a)?.[1] ?? a;
  const s = unmap(src.address);
  const d = unmap(dst.address);
  const fs = net.isIP(s);
  const fd = net.isIP(d);
  if (fs === 0) throw new TfgwError(ErrorCodes.BAD_MESSAGE, `PROXY source "${src.address}" is not an IP address`);
  if (fd === 0) throw new TfgwError(ErrorCodes.BAD_MESSAGE, `PROXY destination "${dst.address}" is not an IP address`);
  if (fs === 4 && fd === 4) return { family: 4, src: s, dst: d };
  return { family: 6, src: fs === 4 ? `::ffff:${s}` : s, dst: fd === 4 ? `::ffff:${d}` : d };
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new TfgwError(ErrorCodes.BAD_MESSAGE, `PROXY ${what} port ${p} is out of range`);
}

/** `PROXY TCP4 src dst sport dport\r\n` (or `PROXY UNKNOWN\r\n`), at most 107 bytes. */
export function encodeProxyV1(info: ProxyHeaderInfo): Buffer {
  if (!info.source || !info.destination) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  checkPort(info.source.port, 'source');
  checkPort(info.destination.port, 'destination');
  const { family, src, dst } = sameFamily(info.source, info.destination);
  const text = family === 4 ? (a: string) => a : canonicalIpv6;
  return Buffer.from(`PROXY TCP${family} ${text(src)} ${text(dst)} ${info.source.port} ${info.destination.port}\r\n`, 'latin1');
}

/** RFC 5952 text (at most 39 characters, no zone, no dotted tail), so a v1 line stays within 107 bytes. */
function canonicalIpv6(ip: string): string {
  return new URL(`http://[${ip.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
}

/** Binary header: signature, `0x21` (v2 PROXY) or `0x20` (LOCAL), family, length, addresses, TLVs. */
export function encodeProxyV2(info: ProxyHeaderInfo): Buffer {
  if (!info.source || !info.destination) {
    const out = Buffer.alloc(16);
    PROXY_V2_SIGNATURE.copy(out, 0);
    out[12] = 0x20; // v2, LOCAL
    out[13] = 0x00; // AF_UNSPEC
    return out;
  }
  checkPort(info.source.port, 'source');
  checkPort(info.destination.port, 'destination');
  const { family, src, dst } = sameFamily(info.source, info.destination);
  const addrLen = family === 4 ? 12 : 36;
  const authority = info.authority ? Buffer.from(info.authority, 'utf8') : undefined;
  if (authority && authority.length > 255) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'PROXY authority longer than 255 bytes');
  const tlvLen = authority ? 3 + authority.length : 0;
  const out = Buffer.alloc(16 + addrLen + tlvLen);
  PROXY_V2_SIGNATURE.copy(out, 0);
  out[12] = 0x21; // v2, PROXY
  out[13] = family === 4 ? 0x11 : 0x21; // AF_INET/AF_INET6, STREAM
  out.writeUInt16BE(addrLen + tlvLen, 14);
  let p = 16;
  const ipLen = family === 4 ? 4 : 16;
  ipBytes(src, family).copy(out, p);
  ipBytes(dst, family).copy(out, p + ipLen);
  p += 2 * ipLen;
  out.writeUInt16BE(info.source.port, p);
  out.writeUInt16BE(info.destination.port, p + 2);
  p += 4;
  if (authority) {
    out[p] = PP2_TYPE_AUTHORITY;
    out.writeUInt16BE(authority.length, p + 1);
    authority.copy(out, p + 3);
  }
  return out;
}

/** PROXY header of the given version. */
export function encodeProxyHeader(version: 1 | 2, info: ProxyHeaderInfo): Buffer {
  return version === 1 ? encodeProxyV1(info) : encodeProxyV2(info);
}

/** Network-order bytes of a valid IPv4 or IPv6 address (IPv6 may end in an IPv4 tail). */
export function ipBytes(ip: string, family: 4 | 6): Buffer {
  if (family === 4) return Buffer.from(ip.split('.').map(Number));
  let text = ip.replace(/%.*$/, '');
  let tail: number[] = [];
  const v4 = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const o = v4[2].split('.').map(Number);
    tail = [(o[0] << 8) | o[1], (o[2] << 8) | o[3]];
    text = v4[1].endsWith('::') ? v4[1] : v4[1].slice(0, -1);
  }
  const [head, rest] = text.split('::');
  const groups = head ? head.split(':').map((g) => parseInt(g, 16)) : [];
  if (rest !== undefined) {
    const r = rest ? rest.split(':').map((g) => parseInt(g, 16)) : [];
    const fill = 8 - tail.length - groups.length - r.length;
    for (let i = 0; i < fill; i++) groups.push(0);
    groups.push(...r);
  }
  groups.push(...tail);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i] ?? 0, i * 2);
  return out;
}
