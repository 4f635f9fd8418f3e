import { ErrorCodes, TfgwError } from '@tfgw/core';

/**
 * Where a local ingress request goes: an agent's service, or a raw `host:port` the agent
 * dials only when its allowlist allows it.
 */
export type IngressTarget = { agent: string; service: string; target?: undefined } | { agent: string; target: string; service?: undefined };

/**
 * The label that marks a raw target: `HOST._via.AGENT.<zone>:PORT`. It starts with an
 * underscore, which no service or agent name may contain, so it can never be read as
 * (part of) a service name: `SVC.AGENT.<zone>` and `HOST._via.AGENT.<zone>` never collide.
 */
export const VIA_LABEL = '_via';

/** A DNS label as services and agents use them (RFC 1123, lower case). */
const NAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A label of a raw target host (host names may carry underscores; IPv4 parts are digits). */
const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function refuse(code: string, message: string, reason: string): TfgwError {
  return new TfgwError(code, message, { details: { reason } });
}

/** Lower case, without a trailing dot. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Maps a hostname (and port) asked of a local ingress to an agent and service or raw target:
 *
 * - `AGENT.<zone>` → the agent's unnamed service (the port is ignored);
 * - `SVC.AGENT.<zone>` → the agent's service `SVC`, which may have several labels (the port is ignored);
 * - `HOST._via.AGENT.<zone>` with port P → `HOST:P` dialed by the agent, if its allowlist allows it.
 *
 * Throws a TfgwError: TFGW_ERR_TARGET_NOT_ALLOWED (`details.reason: 'outside-zone'`) for
 * anything not under the zone (IP literals included: this is not an open proxy), and
 * TFGW_ERR_BAD_MESSAGE (`details.reason: 'bad-name'`) for a malformed name under it.
 */
export function resolveIngressAddress(host: string, port: number, zone: string): IngressTarget {
  const name = normalizeName(host);
  const z = normalizeName(zone);
  if (!name.endsWith(`.${z}`) || name.length === z.length + 1) {
    throw refuse(ErrorCodes.TARGET_NOT_ALLOWED, `"${host}" is not under the zone "${z}": only SVC.AGENT.${z} and HOST.${VIA_LABEL}.AGENT.${z} are reachable (not an open proxy)`, 'outside-zone');
  }
  const labels = name.slice(0, -(z.length + 1)).split('.');
  const agent = labels.pop()!;
  if (!NAME_LABEL.test(agent)) throw refuse(ErrorCodes.BAD_MESSAGE, `"${host}": "${agent}" is not an agent name`, 'bad-name');
  if (labels.length > 0 && labels[labels.length - 1] === VIA_LABEL) {
    const hostLabels = labels.slice(0, -1);
    if (hostLabels.length === 0 || !hostLabels.every((l) => HOST_LABEL.test(l))) {
      throw refuse(ErrorCodes.BAD_MESSAGE, `"${host}": expected HOST.${VIA_LABEL}.${agent}.${z} with a host name or IPv4 address as HOST`, 'bad-name');
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw refuse(ErrorCodes.BAD_MESSAGE, `"${host}": a raw target needs a port 1-65535, got ${port}`, 'bad-name');
    return { agent, target: `${hostLabels.join('.')}:${port}` };
  }
  if (!labels.every((l) => NAME_LABEL.test(l))) throw refuse(ErrorCodes.BAD_MESSAGE, `"${host}": "${labels.join('.')}" is not a service name`, 'bad-name');
  return { agent, service: labels.join('.') };
}

/** The hostname (and port, for raw targets) that {@link resolveIngressAddress} maps back to `target`. */
export function formatIngressAddress(target: IngressTarget, zone: string): { host: string; port?: number } {
  const z = normalizeName(zone);
  if (target.target !== undefined) {
    const at = target.target.lastIndexOf(':');
    return { host: `${target.target.slice(0, at)}.${VIA_LABEL}.${target.agent}.${z}`, port: Number(target.target.slice(at + 1)) };
  }
  return { host: target.service ? `${target.service}.${target.agent}.${z}` : `${target.agent}.${z}` };
}

/** A short text for logs: `agent/service` or `agent->host:port`. */
export function describeTarget(t: IngressTarget): string {
  return t.target !== undefined ? `${t.agent}->${t.target}` : `${t.agent}/${t.service || '(agent name)'}`;
}
