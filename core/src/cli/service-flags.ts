import { ErrorCodes, TfgwError } from '../errors';
import type { AgentServiceConfig } from '../config/types';
import { parseHostPort } from '../match';

/**
 * Parses `--http [SVC=]ADDR`, `--tcp [SVC=]ADDR[@PORT]`, `--udp [SVC=]ADDR[@PORT]`.
 * ADDR is `host:port` or a bare port (localhost). Throws TFGW_ERR_CONFIG naming the flag.
 */
export function parseServiceFlag(protocol: string, value: string): AgentServiceConfig {
  const flag = `--${protocol}`;
  const m = /^(?:([A-Za-z0-9][A-Za-z0-9.-]*)=)?([^@=]+?)(?:@(\d{1,5}))?$/.exec(value.trim());
  if (!m) throw new TfgwError(ErrorCodes.CONFIG, `${flag}: expected [SVC=]ADDR${protocol === 'http' || protocol === 'tls' ? '' : '[@PORT]'}, got "${value}"`, { details: { path: flag } });
  const [, name, addr, port] = m;
  let target: { host: string; port: number };
  try {
    target = parseHostPort(addr, flag, '127.0.0.1');
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, `${flag}: expected ADDR as host:port or port, got "${addr}"`, { cause: err, details: { path: flag } });
  }
  if (target.port === 0) throw new TfgwError(ErrorCodes.CONFIG, `${flag}: port 0 is not a service port`, { details: { path: flag } });
  if (port !== undefined && (protocol === 'http' || protocol === 'tls')) throw new TfgwError(ErrorCodes.CONFIG, `${flag}: ${protocol.toUpperCase()} services are routed by name; @PORT is for --tcp and --udp`, { details: { path: flag } });
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return {
    name: (name ?? '').toLowerCase(),
    protocol,
    target: `${host}:${target.port}`,
    ...(port !== undefined ? { port: Number(port) } : {}),
  };
}

/** A `--forward LOCAL=AGENT/SVC[/udp]` or `LOCAL=AGENT/HOST:PORT[/udp]`. */
export interface ForwardSpec {
  /** Local `host:port` to listen on. */
  listen: string;
  /** Agent name. */
  agent: string;
  /** Service name, or undefined when `target` is set. */
  service?: string;
  /** Raw `host:port` on the agent's side (must be on its allowlist). */
  target?: string;
  /** tcp or udp. */
  protocol: 'tcp' | 'udp';
}

/** Parses `--forward LOCAL=AGENT/SVC[/udp]`. */
export function parseForwardFlag(value: string): ForwardSpec {
  const m = /^(.+?)=([a-z0-9-]+)\/([^/]+)(?:\/(tcp|udp))?$/i.exec(value.trim());
  if (!m) throw new TfgwError(ErrorCodes.CONFIG, `--forward: expected LOCAL=AGENT/SVC[/udp], got "${value}"`, { details: { path: '--forward' } });
  const [, local, agent, what, proto] = m;
  let listen: { host: string; port: number };
  try {
    listen = parseHostPort(local, '--forward', '127.0.0.1');
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, `--forward: LOCAL must be host:port or a port, got "${local}"`, { cause: err, details: { path: '--forward' } });
  }
  const isTarget = what.includes(':');
  return {
    listen: `${listen.host}:${listen.port}`,
    agent: agent.toLowerCase(),
    ...(isTarget ? { target: what } : { service: what.toLowerCase() }),
    protocol: (proto?.toLowerCase() as 'tcp' | 'udp') ?? 'tcp',
  };
}
