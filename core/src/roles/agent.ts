import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { AgentConfig, AgentServiceConfig, TfgwConfig } from '../config/types';
import { resolveLimits } from '../config/defaults';
import { ErrorCodes, TfgwError, asTfgwError } from '../errors';
import { CORE_STAGE, type StreamContext } from '../hooks';
import { parseHostPort } from '../match';
import type { MuxedStream } from '../muxer';
import type { RoleLifecycle, TfgwNode } from '../node';
import { startSplice } from '../pipe';
import { acceptStream, readStreamHeader, refuseStream } from '../protocol/data-stream';
import type { RegisteredMessage } from '../protocol/messages';
import type { StreamHeader } from '../session-info';
import type { AgentApi } from './api';
import { Allowlist } from './allowlist';
import type { GatewayConnection } from './dialer';
import { Reconnector } from './reconnector';

const noop = (): void => undefined;

/** Protocols whose streams are plain bytes to a TCP target; the core pipes them by default. */
const BYTE_PROTOCOLS = ['tcp', 'http', 'ws', 'tls'];

/** A service as the agent knows it: where to dial. */
interface LocalService {
  name: string;
  protocol: string;
  host: string;
  port: number;
  demandPort?: number;
  options: Record<string, unknown>;
}

/**
 * The agent role: keeps a session to the gateway, registers its services (asking for the
 * ports it had before), and serves each incoming stream by dialing only its own services or
 * its allowlist. Emits `'published'` (RegisteredMessage) after each registration and the
 * Reconnector's state events (`connecting`, `connected`, `retry`, `fatal`).
 */
export class Agent extends EventEmitter implements AgentApi, RoleLifecycle {
  readonly name: string;
  readonly published = new Map<string, string>();
  private services: LocalService[];
  private allowlist: Allowlist;
  private reconnector: Reconnector;
  private cfg: AgentConfig;
  private readonly assignedPorts = new Map<string, number>();
  private readonly maxHeaderBytes: number;
  private nextRegisterId = 1;

  constructor(private readonly node: TfgwNode, cfg: AgentConfig) {
    super();
    this.cfg = cfg;
    this.name = cfg.name.toLowerCase();
    this.services = Agent.localServices(cfg);
    this.allowlist = new Allowlist(cfg.allow ?? []);
    this.maxHeaderBytes = resolveLimits(node.config.gateway?.limits).controlMessageBytes;
    this.reconnector = this.makeReconnector(cfg);
    this.tapDefaults();
    node.addLifecycle(this);
  }

  private static localServices(cfg: AgentConfig): LocalService[] {
    return (cfg.services ?? []).map((s: AgentServiceConfig, i) => {
      const t = parseHostPort(s.target, `agent.services[${i}].target`);
      return { name: (s.name ?? '').toLowerCase(), protocol: s.protocol, host: t.host === '0.0.0.0' ? '127.0.0.1' : t.host, port: t.port, demandPort: s.port, options: s.options ?? {} };
    });
  }

  private makeReconnector(cfg: AgentConfig): Reconnector {
    const r = new Reconnector(this.node, {
      server: cfg.server,
      token: cfg.token ?? process.env.TFGW_TOKEN ?? '',
      role: 'agent',
      name: this.name,
      transport: cfg.transport,
      minDelayMs: cfg.reconnect?.minDelayMs,
      maxDelayMs: cfg.reconnect?.maxDelayMs,
    });
    for (const ev of ['connecting', 'retry', 'fatal', 'disconnected']) r.on(ev, (a) => this.emit(ev, a));
    r.on('connected', (c: GatewayConnection) => this.onConnected(c));
    return r;
  }

