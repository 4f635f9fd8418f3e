import net from 'node:net';
import { ErrorCodes, TfgwError } from '../errors';
import { cidrContains, globMatch, parseCidr, type Cidr } from '../match';
import { parsePortRange } from '../ports';

/** One parsed `--allow` rule: a host glob or CIDR, and a port range. */
interface AllowRule {
  cidr?: Cidr;
  hostGlob?: string;
  from: number;
  to: number;
}

/**
 * Targets an agent may dial for clients beyond its own services: `host:port`,
 * `host:from-to`, `host:*`, `10.0.0.0/8:443`, `*.internal:5432`. Empty = services only.
 */
export class Allowlist {
  private readonly rules: AllowRule[];

  constructor(specs: readonly string[], configKey = 'agent.allow') {
    this.rules = specs.map((spec, i) => {
      const at = spec.lastIndexOf(':');
      if (at <= 0) throw new TfgwError(ErrorCodes.CONFIG, `${configKey}[${i}]: expected "host:port", "host:from-to" or "cidr:port", got "${spec}"`);
      let host = spec.slice(0, at);
      const portSpec = spec.slice(at + 1);
      if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
      let from = 1;
      let to = 65535;
      if (portSpec !== '*') {
        try {
          [from, to] = parsePortRange(portSpec);
        } catch (err) {
          throw new TfgwError(ErrorCodes.CONFIG, `${configKey}[${i}]: bad port "${portSpec}" in "${spec}"`, { cause: err });
        }
      }
      if (host.includes('/') || net.isIP(host)) {
        try {
          return { cidr: parseCidr(host), from, to };
        } catch (err) {
          throw new TfgwError(ErrorCodes.CONFIG, `${configKey}[${i}]: bad address "${host}"`, { cause: err });
        }
      }
      return { hostGlob: host.toLowerCase(), from, to };
    });
  }

  /** Is `host:port` allowed? */
  allows(host: string, port: number): boolean {
    const h = host.toLowerCase();
    return this.rules.some((r) => port >= r.from && port <= r.to && (r.cidr ? cidrContains(r.cidr, h) : globMatch(r.hostGlob!, h)));
  }
}
