import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { NameClaim, Principal } from '../auth';
import type { GatewayConfig } from '../config/types';
import { DEFAULT_ZONE, resolveLimits, resolveSession } from '../config/defaults';
import { ErrorCodes, TfgwError, asTfgwError } from '../errors';
import { CORE_STAGE, callHook, isRejection, type Rejection } from '../hooks';
import { anyGlob, cidrContains, parseCidr } from '../match';
import type { MuxedSession, MuxedStream } from '../muxer';
import type { TfgwNode, RoleLifecycle } from '../node';
import { startSplice, type SpliceResult } from '../pipe';
import { PortPool, portInRanges } from '../ports';
import { ControlChannel } from '../protocol/control-channel';
import { acceptStream, openDataStream, readStreamHeader, refuseStream } from '../protocol/data-stream';
import { PROTOCOL_VERSIONS, type HelloMessage, type RegisterMessage, type RegisteredMessage, type UnregisterMessage, type UnregisteredMessage } from '../protocol/messages';
import type { Route, ServiceSpec, VisitorInfo } from '../route';
import { createSession } from '../session';
import type { SessionInfo } from '../session-info';
import type { TransportConnection, TransportListener } from '../transport';
import type { TransportEntry } from '../registry';
import type { ReloadResult } from '../node';
import type { TfgwConfig } from '../config/types';
import { tokenId } from './token-auth';
import type { GatewayApi } from './api';
import type { PeerSession } from './peer-session';
import { RouteImpl } from './route-impl';
import { tokenAuthenticator } from './token-auth';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The gateway role: accepts agent and client sessions over every transport with a listen
 * address, authenticates them, keeps names and routes (with a reconnect grace period), and
 * connects visitors and clients to agents. Protocol plugins bind routes via `hooks.expose`.
 */
export class Gateway implements GatewayApi, RoleLifecycle {
  private readonly configuredZones: readonly string[];
  private readonly delegated = new Map<string, { agent: string; owner: string }>();
  readonly publicAddresses: { ipv4: string[]; ipv6: string[] };
  readonly publicHost: string;
  readonly ports: { tcp: PortPool; udp: PortPool };
  readonly maxHeaderBytes: number;
  readonly hookTimeoutMs: number;

  private cfg: GatewayConfig;
  private auth: ReturnType<typeof tokenAuthenticator>;
  private allowCidrs: ReturnType<typeof parseCidr>[] = [];
  private denyCidrs: ReturnType<typeof parseCidr>[] = [];
  private readonly limits: ReturnType<typeof resolveLimits>;
  private readonly sessionOpts: ReturnType<typeof resolveSession>;
  private readonly listeners = new Map<TransportEntry, TransportListener[]>();
  private readonly pendingConnections = new Set<MuxedSession>();
  private readonly peers = new Map<string, PeerSession>();
  private readonly agents = new Map<string, PeerSession>();
  private readonly claims = new Map<string, NameClaim>();
  private readonly routesByKey = new Map<string, RouteImpl>();
  private readonly hostIndex = new Map<string, RouteImpl[]>();
  private readonly aliases = new Map<string, string>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private stopping = false;

  constructor(private readonly node: TfgwNode) {
    const config = node.config;
    this.cfg = config.gateway ?? {};
    this.configuredZones = (this.cfg.zones ?? [config.zone ?? DEFAULT_ZONE]).map((z) => z.toLowerCase().replace(/\.$/, ''));
    const addrs = this.cfg.publicAddresses ?? ['127.0.0.1'];
    this.publicAddresses = { ipv4: addrs.filter((a) => !a.includes(':')), ipv6: addrs.filter((a) => a.includes(':')) };
    this.publicHost = this.cfg.publicHost ?? addrs[0] ?? '127.0.0.1';
    this.ports = {
      tcp: new PortPool(this.cfg.ports?.tcp ?? '20000-20999', 'gateway.ports.tcp'),
      udp: new PortPool(this.cfg.ports?.udp ?? '21000-21999', 'gateway.ports.udp'),
    };
    this.limits = resolveLimits(this.cfg.limits);
    this.sessionOpts = resolveSession(config.session);
    this.maxHeaderBytes = this.limits.controlMessageBytes;
    this.hookTimeoutMs = this.limits.hookTimeoutMs;
    this.auth = tokenAuthenticator(this.cfg.tokens ?? []);
    this.setVisitorLists();
    this.tapDefaults();
    node.addLifecycle(this);
  }