  /**
   * Takes a reloaded config: a new allowlist applies at once; services the new config drops,
   * or whose demanded port or options changed, are unregistered on the live session, then
   * the new list is registered (a changed target needs nothing on the gateway); a changed
   * server, token or transport reconnects. The agent's name cannot change without a restart.
   */
  async reconfigure(config: TfgwConfig): Promise<void> {
    const next = config.agent;
    if (!next || JSON.stringify(next) === JSON.stringify(this.cfg)) return;
    const reconnect = next.server !== this.cfg.server || next.token !== this.cfg.token || JSON.stringify(next.transport) !== JSON.stringify(this.cfg.transport);
    this.allowlist = new Allowlist(next.allow ?? []);
    const key = (s: LocalService) => `${s.name}/${s.protocol}`;
    const nextServices = Agent.localServices(next);
    const after = new Map(nextServices.map((s) => [key(s), s]));
    const changed = this.services.filter((s) => {
      const n = after.get(key(s));
      return !n || n.demandPort !== s.demandPort || JSON.stringify(n.options) !== JSON.stringify(s.options);
    });
    for (const s of changed) {
      if (after.has(key(s))) continue;
      this.assignedPorts.delete(key(s));
      this.published.delete(key(s));
    }
    this.services = nextServices;
    this.cfg = next;
    if (reconnect) {
      await this.reconnector.stop(0);
      this.reconnector = this.makeReconnector(next);
      this.reconnector.start();
    } else if (this.reconnector.current) {
      const conn = this.reconnector.current;
      if (changed.length) {
        conn.control.send({ t: 'unregister', id: this.nextRegisterId++, services: changed.map((s) => ({ name: s.name, protocol: s.protocol })) });
        this.node.log.info({ services: changed.map(key) }, 'services unregistered');
      }
      void this.register(conn);
    }
  }

  /**
   * The core default for byte protocols, a late tap: dial the target and pipe. Other
   * protocols (udp, third-party ones) have no default: without a plugin's tap their streams
   * are refused with TFGW_ERR_UNKNOWN_PROTOCOL instead of being piped as bytes.
   */
  private tapDefaults(): void {
    const byteDefault = (stream: MuxedStream, header: StreamHeader) => this.pipeToTarget(stream, header).then(() => true as const);
    for (const p of BYTE_PROTOCOLS) this.node.hooks.stream.for(p).tapPromise({ name: 'core:dial', stage: CORE_STAGE }, byteDefault);
  }

  async start(): Promise<void> {
    this.reconnector.start();
  }

  async stop(drainMs: number): Promise<void> {
    await this.reconnector.stop(drainMs);
  }

