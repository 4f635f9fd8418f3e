import net from 'node:net';
import type { ProxyAddress } from './proxy-protocol';

/**
 * Parses a stream header's `visitor` (`ip:port`, `[v6]:port`, or the bare `v6:port` the
 * gateway writes) into an address; undefined when it is not an IP and port.
 */
export function parseIpPort(text: string | undefined): ProxyAddress | undefined {
  if (!text) return undefined;
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else {
    const i = text.lastIndexOf(':');
    if (i <= 0) return undefined;
    host = text.slice(0, i);
    portText = text.slice(i + 1);
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535 || net.isIP(host) === 0) return undefined;
  return { address: host, port };
}
