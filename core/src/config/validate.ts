import net from 'node:net';
import { ErrorCodes, TfgwError } from '../errors';
import { parseHostPort } from '../match';
import { parsePortRange } from '../ports';
import type { TfgwConfig } from './types';

/** One problem in a config: the dotted path of the key and what is wrong with it. */
export interface ConfigProblem {
  /** e.g. `transports[1].listen`. */
  path: string;
  /** What is wrong. */
  message: string;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const DOMAIN = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

/** A small path-aware checker so every message names its key. */
class Checker {
  readonly problems: ConfigProblem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  type(path: string, v: unknown, kind: 'string' | 'number' | 'boolean' | 'object' | 'array'): boolean {
    const ok = kind === 'array' ? Array.isArray(v) : kind === 'object' ? isObj(v) : typeof v === kind;
    if (!ok) this.add(path, `expected ${kind === 'array' ? 'an array' : kind === 'object' ? 'an object' : `a ${kind}`}, got ${show(v)}`);
    return ok;
  }
  optional(path: string, v: unknown, kind: 'string' | 'number' | 'boolean' | 'object' | 'array'): boolean {
    return v === undefined ? false : this.type(path, v, kind);
  }
  positiveInt(path: string, v: unknown): void {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0)) this.add(path, `expected a non-negative integer, got ${show(v)}`);
  }
  hostPort(path: string, v: unknown): void {
    if (!this.type(path, v, 'string')) return;
    try {
      parseHostPort(v as string, path);
    } catch {
      this.add(path, `expected "host:port", got ${show(v)}`);
    }
  }
  url(path: string, v: unknown): void {
    if (!this.type(path, v, 'string')) return;
    try {
      const u = new URL(v as string);
      if (!u.hostname || !u.port) this.add(path, `expected a URL with host and port like "tcp://host:7000", got ${show(v)}`);
    } catch {
      this.add(path, `expected a URL like "tcp://host:7000", got ${show(v)}`);
    }
  }
  range(path: string, v: unknown): void {
    if (!this.type(path, v, 'string')) return;
    try {
      parsePortRange(v as string);
    } catch {
      this.add(path, `expected a port or "from-to" within 1-65535, got ${show(v)}`);
    }
  }
  pluginEntries(path: string, v: unknown): void {
    if (!this.optional(path, v, 'array')) return;
    (v as unknown[]).forEach((e, i) => {
      const p = `${path}[${i}]`;
      if (typeof e === 'string') return;
      if (Array.isArray(e)) {
        if (typeof e[0] !== 'string') this.add(`${p}[0]`, `expected a plugin name, package or path, got ${show(e[0])}`);
        if (e.length > 1 && e[1] !== undefined && !isObj(e[1])) this.add(`${p}[1]`, `expected an options object, got ${show(e[1])}`);
        if (e.length > 2) this.add(p, 'expected [name, options]');
        return;
      }
      if (isObj(e) && typeof e.name === 'string' && typeof e.apply === 'function') return;
      this.add(p, `expected "name", ["name", { options }] or a plugin object with name and apply(), got ${show(e)}`);
    });
  }
}

/**
 * Checks the shape of a config. Plugin-specific options are checked by each plugin's factory.
 * Returns every problem found; {@link assertValidConfig} throws them as one TFGW_ERR_CONFIG.
 */