  // ---- core default taps (late stage, so plugins get in first) ----

  private tapDefaults(): void {
    const hooks = this.node.hooks;
    if ((this.cfg.tokens ?? []).length === 0) this.node.log.warn('gateway.tokens is empty: no agent or client can log in');
    hooks.authenticate.tap({ name: 'core:tokens', stage: CORE_STAGE }, (req) => this.auth(req));
    hooks.register.tap({ name: 'core:ports', stage: CORE_STAGE }, (spec, ctx) => {
      if (spec.port !== undefined) {
        const pool = this.poolFor(spec.protocol);
        const inPool = pool?.contains(spec.port) ?? false;
        if (!inPool && !portInRanges(spec.port, ctx.principal.ports ?? [])) {
          throw new TfgwError(ErrorCodes.FORBIDDEN, `port ${spec.port} is outside ${pool?.configKey ?? 'the public port pools'} and this token's "ports"`, { details: { port: spec.port } });
        }
      }
      return spec;
    });
    hooks.visitor.tap({ name: 'core:ip-filter', stage: CORE_STAGE }, (v) => {
      if (this.denyCidrs.length && this.denyCidrs.some((c) => cidrContains(c, v.address))) return { code: ErrorCodes.VISITOR_REJECTED, message: `visitor ${v.address} is in gateway.visitors.deny` };
      if (this.allowCidrs.length && !this.allowCidrs.some((c) => cidrContains(c, v.address))) return { code: ErrorCodes.VISITOR_REJECTED, message: `visitor ${v.address} is not in gateway.visitors.allow` };
      return undefined;
    });
  }

  private setVisitorLists(): void {
    this.allowCidrs = (this.cfg.visitors?.allow ?? []).map(parseCidr);
    this.denyCidrs = (this.cfg.visitors?.deny ?? []).map(parseCidr);
  }

  /**
   * Takes a reloaded config: new tokens and visitor lists apply to new sessions and visitors;
   * sessions whose token was removed are closed, all others stay up; listeners follow the
   * transport list; routes whose protocol plugin changed are bound again on the same port.
   * Zones, public addresses and port pools need a restart.
   */
  async reconfigure(config: TfgwConfig, _change: ReloadResult): Promise<void> {
    const oldIds = new Set((this.cfg.tokens ?? []).map(tokenId));
    this.cfg = config.gateway ?? {};
    this.auth = tokenAuthenticator(this.cfg.tokens ?? []);
    this.setVisitorLists();
    const newIds = new Set((this.cfg.tokens ?? []).map(tokenId));
    for (const peer of [...this.peers.values()]) {
      if (oldIds.has(peer.principal.id) && !newIds.has(peer.principal.id)) {
        this.node.log.info({ session: peer.id, agent: peer.name }, 'reload: token removed, closing its session');
        peer.session.close(new TfgwError(ErrorCodes.AUTH, 'token removed by a config reload'));
      }
    }
    await this.syncListeners();
    for (const route of [...this.routesByKey.values()]) {
      const hook = this.node.hooks.expose.get(route.protocol);
      const taps = (hook as unknown as { taps?: unknown[] } | undefined)?.taps ?? [];
      const same = route.exposedBy !== undefined && taps.length === route.exposedBy.length && taps.every((t, i) => t === route.exposedBy![i]);
      if (same) continue;
      try {
        await route.exposure?.release();
      } catch {
        // The old plugin may have closed its listener in its own shutdown already.
      }
      try {
        const port = route.port;
        if (port !== undefined) route.portHint = port;
        await this.expose(route);
        this.node.log.info({ route: route.id, url: route.url }, 'reload: route bound again');
      } catch (err) {
        this.node.log.warn({ route: route.id, code: asTfgwError(err).code }, `reload: route could not be bound again: ${asTfgwError(err).message}`);
        await this.removeRoute(route, 'protocol plugin removed');
      }
    }
  }

  private async syncListeners(): Promise<void> {
    const entries = this.node.transports.list();
    for (const [entry, list] of [...this.listeners]) {
      if (entries.includes(entry)) continue;
      await Promise.all(list.map((l) => l.close().catch(() => undefined)));
      this.listeners.delete(entry);
    }
    for (const entry of entries) if (!this.listeners.has(entry)) await this.listenOn(entry);
  }