  /** Resolves when the agent is connected and registered (for tests and library use). */
  whenPublished(timeoutMs = 10000): Promise<RegisteredMessage> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new TfgwError(ErrorCodes.TIMEOUT, 'agent not registered in time')), timeoutMs);
      this.once('published', (m: RegisteredMessage) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  private async onConnected(conn: GatewayConnection): Promise<void> {
    this.node.log.info({ gateway: conn.welcome.sessionId, fqdn: conn.welcome.fqdn }, 'agent connected');
    conn.session.on('stream', (s: MuxedStream) => this.onStream(s, conn.welcome.sessionId));
    await this.register(conn);
  }

  private async register(conn: GatewayConnection): Promise<void> {
    const log = this.node.log;
    const id = this.nextRegisterId++;
    conn.control.send({
      t: 'register',
      id,
      services: this.services.map((s) => ({
        name: s.name,
        protocol: s.protocol,
        ...(s.demandPort !== undefined ? { port: s.demandPort } : {}),
        ...(this.assignedPorts.has(`${s.name}/${s.protocol}`) ? { portHint: this.assignedPorts.get(`${s.name}/${s.protocol}`) } : {}),
        options: s.options,
      })),
    });
    let answer: RegisteredMessage;
    try {
      answer = (await conn.control.next('registered', 30000)) as RegisteredMessage;
    } catch (err) {
      log.warn({ err }, 'registration got no answer');
      conn.session.close(asTfgwError(err));
      return;
    }
    for (const r of answer.routes) {
      if (r.port) this.assignedPorts.set(`${r.service}/${r.protocol}`, r.port);
      this.published.set(`${r.service}/${r.protocol}`, r.url);
    }
    for (const e of answer.errors) log.error({ service: e.service, protocol: e.protocol, code: e.code }, `service not registered: ${e.message}`);
    this.emit('published', answer);
  }

  private async onStream(stream: MuxedStream, sessionId: string): Promise<void> {
    let header: StreamHeader;
    try {
      header = await readStreamHeader(stream, this.maxHeaderBytes);
    } catch {
      stream.reset();
      return;
    }
    const ctx: StreamContext = { sessionId, role: 'agent' };
    try {
      const hook = this.node.hooks.stream.get(header.protocol);
      const handled = hook ? await hook.promise(stream, header, ctx) : undefined;
      if (!handled) throw new TfgwError(ErrorCodes.UNKNOWN_PROTOCOL, `agent "${this.name}" has no handler for ${header.protocol} streams`);
    } catch (err) {
      const e = asTfgwError(err, ErrorCodes.SERVICE_UNREACHABLE);
      this.node.log.warn({ code: e.code, protocol: header.protocol, service: header.service, target: header.target }, `stream failed: ${e.message}`);
      refuseStream(stream, e);
    }
  }

  /** The core default for byte protocols: dial the target and pipe. */
  private async pipeToTarget(stream: MuxedStream, header: StreamHeader): Promise<void> {
    const target = this.resolveTarget(header);
    const socket = await this.dialTarget(target.host, target.port);
    acceptStream(stream);
    // The stream is handled once it is spliced: nothing waits for it to end, so an idle
    // tunnelled connection keeps no promise or suspended hook call alive.
    startSplice(stream, socket);
  }

  /**
   * Connects to a service (Nagle off). Both listeners go once the attempt is decided, so an
   * open connection keeps none of them (thousands of idle streams are the normal case).
   */
  private dialTarget(host: string, port: number): Promise<net.Socket> {
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
      const onConnect = () => {
        // A shared no-op keeps an error between here and the splice from being unhandled.
        socket.removeListener('error', onError);
        socket.on('error', noop);
        socket.setNoDelay(true);
        resolve(socket);
      };
      const onError = (err: NodeJS.ErrnoException) => {
        socket.removeListener('connect', onConnect);
        reject(new TfgwError(ErrorCodes.SERVICE_UNREACHABLE, `agent "${this.name}" cannot reach ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
    });
  }

  resolveTarget(header: StreamHeader): { host: string; port: number; protocol: string } {
    if (header.service !== undefined) {
      const name = header.service.toLowerCase();
      const candidates = this.services.filter((s) => s.name === name);
      const exact = candidates.find((s) => s.protocol === header.protocol);
      const compatible = exact ?? (header.protocol !== 'udp' ? candidates.find((s) => s.protocol !== 'udp') : undefined);
      if (!compatible) {
        this.node.log.warn({ service: header.service, protocol: header.protocol }, 'refused: no such service');
        throw new TfgwError(ErrorCodes.UNKNOWN_SERVICE, `agent "${this.name}" has no ${header.protocol} service "${header.service}"`);
      }
      return { host: compatible.host, port: compatible.port, protocol: compatible.protocol };
    }
    if (header.target !== undefined) {
      let t: { host: string; port: number };
      try {
        t = parseHostPort(header.target, 'target');
      } catch (err) {
        throw new TfgwError(ErrorCodes.BAD_MESSAGE, `bad target "${header.target}"`, { cause: err });
      }
      const own = this.services.some((s) => s.host === t.host && s.port === t.port);
      if (!own && !this.allowlist.allows(t.host, t.port)) {
        this.node.log.warn({ target: header.target, from: header.visitor }, 'refused: target is not on this agent\'s allowlist');
        throw new TfgwError(ErrorCodes.TARGET_NOT_ALLOWED, `agent "${this.name}" does not allow ${header.target}`);
      }
      return { host: t.host, port: t.port, protocol: header.protocol };
    }
    throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'stream names neither a service nor a target');
  }
}