export function validateConfig(config: unknown): ConfigProblem[] {
  const c = new Checker();
  if (!isObj(config)) {
    c.add('(root)', `expected an object (module.exports = { ... }), got ${show(config)}`);
    return c.problems;
  }
  const known = ['zone', 'dataDir', 'log', 'session', 'gateway', 'agent', 'client', 'transports', 'plugins'];
  for (const k of Object.keys(config)) if (!known.includes(k)) c.add(k, `unknown key (known: ${known.join(', ')})`);
  if (c.optional('zone', config.zone, 'string') && !DOMAIN.test(config.zone as string)) c.add('zone', `expected a domain name, got ${show(config.zone)}`);
  c.optional('dataDir', config.dataDir, 'string');
  if (c.optional('log', config.log, 'object')) {
    const log = config.log as Record<string, unknown>;
    if (log.level !== undefined && !LEVELS.includes(String(log.level))) c.add('log.level', `expected one of ${LEVELS.join(', ')}, got ${show(log.level)}`);
  }
  if (c.optional('session', config.session, 'object')) {
    const s = config.session as Record<string, unknown>;
    for (const k of ['initialWindow', 'maxWindow', 'keepaliveMs', 'keepaliveTimeoutMs']) c.positiveInt(`session.${k}`, s[k]);
    if (typeof s.initialWindow === 'number' && s.initialWindow < 256 * 1024) c.add('session.initialWindow', 'must be at least 262144 (the yamux initial window)');
  }
  if (c.optional('gateway', config.gateway, 'object')) {
    const g = config.gateway as Record<string, unknown>;
    if (c.optional('gateway.zones', g.zones, 'array')) (g.zones as unknown[]).forEach((z, i) => { if (typeof z !== 'string' || !DOMAIN.test(z)) c.add(`gateway.zones[${i}]`, `expected a domain name, got ${show(z)}`); });
    if (c.optional('gateway.publicAddresses', g.publicAddresses, 'array')) (g.publicAddresses as unknown[]).forEach((a, i) => { if (typeof a !== 'string' || !net.isIP(a)) c.add(`gateway.publicAddresses[${i}]`, `expected an IP address, got ${show(a)}`); });
    c.optional('gateway.publicHost', g.publicHost, 'string');
    if (c.optional('gateway.tokens', g.tokens, 'array')) {
      (g.tokens as unknown[]).forEach((t, i) => {
        const p = `gateway.tokens[${i}]`;
        if (!c.type(p, t, 'object')) return;
        const tok = t as Record<string, unknown>;
        if (typeof tok.token !== 'string' || tok.token.length === 0) c.add(`${p}.token`, `expected a non-empty string, got ${show(tok.token)}`);
        if (tok.role !== 'agent' && tok.role !== 'client') c.add(`${p}.role`, `expected "agent" or "client", got ${show(tok.role)}`);
        for (const k of ['names', 'agents', 'services']) if (c.optional(`${p}.${k}`, tok[k], 'array')) (tok[k] as unknown[]).forEach((x, j) => { if (typeof x !== 'string') c.add(`${p}.${k}[${j}]`, `expected a string, got ${show(x)}`); });
        if (c.optional(`${p}.ports`, tok.ports, 'array')) (tok.ports as unknown[]).forEach((x, j) => c.range(`${p}.ports[${j}]`, x));
      });
    }
    if (c.optional('gateway.ports', g.ports, 'object')) {
      const ports = g.ports as Record<string, unknown>;
      if (ports.tcp !== undefined) c.range('gateway.ports.tcp', ports.tcp);
      if (ports.udp !== undefined) c.range('gateway.ports.udp', ports.udp);
    }
    c.positiveInt('gateway.graceMs', g.graceMs);
    c.positiveInt('gateway.drainMs', g.drainMs);
    if (c.optional('gateway.limits', g.limits, 'object')) {
      const l = g.limits as Record<string, unknown>;
      for (const k of Object.keys(l)) c.positiveInt(`gateway.limits.${k}`, l[k]);
    }
    if (c.optional('gateway.visitors', g.visitors, 'object')) {
      const v = g.visitors as Record<string, unknown>;
      for (const k of ['allow', 'deny']) if (c.optional(`gateway.visitors.${k}`, v[k], 'array')) (v[k] as unknown[]).forEach((x, i) => { if (typeof x !== 'string' || !net.isIP(String(x).split('/')[0])) c.add(`gateway.visitors.${k}[${i}]`, `expected an IP or CIDR, got ${show(x)}`); });
    }
  }
  if (c.optional('agent', config.agent, 'object')) {
    const a = config.agent as Record<string, unknown>;
    c.url('agent.server', a.server);
    if (typeof a.name !== 'string' || !LABEL.test(a.name)) c.add('agent.name', `expected a DNS label (a-z, 0-9, -), got ${show(a.name)}`);
    c.optional('agent.token', a.token, 'string');
    if (c.optional('agent.services', a.services, 'array')) {
      (a.services as unknown[]).forEach((s, i) => {
        const p = `agent.services[${i}]`;
        if (!c.type(p, s, 'object')) return;
        const svc = s as Record<string, unknown>;
        if (svc.name !== undefined && (typeof svc.name !== 'string' || (svc.name !== '' && !svc.name.split('.').every((l) => LABEL.test(l))))) c.add(`${p}.name`, `expected a DNS name, got ${show(svc.name)}`);
        if (typeof svc.protocol !== 'string' || !/^[a-z0-9-]{1,32}$/.test(svc.protocol)) c.add(`${p}.protocol`, `expected a protocol like "tcp", "udp", "http", got ${show(svc.protocol)}`);
        c.hostPort(`${p}.target`, svc.target);
        if (svc.port !== undefined && (!Number.isInteger(svc.port) || (svc.port as number) < 1 || (svc.port as number) > 65535)) c.add(`${p}.port`, `expected a port 1-65535, got ${show(svc.port)}`);
      });
    }
    if (c.optional('agent.allow', a.allow, 'array')) (a.allow as unknown[]).forEach((x, i) => { if (typeof x !== 'string' || x.lastIndexOf(':') <= 0) c.add(`agent.allow[${i}]`, `expected "host:port", "host:from-to" or "cidr:port", got ${show(x)}`); });
  }
  if (c.optional('client', config.client, 'object')) {
    const cl = config.client as Record<string, unknown>;
    c.url('client.server', cl.server);
    c.optional('client.token', cl.token, 'string');
  }
  c.pluginEntries('transports', config.transports);
  c.pluginEntries('plugins', config.plugins);
  return c.problems;
}

/** Throws one TFGW_ERR_CONFIG naming every problem (`details.problems`), first one in the message. */
export function assertValidConfig(config: unknown, source = 'config'): asserts config is TfgwConfig {
  const problems = validateConfig(config);
  if (problems.length === 0) return;
  const lines = problems.map((p) => `${p.path}: ${p.message}`);
  throw new TfgwError(ErrorCodes.CONFIG, `${source}: ${lines.join('; ')}`, { details: { path: problems[0].path, problems } });
}