  private async listenOn(entry: TransportEntry): Promise<void> {
    const list: TransportListener[] = [];
    this.listeners.set(entry, list);
    for (const url of entry.listen) {
      const listener = await entry.transport.listen({ url, options: entry.options }, (conn) => {
        this.onConnection(conn).catch((err) => this.node.log.warn({ err }, 'connection failed'));
      });
      list.push(listener);
      this.node.log.info({ transport: entry.transport.name, url: listener.address.url }, 'gateway listening');
    }
  }

  /** Binds a route through the `expose` hook of its protocol. */
  private async expose(route: RouteImpl): Promise<void> {
    const hook = this.node.hooks.expose.get(route.protocol);
    if (!hook) throw new TfgwError(ErrorCodes.UNKNOWN_PROTOCOL, `no plugin serves protocol "${route.protocol}" on this gateway`);
    const exposure = await callHook(() => hook.promise(route), { name: `expose:${route.protocol}`, timeoutMs: this.hookTimeoutMs });
    if (!exposure) throw new TfgwError(ErrorCodes.UNKNOWN_PROTOCOL, `no plugin serves protocol "${route.protocol}" on this gateway`);
    route.exposure = exposure;
    route.exposedBy = [...((hook as unknown as { taps: unknown[] }).taps ?? [])];
    route.port = exposure.port;
    route.url = exposure.url;
  }

