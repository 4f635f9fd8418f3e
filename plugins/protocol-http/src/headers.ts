import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { appendForwarded, forwardedNode, plainAddress } from './forwarded';
import { applyHeaderChanges, type HeaderChange } from './route-options';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus ones the ingress answers itself. */
const HOP_BY_HOP_SET = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect']);
/** Headers the ingress sets itself. */
const FORWARDING_SET = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded']);
const RESPONSE_HOP_BY_HOP_SET = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'trailer', 'upgrade']);

/** What the ingress knows about a request, for the headers it adds. */
export interface ForwardingFacts {
  /** Visitor IP address. */
  address: string;
  /** Scheme the visitor used. */
  proto: 'http' | 'https';
  /** Keep and extend forwarding headers the visitor sent (a trusted proxy is in front). */
  trust: boolean;
  /** An Upgrade request: keep `Connection: upgrade` and `Upgrade`. */
  upgrade: boolean;
  /** Drop `Authorization` (the gateway consumed it for the route's basic auth). */
  dropAuthorization: boolean;
  /** The route's request header changes, applied last. */
  changes: readonly HeaderChange[];
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * The headers to send to the service for a visitor's request: hop-by-hop headers removed
 * (and those named in `Connection`), `X-Forwarded-For`, `X-Forwarded-Proto`,
 * `X-Forwarded-Host` and `Forwarded` (RFC 7239) set, then the route's changes applied.
 * The Host header is kept as the visitor sent it.
 */
export function outgoingRequestHeaders(incoming: IncomingHttpHeaders, facts: ForwardingFacts): OutgoingHttpHeaders {
  // Built key by key (no `delete`: objects stay fast in V8 on this per-request path).
  let drop: Set<string> | undefined;
  const connection = first(incoming.connection);
  if (connection) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && name !== 'host' && !(facts.upgrade && name === 'upgrade')) (drop ??= new Set()).add(name);
    }
  }
  const out: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders;
  for (const key in incoming) {
    if (HOP_BY_HOP_SET.has(key) || FORWARDING_SET.has(key) || drop?.has(key)) continue;
    if (facts.dropAuthorization && key === 'authorization') continue;
    out[key] = incoming[key];
  }
  if (facts.upgrade) {
    out.connection = 'upgrade';
    if (incoming.upgrade !== undefined) out.upgrade = incoming.upgrade;
  }
  const address = plainAddress(facts.address);
  const host = incoming.host;
  const prevFor = facts.trust ? first(incoming['x-forwarded-for']) : undefined;
  out['x-forwarded-for'] = prevFor ? `${prevFor}, ${address}` : address;
  out['x-forwarded-proto'] = (facts.trust && first(incoming['x-forwarded-proto'])) || facts.proto;
  const fwdHost = (facts.trust && first(incoming['x-forwarded-host'])) || host;
  if (fwdHost !== undefined) out['x-forwarded-host'] = fwdHost;
  out.forwarded = appendForwarded(facts.trust ? first(incoming.forwarded) : undefined, {
    for: forwardedNode(address),
    ...(host !== undefined ? { host } : {}),
    proto: facts.proto,
  });
  if (facts.changes.length > 0) applyHeaderChanges(out as Record<string, string | string[] | number | undefined>, facts.changes);
  return out;
}

/** Removes hop-by-hop headers from a response's headers (for responses relayed by hand). */
export function stripResponseHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  let drop: Set<string> | undefined;
  const connection = first(headers.connection);
  if (connection) for (const token of connection.split(',')) (drop ??= new Set()).add(token.trim().toLowerCase());
  const out: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders;
  for (const key in headers) {
    if (RESPONSE_HOP_BY_HOP_SET.has(key) || drop?.has(key)) continue;
    out[key] = headers[key];
  }
  return out;
}
