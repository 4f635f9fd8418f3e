import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCodes, TfgwError } from '../errors';
import { formatEndpoint, type Endpoint } from './endpoint';
import { readFramed, type FrameParse } from './framed-read';
import { describeProxy, type ProxySpec } from './proxy-url';

/**
 * A SOCKS5 CONNECT client (RFC 1928, username/password auth from RFC 1929). Written here
 * rather than taken from the `socks` package because that one switches the socket to
 * flowing mode after the handshake, which drops bytes that arrive before the caller
 * attaches a reader, and has no way to be cancelled.
 */

/** Reply codes of RFC 1928 section 6, for error messages. */
export const SOCKS5_REPLIES: Readonly<Record<number, string>> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** The server's answer to a CONNECT request. */
export interface Socks5Reply {
  /** REP field: 0 = succeeded. */
  reply: number;
  /** Address the proxy bound for the tunnel (BND.ADDR), as text. */
  boundHost: string;
  /** BND.PORT. */
  boundPort: number;
}

/** 16 bytes of an IPv6 address (embedded IPv4 and `::` allowed). */
export function ipv6Bytes(ip: string): Buffer {
  const out = Buffer.alloc(16);
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const groups: number[] = [];
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  groups.push(...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** The CONNECT request for `target`: IPv4 / IPv6 literals as addresses, names for the proxy to resolve. */
export function socks5ConnectRequest(target: Endpoint): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(target.port);
  const family = net.isIP(target.host.replace(/%.*$/, ''));
  let addr: Buffer;
  if (family === 4) addr = Buffer.from([1, ...target.host.split('.').map(Number)]);
  else if (family === 6) addr = Buffer.concat([Buffer.from([4]), ipv6Bytes(target.host)]);
  else {
    const name = Buffer.from(target.host, 'utf8');
    if (name.length === 0 || name.length > 255) {
      throw new TfgwError(ErrorCodes.CONFIG, `host name "${target.host}" cannot be sent to a SOCKS5 proxy (1-255 bytes)`, { details: { host: target.host } });
    }
    addr = Buffer.concat([Buffer.from([3, name.length]), name]);
  }
  return Buffer.concat([Buffer.from([5, 1, 0]), addr, port]);
}

/** Parses the server's method choice (2 bytes). Throws TFGW_ERR_PROXY on a wrong version. */
export function parseSocks5MethodChoice(buf: Buffer): FrameParse<number> {
  if (buf.length < 2) return { complete: false };
  if (buf[0] !== 5) throw new TfgwError(ErrorCodes.PROXY, `not a SOCKS5 proxy (version byte ${buf[0]})`);
  return { complete: true, bytes: 2, value: buf[1] };
}

/** Parses the username/password status (2 bytes, RFC 1929). */
export function parseSocks5AuthStatus(buf: Buffer): FrameParse<number> {
  if (buf.length < 2) return { complete: false };
  if (buf[0] !== 1) throw new TfgwError(ErrorCodes.PROXY, `malformed SOCKS5 authentication reply (version byte ${buf[0]})`);
  return { complete: true, bytes: 2, value: buf[1] };
}

/** Parses a CONNECT reply (variable length by address type). Throws TFGW_ERR_PROXY when malformed. */
export function parseSocks5Reply(buf: Buffer): FrameParse<Socks5Reply> {
  if (buf.length < 5) return { complete: false };
  if (buf[0] !== 5) throw new TfgwError(ErrorCodes.PROXY, `malformed SOCKS5 reply (version byte ${buf[0]})`);
  const atyp = buf[3];
  let addrLen: number;
  let addrStart = 4;
  if (atyp === 1) addrLen = 4;
  else if (atyp === 4) addrLen = 16;
  else if (atyp === 3) {
    addrLen = buf[4];
    addrStart = 5;
  } else throw new TfgwError(ErrorCodes.PROXY, `malformed SOCKS5 reply (address type ${atyp})`);
  const total = addrStart + addrLen + 2;
  if (buf.length < total) return { complete: false };
  const raw = buf.subarray(addrStart, addrStart + addrLen);
  let boundHost: string;
  if (atyp === 1) boundHost = Array.from(raw).join('.');
  else if (atyp === 4) boundHost = Array.from({ length: 8 }, (_, i) => raw.readUInt16BE(i * 2).toString(16)).join(':');
  else boundHost = raw.toString('latin1');
  return { complete: true, bytes: total, value: { reply: buf[1], boundHost, boundPort: buf.readUInt16BE(total - 2) } };
}

/**
 * Asks the SOCKS5 proxy at the other end of `socket` for a tunnel to `target`. Names are
 * resolved by the proxy (like `socks5h`), which is what corporate networks expect.
 * Resolves once the tunnel is open; rejects with TFGW_ERR_PROXY (`details.reply` holds the
 * RFC 1928 reply code, `details.stage` which step failed).
 */
export async function socks5Connect(socket: Duplex, target: Endpoint, proxy: ProxySpec): Promise<void> {
  const where = describeProxy(proxy);
  const authority = formatEndpoint(target.host, target.port);
  const request = socks5ConnectRequest(target);
  const read = <T>(parse: (b: Buffer) => FrameParse<T>, stage: string): Promise<T> =>
    readFramed(
      socket,
      parse,
      () => new TfgwError(ErrorCodes.PROXY, `SOCKS5 proxy ${where} closed the connection during ${stage}`, { details: { proxy: where, stage } }),
      (err) => new TfgwError(ErrorCodes.PROXY, `SOCKS5 proxy ${where} failed during ${stage}: ${err.message}`, { cause: err, details: { proxy: where, stage } }),
    );
  const withAuth = proxy.username !== undefined || proxy.password !== undefined;
  socket.write(Buffer.from(withAuth ? [5, 2, 0, 2] : [5, 1, 0]));
  const method = await read(parseSocks5MethodChoice, 'greeting');
  if (method === 2 && withAuth) {
    const user = Buffer.from(proxy.username ?? '', 'utf8');
    const pass = Buffer.from(proxy.password ?? '', 'utf8');
    if (user.length > 255 || pass.length > 255) {
      throw new TfgwError(ErrorCodes.CONFIG, 'proxy: SOCKS5 user name and password are at most 255 bytes each', { details: { path: 'proxy' } });
    }
    socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
    const status = await read(parseSocks5AuthStatus, 'authentication');
    if (status !== 0) {
      throw new TfgwError(ErrorCodes.PROXY, `SOCKS5 proxy ${where} rejected the credentials`, { details: { proxy: where, stage: 'authentication' } });
    }
  } else if (method !== 0) {
    const why = method === 0xff ? (withAuth ? 'accepts none of our authentication methods' : 'requires authentication') : `chose unsupported method ${method}`;
    throw new TfgwError(ErrorCodes.PROXY, `SOCKS5 proxy ${where} ${why}`, { details: { proxy: where, stage: 'greeting', method } });
  }
  socket.write(request);
  const reply = await read(parseSocks5Reply, 'connect');
  if (reply.reply !== 0) {
    throw new TfgwError(ErrorCodes.PROXY, `SOCKS5 proxy ${where} refused ${authority}: ${SOCKS5_REPLIES[reply.reply] ?? `reply ${reply.reply}`}`, {
      details: { proxy: where, stage: 'connect', reply: reply.reply },
    });
  }
}