  private poolFor(protocol: string): PortPool | undefined {
    if (protocol === 'udp') return this.ports.udp;
    return this.ports.tcp;
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    for (const entry of this.node.transports.list()) await this.listenOn(entry);
  }

  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.listeners.values()].flat().map((l) => l.close().catch(() => undefined)));
    this.listeners.clear();
    for (const p of this.peers.values()) p.session.goAway();
    const deadline = Date.now() + drainMs;
    while (Date.now() < deadline && [...this.peers.values()].some((p) => p.session.stats.streams > (p.role === 'agent' ? 1 : 1))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of this.pendingConnections) s.close();
    for (const p of [...this.peers.values()]) p.session.close();
    for (const t of this.graceTimers.values()) clearTimeout(t);
    this.graceTimers.clear();
    for (const route of [...this.routesByKey.values()]) await this.removeRoute(route, 'shutdown');
  }

  // ---- sessions ----

  private async onConnection(conn: TransportConnection): Promise<void> {
    const info = conn.info;
    const log = this.node.log.child({ remote: info.remoteAddress, transport: info.transport });
    let rejection: Rejection | undefined;
    try {
      rejection = await callHook(() => this.node.hooks.connection.promise(info), { name: 'connection', timeoutMs: this.hookTimeoutMs });
    } catch (err) {
      rejection = { code: asTfgwError(err).code, message: asTfgwError(err).message };
    }
    if (!rejection && this.peers.size + this.pendingConnections.size >= this.limits.sessions) {
      rejection = { code: ErrorCodes.LIMIT, message: `gateway.limits.sessions (${this.limits.sessions}) reached` };
    }
    if (rejection) this.node.hooks.rejected.call('connection', rejection);
    if (rejection || this.stopping) {
      log.warn({ code: rejection?.code ?? ErrorCodes.SESSION_CLOSED }, `connection refused: ${rejection?.message ?? 'gateway is stopping'}`);
      if (conn.duplex) conn.duplex.destroy();
      else conn.session.close();
      return;
    }
    const session = conn.session ?? createSession(conn.duplex, this.muxOptions(false));
    this.pendingConnections.add(session);
    session.once('close', () => this.pendingConnections.delete(session));
    try {
      await this.handshake(session, info.transport, info.remoteAddress);
    } catch (err) {
      const e = asTfgwError(err, ErrorCodes.PROTOCOL);
      log.warn({ code: e.code }, `handshake failed: ${e.message}`);
      this.node.hooks.error.call(e, { source: 'handshake' });
      session.close(e);
    } finally {
      this.pendingConnections.delete(session);
    }
  }

  /** Options for the core multiplexer from config. */
  muxOptions(client: boolean) {
    return {
      client,
      initialWindow: this.sessionOpts.initialWindow,
      maxWindow: this.sessionOpts.maxWindow,
      keepaliveMs: this.sessionOpts.keepaliveMs,
      keepaliveTimeoutMs: this.sessionOpts.keepaliveTimeoutMs,
      maxStreams: this.limits.streamsPerSession,
      maxPendingOpens: this.limits.pendingOpens,
      maxFrameBytes: this.limits.maxFrameBytes,
    };
  }

  private firstStream(session: MuxedSession): Promise<MuxedStream> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new TfgwError(ErrorCodes.TIMEOUT, `no hello within ${this.limits.handshakeTimeoutMs} ms (gateway.limits.handshakeTimeoutMs)`)), this.limits.handshakeTimeoutMs);
      const onStream = (s: MuxedStream) => done(undefined, s);
      const onClose = (err?: Error) => done(err ?? new TfgwError(ErrorCodes.SESSION_CLOSED, 'closed before hello'));
      const done = (err?: Error, s?: MuxedStream) => {
        clearTimeout(timer);
        session.removeListener('stream', onStream);
        session.removeListener('close', onClose);
        if (err) reject(err);
        else resolve(s!);
      };
      session.on('stream', onStream);
      session.once('close', onClose);
    });
  }

  private async handshake(session: MuxedSession, transport: string, remoteAddress: string): Promise<void> {
    const stream = await this.firstStream(session);
    // Until authenticated, any further stream is refused: nothing flows before auth.
    const refuseEarly = (s: MuxedStream) => s.reset();
    session.on('stream', refuseEarly);
    const control = new ControlChannel(stream, this.limits.controlMessageBytes);
    const hello = (await control.next('hello', this.limits.handshakeTimeoutMs)) as HelloMessage;
    const fail = (code: string, message: string): never => {
      control.send({ t: 'error', code, message });
      control.close();
      throw new TfgwError(code, message);
    };
    const versions = Array.isArray(hello.versions) ? hello.versions : [];
    const version = Math.max(...PROTOCOL_VERSIONS.filter((v) => versions.includes(v)), -1);
    if (version < 0) fail(ErrorCodes.VERSION, `no common protocol version (gateway speaks ${PROTOCOL_VERSIONS.join(',')}, peer ${versions.join(',') || 'none'})`);
    if (hello.role !== 'agent' && hello.role !== 'client') fail(ErrorCodes.BAD_MESSAGE, `unknown role "${String(hello.role)}"`);
    let answer: Principal | Rejection | undefined;
    try {
      answer = await callHook(
        () => this.node.hooks.authenticate.promise({ role: hello.role, token: String(hello.token ?? ''), name: hello.name, remoteAddress, transport }),
        { name: 'authenticate', timeoutMs: this.hookTimeoutMs },
      );
    } catch (err) {
      answer = { code: ErrorCodes.AUTH, message: asTfgwError(err).message };
    }
    if (!answer) answer = { code: ErrorCodes.AUTH, message: 'no authenticator accepted the token' };
    if (isRejection(answer)) {
      this.node.hooks.rejected.call('authenticate', answer);
      fail(answer.code, answer.message);
    }
    const principal = answer as Principal;
    if (principal.role !== hello.role) fail(ErrorCodes.AUTH, `token is for role ${principal.role}`);

    let name: string | undefined;
    let fqdn: string | undefined;
    if (hello.role === 'agent') {
      name = String(hello.name ?? '').toLowerCase();
      if (!LABEL.test(name)) fail(ErrorCodes.BAD_MESSAGE, `agent name "${hello.name}" is not a DNS label (a-z, 0-9, -; at most 63)`);
      if (!anyGlob(principal.names ?? ['*'], name)) fail(ErrorCodes.FORBIDDEN, `this token may not claim the name "${name}"`);
      fqdn = `${name}.${this.zones[0]}`;
      const claim = this.claims.get(fqdn);
      if (claim && claim.owner !== principal.id) fail(ErrorCodes.NAME_TAKEN, `the name "${fqdn}" is owned by another token`);
    }
    session.removeListener('stream', refuseEarly);
    const peer: PeerSession = {
      id: crypto.randomBytes(8).toString('hex'),
      role: hello.role,
      name,
      fqdn,
      transport,
      remoteAddress,
      principal,
      since: Date.now(),
      session,
      control,
    };
    if (name && fqdn) {
      const old = this.agents.get(name);
      if (old) {
        this.node.log.info({ agent: name, old: old.id }, 'agent reconnected; closing its previous session');
        this.agents.delete(name);
        old.session.close(new TfgwError(ErrorCodes.SESSION_CLOSED, 'replaced by a new session of the same agent'));
      }
      this.agents.set(name, peer);
      const grace = this.graceTimers.get(name);
      if (grace) {
        clearTimeout(grace);
        this.graceTimers.delete(name);
      }
      if (!this.claims.has(fqdn)) this.addClaim({ fqdn, zone: this.zones[0], owner: principal.id, kind: 'agent' });
    }
    this.peers.set(peer.id, peer);
    control.send({ t: 'welcome', version, sessionId: peer.id, zone: this.zones[0], ...(fqdn ? { fqdn } : {}) });
    this.node.log.info({ session: peer.id, role: peer.role, agent: name, remote: remoteAddress, transport }, `${peer.role} connected`);
    this.node.hooks.sessionOpen.call(peer);

    // One message at a time per peer: an unregister followed by a register of the same
    // service (a reload changed its options) must not race.
    let handled: Promise<void> = Promise.resolve();
    control.on('message', (m) => {
      if (peer.role !== 'agent') return;
      if (m.t === 'register') handled = handled.then(() => this.onRegister(peer, m as RegisterMessage)).catch((err) => this.node.log.warn({ err }, 'register failed'));
      else if (m.t === 'unregister') handled = handled.then(() => this.onUnregister(peer, m as UnregisterMessage)).catch((err) => this.node.log.warn({ err }, 'unregister failed'));
    });
    session.on('stream', (s: MuxedStream) => {
      if (peer.role === 'client') this.onClientStream(peer, s).catch(() => undefined);
      else s.reset();
    });
    control.once('close', () => session.close());
    session.once('close', (err?: Error) => this.onSessionClose(peer, err));
  }

  private onSessionClose(peer: PeerSession, err?: Error): void {
    if (!this.peers.delete(peer.id)) return;
    const stats = peer.session.stats;
    const reason = err ? asTfgwError(err).code : 'closed';
    this.node.log.info({ session: peer.id, role: peer.role, agent: peer.name, reason, bytesIn: stats.bytesIn, bytesOut: stats.bytesOut }, `${peer.role} disconnected`);
    this.node.hooks.sessionClose.call(peer, { bytesIn: stats.bytesIn, bytesOut: stats.bytesOut, reason });
    if (peer.role !== 'agent' || !peer.name) return;
    if (this.agents.get(peer.name) === peer) this.agents.delete(peer.name);
    const name = peer.name;
    for (const r of this.routesByKey.values()) if (r.peer === peer) r.peer = undefined;
    if (this.agents.has(name) || this.stopping) return;
    // Keep names and ports for a grace period so a reconnecting agent gets them back.
    const graceMs = this.cfg.graceMs ?? 30000;
    const timer = setTimeout(() => {
      this.graceTimers.delete(name);
      void this.expireAgent(name, peer.fqdn);
    }, graceMs);
    timer.unref();
    this.graceTimers.set(name, timer);
  }

  private async expireAgent(name: string, fqdn?: string): Promise<void> {
    for (const r of [...this.routesByKey.values()]) if (r.agent === name && !r.peer) await this.removeRoute(r, 'grace expired');
    if (fqdn) {
      const claim = this.claims.get(fqdn);
      if (claim && claim.kind === 'agent') this.removeClaim(fqdn);
    }
  }

  private addClaim(claim: NameClaim): void {
    this.claims.set(claim.fqdn, claim);
    this.node.hooks.nameAdded.call(claim);
  }

  private removeClaim(fqdn: string): void {
    const claim = this.claims.get(fqdn);
    if (!claim) return;
    this.claims.delete(fqdn);
    this.node.hooks.nameRemoved.call(claim);
  }

  // ---- registration ----

  private async onRegister(peer: PeerSession, msg: RegisterMessage): Promise<void> {
    const answer: RegisteredMessage = { t: 'registered', id: Number(msg.id) || 0, routes: [], errors: [] };
    const services = Array.isArray(msg.services) ? msg.services : [];
    for (const raw of services) {
      const label = `${String(raw?.protocol)}:${String(raw?.name ?? '')}`;
      try {
        if (services.length > this.limits.servicesPerAgent) {
          throw new TfgwError(ErrorCodes.LIMIT, `more than ${this.limits.servicesPerAgent} services (gateway.limits.servicesPerAgent)`, { details: { limit: 'gateway.limits.servicesPerAgent' } });
        }
        const route = await this.registerService(peer, raw);
        answer.routes.push({ service: route.service, protocol: route.protocol, hostname: route.hostname, ...(route.port ? { port: route.port } : {}), url: route.url ?? route.hostname });
      } catch (err) {
        const e = asTfgwError(err, ErrorCodes.BAD_MESSAGE);
        this.node.log.warn({ agent: peer.name, service: label, code: e.code }, `registration refused: ${e.message}`);
        this.node.hooks.rejected.call('register', { code: e.code, message: e.message });
        answer.errors.push({ service: String(raw?.name ?? ''), protocol: String(raw?.protocol ?? ''), code: e.code, message: e.message });
      }
    }
    peer.control.send(answer);
  }

  private async onUnregister(peer: PeerSession, msg: UnregisterMessage): Promise<void> {
    const answer: UnregisteredMessage = { t: 'unregistered', id: Number(msg.id) || 0, removed: [] };
    for (const raw of Array.isArray(msg.services) ? msg.services : []) {
      const service = String(raw?.name ?? '').toLowerCase();
      const protocol = String(raw?.protocol ?? '');
      const route = this.routesByKey.get(RouteImpl.key(peer.name!, service, protocol));
      // Only the session that holds a route may take it down.
      if (!route || route.peer !== peer) continue;
      await this.removeRoute(route, 'unregistered');
      answer.removed.push({ service, protocol });
    }
    peer.control.send(answer);
  }

  private async registerService(peer: PeerSession, raw: ServiceSpec): Promise<RouteImpl> {
    if (typeof raw !== 'object' || raw === null) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'service must be an object');
    const service = String(raw.name ?? '').toLowerCase();
    if (service !== '' && !service.split('.').every((l) => LABEL.test(l))) throw new TfgwError(ErrorCodes.BAD_MESSAGE, `service name "${raw.name}" is not a DNS name`);
    if (typeof raw.protocol !== 'string' || !/^[a-z0-9-]{1,32}$/.test(raw.protocol)) throw new TfgwError(ErrorCodes.UNKNOWN_PROTOCOL, `protocol "${String(raw.protocol)}" is not valid`);
    for (const k of ['port', 'portHint'] as const) {
      const v = raw[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 65535)) throw new TfgwError(ErrorCodes.BAD_MESSAGE, `${k} must be 1-65535`);
    }
    const ctx = { principal: peer.principal, agent: peer.name!, session: peer as SessionInfo };
    const spec = await callHook(
      () => this.node.hooks.register.promise({ name: service, protocol: raw.protocol, port: raw.port, portHint: raw.portHint, options: typeof raw.options === 'object' && raw.options ? raw.options : {} }, ctx),
      { name: 'register', timeoutMs: this.hookTimeoutMs },
    );
    const key = RouteImpl.key(peer.name!, spec.name, spec.protocol);
    const existing = this.routesByKey.get(key);
    if (existing) {
      if (existing.peer && existing.peer !== peer && !existing.peer.session.closed) {
        throw new TfgwError(ErrorCodes.NAME_TAKEN, `service ${existing.id} is registered by another live session`);
      }
      existing.peer = peer;
      return existing;
    }
    const hostname = spec.name ? `${spec.name}.${peer.fqdn}` : peer.fqdn!;
    const route = new RouteImpl(peer.name!, spec.name, spec.protocol, hostname, peer.principal.id, spec.options ?? {}, spec.port, spec.portHint, this.maxHeaderBytes);
    route.peer = peer;
    await this.expose(route);
    this.routesByKey.set(key, route);
    const list = this.hostIndex.get(hostname) ?? [];
    list.push(route);
    this.hostIndex.set(hostname, list);
    this.node.log.info({ route: route.id, agent: route.agent, url: route.url }, 'route added');
    this.node.hooks.routeAdded.call(route);
    return route;
  }

  private async removeRoute(route: RouteImpl, reason: string): Promise<void> {
    const key = RouteImpl.key(route.agent, route.service, route.protocol);
    if (this.routesByKey.get(key) !== route) return;
    this.routesByKey.delete(key);
    const list = (this.hostIndex.get(route.hostname) ?? []).filter((r) => r !== route);
    if (list.length) this.hostIndex.set(route.hostname, list);
    else this.hostIndex.delete(route.hostname);
    for (const [alias, id] of this.aliases) if (id === route.id) this.aliases.delete(alias);
    try {
      await route.exposure?.release();
    } catch (err) {
      this.node.log.warn({ err, route: route.id }, 'releasing the route failed');
    }
    this.node.log.info({ route: route.id, reason }, 'route removed');
    this.node.hooks.routeRemoved.call(route, reason);
  }

  // ---- client streams ----

  private async onClientStream(peer: PeerSession, stream: MuxedStream): Promise<void> {
    let header;
    try {
      header = await readStreamHeader(stream, this.maxHeaderBytes);
    } catch (err) {
      stream.reset();
      return;
    }
    const log = this.node.log.child({ session: peer.id, agent: header.agent, service: header.service, target: header.target });
    let upstream: MuxedStream;
    try {
      const agentName = String(header.agent ?? '').toLowerCase();
      const p = peer.principal;
      if (!agentName) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'client stream names no agent');
      if (!anyGlob(p.agents ?? ['*'], agentName)) throw new TfgwError(ErrorCodes.FORBIDDEN, `this client token may not reach agent "${agentName}"`);
      if (header.service !== undefined && !anyGlob(p.services ?? ['*/*'], `${agentName}/${header.service}`)) {
        throw new TfgwError(ErrorCodes.FORBIDDEN, `this client token may not reach service "${header.service}" of agent "${agentName}"`);
      }
      if (header.target !== undefined && p.targets === false) throw new TfgwError(ErrorCodes.FORBIDDEN, 'this client token may not ask agents for raw targets');
      if (header.service === undefined && header.target === undefined) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'client stream names neither service nor target');
      const agent = this.agents.get(agentName);
      if (!agent) {
        const known = this.claims.has(`${agentName}.${this.zones[0]}`);
        throw new TfgwError(known ? ErrorCodes.AGENT_OFFLINE : ErrorCodes.UNKNOWN_AGENT, known ? `agent "${agentName}" is not connected` : `no agent named "${agentName}"`);
      }
      upstream = await openDataStream(
        agent.session,
        { protocol: header.protocol, ...(header.service !== undefined ? { service: header.service } : {}), ...(header.target !== undefined ? { target: header.target } : {}), visitor: peer.remoteAddress },
        this.maxHeaderBytes,
      );
    } catch (err) {
      const e = asTfgwError(err, ErrorCodes.SERVICE_UNREACHABLE);
      log.info({ code: e.code }, `client stream refused: ${e.message}`);
      refuseStream(stream, e);
      return;
    }
    acceptStream(stream);
    const protocol = header.protocol;
    startSplice(stream, upstream, (res) => this.node.hooks.streamClose.call({ protocol, bytesIn: res.aToB, bytesOut: res.bToA }));
  }

  // ---- GatewayApi ----

  get zones(): readonly string[] {
    return this.delegated.size ? [...this.configuredZones, ...this.delegated.keys()] : this.configuredZones;
  }

  addDelegation(zone: string, agent: string, owner: string): void {
    const z = zone.toLowerCase().replace(/\.$/, '');
    if (this.configuredZones.includes(z)) throw new TfgwError(ErrorCodes.NAME_TAKEN, `"${z}" is one of this gateway's own zones`);
    const existing = this.delegated.get(z);
    if (existing && existing.owner !== owner) throw new TfgwError(ErrorCodes.NAME_TAKEN, `the zone "${z}" is delegated to another owner`);
    this.delegated.set(z, { agent: agent.toLowerCase(), owner });
    if (!existing) this.addClaim({ fqdn: z, zone: z, owner, kind: 'reservation' });
  }

  removeDelegation(zone: string): boolean {
    const z = zone.toLowerCase().replace(/\.$/, '');
    if (!this.delegated.delete(z)) return false;
    this.removeClaim(z);
    return true;
  }

  delegations(): Array<{ zone: string; agent: string; owner: string }> {
    return [...this.delegated].map(([zone, d]) => ({ zone, ...d }));
  }

  /** The route for a name inside a delegated zone: `SVC.<zone>` -> the agent's service SVC. */
  private delegatedRoute(host: string, protocols: readonly string[]): Route | undefined {
    for (const [zone, d] of this.delegated) {
      if (host !== zone && !host.endsWith(`.${zone}`)) continue;
      const service = host === zone ? '' : host.slice(0, -(zone.length + 1));
      for (const proto of protocols) {
        const r = this.routesByKey.get(RouteImpl.key(d.agent, service, proto));
        if (r) return r;
      }
    }
    return undefined;
  }

  routes(): Route[] {
    return [...this.routesByKey.values()];
  }

  routeForHost(hostname: string, protocols: readonly string[]): Route | undefined {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    const pick = (list: RouteImpl[] | undefined) => {
      if (!list) return undefined;
      for (const proto of protocols) {
        const r = list.find((x) => x.protocol === proto);
        if (r) return r;
      }
      return undefined;
    };
    const direct = pick(this.hostIndex.get(host));
    if (direct) return direct;
    const aliasId = this.aliases.get(host) ?? this.wildcardAlias(host);
    if (aliasId) {
      const r = [...this.routesByKey.values()].find((x) => x.id === aliasId);
      if (r && protocols.includes(r.protocol)) return r;
    }
    return this.delegated.size ? this.delegatedRoute(host, protocols) : undefined;
  }

  private wildcardAlias(host: string): string | undefined {
    for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) {
      const id = this.aliases.get('*' + host.slice(i));
      if (id) return id;
    }
    return undefined;
  }

  sessions(): SessionInfo[] {
    return [...this.peers.values()];
  }

  names(): NameClaim[] {
    return [...this.claims.values()];
  }

  reserveName(claim: NameClaim): void {
    const fqdn = claim.fqdn.toLowerCase().replace(/\.$/, '');
    const existing = this.claims.get(fqdn);
    if (existing && existing.owner !== claim.owner) throw new TfgwError(ErrorCodes.NAME_TAKEN, `the name "${fqdn}" is owned by another token`);
    if (existing) this.removeClaim(fqdn);
    this.addClaim({ ...claim, fqdn });
  }

  releaseName(fqdn: string): boolean {
    const name = fqdn.toLowerCase().replace(/\.$/, '');
    const claim = this.claims.get(name);
    if (!claim) return false;
    if (claim.kind === 'agent') {
      const agentName = name.slice(0, name.indexOf('.'));
      const peer = this.agents.get(agentName);
      const timer = this.graceTimers.get(agentName);
      if (timer) clearTimeout(timer);
      this.graceTimers.delete(agentName);
      if (peer) {
        this.agents.delete(agentName);
        peer.session.close(new TfgwError(ErrorCodes.SESSION_CLOSED, 'name released by the operator'));
      }
      for (const r of [...this.routesByKey.values()]) if (r.agent === agentName) void this.removeRoute(r, 'name released');
    }
    this.removeClaim(name);
    return true;
  }

  addAlias(hostname: string, routeId: string): void {
    this.aliases.set(hostname.toLowerCase().replace(/\.$/, ''), routeId);
  }

  removeAlias(hostname: string): void {
    this.aliases.delete(hostname.toLowerCase().replace(/\.$/, ''));
  }

  kick(sessionId: string): boolean {
    const p = this.peers.get(sessionId);
    if (!p) return false;
    p.session.close(new TfgwError(ErrorCodes.SESSION_CLOSED, 'kicked by the operator'));
    return true;
  }

  allocatePort(family: 'tcp' | 'udp', route: Route): number {
    const pool = this.ports[family];
    if (route.requestedPort !== undefined) {
      const want = route.requestedPort;
      if (pool.contains(want)) {
        if (pool.isUsed(want)) throw new TfgwError(ErrorCodes.PORT_UNAVAILABLE, `public ${family} port ${want} is taken`, { details: { port: want } });
        return pool.allocate(want);
      }
      if (!pool.claim(want)) throw new TfgwError(ErrorCodes.PORT_UNAVAILABLE, `public ${family} port ${want} is taken`, { details: { port: want } });
      return want;
    }
    return pool.allocate(route.portHint);
  }

  async admitVisitor(visitor: VisitorInfo): Promise<Rejection | undefined> {
    let rejection: Rejection | undefined;
    try {
      rejection = await callHook(() => this.node.hooks.visitor.promise(visitor), { name: 'visitor', timeoutMs: this.hookTimeoutMs });
    } catch (err) {
      const e = asTfgwError(err);
      this.node.hooks.error.call(e, { source: 'hook:visitor' });
      rejection = { code: e.code, message: e.message };
    }
    if (rejection) this.node.hooks.rejected.call('visitor', rejection);
    return rejection;
  }

  pipeVisitor(route: Route, visitor: Duplex, stream: MuxedStream, onClosed?: (result: SpliceResult) => void): void {
    startSplice(visitor, stream, (res) => {
      this.recordStream(route, res.aToB, res.bToA);
      onClosed?.(res);
    });
  }

  recordStream(route: Route, bytesIn: number, bytesOut: number): void {
    route.stats.bytesIn += bytesIn;
    route.stats.bytesOut += bytesOut;
    this.node.hooks.streamClose.call({ routeId: route.id, protocol: route.protocol, bytesIn, bytesOut });
  }
}
