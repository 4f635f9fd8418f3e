import net from 'node:net';
import type { TfgwNode } from '../node';
import { normalizeName } from './names';

/** What DNS needs to know about the gateway: its zones and public addresses. */
export interface GatewayDnsFacts {
  /** Authoritative zones, normalised. */
  zones: string[];
  /** IPv4 addresses answered for tunnel names. */
  ipv4: string[];
  /** IPv6 addresses answered for tunnel names. */
  ipv6: string[];
}

/**
 * Zones and public addresses from `node.gateway` when the gateway role runs, else from the
 * config (`gateway.zones` / `zone`, `gateway.publicAddresses`), with the documented defaults
 * (`tfgw.localhost`, `127.0.0.1`).
 */
export function gatewayDnsFacts(node: TfgwNode): GatewayDnsFacts {
  const gw = node.gateway;
  const cfg = node.config;
  const zones = (gw?.zones ?? cfg.gateway?.zones ?? [cfg.zone ?? 'tfgw.localhost']).map(normalizeName);
  let ipv4: string[];
  let ipv6: string[];
  if (gw) {
    ipv4 = [...gw.publicAddresses.ipv4];
    ipv6 = [...gw.publicAddresses.ipv6];
  } else {
    const addrs = cfg.gateway?.publicAddresses ?? ['127.0.0.1'];
    ipv4 = addrs.filter((a) => net.isIPv4(a));
    ipv6 = addrs.filter((a) => net.isIPv6(a));
  }
  return { zones: [...new Set(zones)], ipv4, ipv6 };
}
