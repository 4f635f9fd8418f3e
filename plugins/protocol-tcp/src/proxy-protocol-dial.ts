import net from 'node:net';
import { ErrorCodes, TfgwError, acceptStream, startSplice, type AgentApi, type AgentServiceConfig, type Logger, type MuxedStream, type StreamHeader } from '@tfgw/core';
import { parseIpPort } from './address';
import { readProxyProtocol } from './options';
import { encodeProxyHeader, type ProxyAddress } from './proxy-protocol';

/** The agent's own services with the PROXY protocol version each asks for (if any). */
export interface ProxiedServices {
  /** The version for the service a stream header names, chosen as `agent.resolveTarget` chooses it. */
  versionFor(header: StreamHeader): { version: 1 | 2; key: string } | undefined;
  /** True when no service asks for PROXY protocol (the stream tap then does nothing). */
  readonly none: boolean;
}

/**
 * Reads `agent.services[i].options.proxyProtocol` of every service; a bad value throws
 * TFGW_ERR_CONFIG naming the key. The lookup mirrors the core's target choice: the service
 * of that name and protocol, else (for a non-UDP stream, e.g. a client's `tcp` stream to a
 * `tls` service) the first non-UDP service of that name.
 */
export function proxyProtocolServices(services: readonly AgentServiceConfig[] | undefined): ProxiedServices {
  const list = (services ?? []).map((s, i) => ({
    name: (s.name ?? '').toLowerCase(),
    protocol: s.protocol,
    version: readProxyProtocol(s.options, `agent.services[${i}].options.proxyProtocol`),
  }));
  const none = list.every((s) => s.version === undefined);
  return {
    none,
    versionFor(header) {
      if (none || header.service === undefined) return undefined;
      const name = header.service.toLowerCase();
      const candidates = list.filter((s) => s.name === name);
      const svc = candidates.find((s) => s.protocol === header.protocol) ?? (header.protocol !== 'udp' ? candidates.find((s) => s.protocol !== 'udp') : undefined);
      return svc?.version === undefined ? undefined : { version: svc.version, key: `${svc.name}/${svc.protocol}` };
    },
  };
}

/** The gateway address the visitor reached, from the published URL when it names an IP. */
function publishedAddress(agent: AgentApi, key: string): ProxyAddress | undefined {
  const url = agent.published.get(key);
  if (!url) return undefined;
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    return net.isIP(host) && u.port ? { address: host, port: Number(u.port) } : undefined;
  } catch {
    return undefined;
  }
}

function connect(host: string, port: number, agentName: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new TfgwError(ErrorCodes.SERVICE_UNREACHABLE, `agent "${agentName}" cannot reach ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Serves a stream for a service that asked for PROXY protocol: dials the service, writes
 * the v1 / v2 header (source = the visitor from the stream header, destination = the
 * gateway's public address when the service's URL names an IP, else the service's own
 * address; v2 adds the SNI / Host as an AUTHORITY TLV), accepts the stream and splices.
 * Resolves once the splice has started (the stream is handled), not when it ends.
 */
export async function dialWithProxyHeader(agent: AgentApi, stream: MuxedStream, header: StreamHeader, version: 1 | 2, key: string, log: Logger): Promise<true> {
  const target = agent.resolveTarget(header);
  const socket = await connect(target.host, target.port, agent.name);
  const source = parseIpPort(header.visitor);
  const destination = publishedAddress(agent, key) ?? { address: socket.remoteAddress ?? target.host, port: socket.remotePort ?? target.port };
  let preamble: Buffer;
  try {
    preamble = encodeProxyHeader(version, { source, destination: source ? destination : undefined, authority: header.hostname });
  } catch (err) {
    log.warn({ code: (err as TfgwError).code, visitor: header.visitor }, `PROXY header without addresses: ${(err as Error).message}`);
    preamble = encodeProxyHeader(version, {});
  }
  socket.write(preamble);
  acceptStream(stream);
  startSplice(stream, socket);
  return true;
}
