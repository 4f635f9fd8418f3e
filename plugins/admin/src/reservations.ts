import fs from 'node:fs';
import {
  APEX,
  DNS_STORE_SERVICE,
  ErrorCodes,
  TfgwError,
  asTfgwError,
  assertValidName,
  ensureZoneApex,
  findZone,
  isInZone,
  normalizeName,
  parseLabelRecords,
  relativeLabel,
  writeFileAtomic,
  type GatewayApi,
  type LabelRecords,
  type RecordStore,
  type Route,
  type TfgwNode,
} from '@tfgw/core';
import { AdminErrorCodes } from './errors';

/** Kinds of reservation. */
export type ReservationType = 'name' | 'delegation' | 'proxy';

/** An operator reservation, as the API shows and the file keeps it. */
export interface Reservation {
  /** `name`: records for a name; `delegation`: a whole zone served by an agent; `proxy`: a hostname routed to a route. */
  type: ReservationType;
  /** The fqdn (name), zone (delegation) or hostname (proxy), lower case, no trailing dot. */
  name: string;
  /** Owner id; a reservation of another owner's name is refused (409). */
  owner: string;
  /** Epoch ms after which it lapses; absent = until deleted. */
  expiresAt?: number;
  /** Records published for a `name` reservation (default: A/AAAA of the gateway's public addresses). */
  records?: LabelRecords;
  /** Agent whose services serve a delegated zone (`www.<zone>` -> the agent's `www`). */
  agent?: string;
  /** Route id a `proxy` hostname points at, e.g. `http:www.demo.tfgw.localhost`. */
  route?: string;
  /** Epoch ms when made. */
  createdAt: number;
}

/** Labels written at a delegated zone when it is added, and removed with it. */
const DELEGATION_LABELS = [APEX, '*', 'ns1'];
/** TTL of the address records a reservation writes by default. */
const DEFAULT_TTL = 60;
/** Protocols a proxy hostname can be looked up for. */
const HOST_PROTOCOLS = ['http', 'ws', 'tls', 'tcp'];

const bad = (message: string) => new TfgwError(ErrorCodes.BAD_MESSAGE, message);

function checkName(value: unknown, key: string, wildcard: boolean): string {
  if (typeof value !== 'string' || value.trim() === '') throw bad(`${key}: expected a domain name`);
  const n = normalizeName(value);
  const body = wildcard && n.startsWith('*.') ? n.slice(2) : n;
  if (!/^([a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/.test(body)) throw bad(`${key}: "${value}" is not a domain name${wildcard ? ' (a leading "*." is allowed)' : ''}`);
  try {
    assertValidName(n, key);
  } catch (err) {
    throw new TfgwError(ErrorCodes.BAD_MESSAGE, asTfgwError(err).message, { cause: err });
  }
  return n;
}

function checkExpiry(input: Record<string, unknown>, now: number): number | undefined {
  if (input.ttlSeconds !== undefined && input.expiresAt !== undefined) throw bad('give either ttlSeconds or expiresAt, not both');
  if (input.ttlSeconds !== undefined) {
    const t = input.ttlSeconds;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) throw bad('ttlSeconds: expected a positive number of seconds');
    return now + Math.round(t * 1000);
  }
  if (input.expiresAt !== undefined) {
    const v = input.expiresAt;
    const at = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isFinite(at)) throw bad('expiresAt: expected epoch milliseconds or an ISO 8601 date');
    if (at <= now) throw bad('expiresAt: lies in the past');
    return at;
  }
  return undefined;
}

/**
 * Operator reservations: names (records for a name), delegations (a zone served by an
 * agent) and proxies (a hostname routed to a route). Each is applied to the gateway
 * (`reserveName`, `addDelegation`, `addAlias`) and the DNS store when there is one,
 * persisted to a JSON file so a restart keeps them, and swept when it expires: expiry
 * removes its records, its name and its route mapping.
 *
 * Ownership: a name, zone or hostname held by another owner (another reservation, an
 * agent's token, or a hostname that already routes elsewhere) is TFGW_ERR_NAME_TAKEN, whose
 * message never names the other owner.
 */
export class Reservations {
  private readonly items = new Map<string, Reservation>();
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  /** Writes are chained so an older list never lands after a newer one. */
  private saving: Promise<void> = Promise.resolve();
  /** Changes are serialised: one add / remove / sweep at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param node the node (its gateway and DNS store are looked up when used)
   * @param file the JSON file reservations persist to
   */
  constructor(
    private readonly node: TfgwNode,
    private readonly file: string,
  ) {}

  private get gateway(): GatewayApi {
    if (!this.node.gateway) throw new TfgwError(ErrorCodes.CONFIG, 'reservations need the gateway role');
    return this.node.gateway;
  }

  private get store(): RecordStore | undefined {
    return this.node.services.lookup<RecordStore>(DNS_STORE_SERVICE);
  }

  /** All reservations, oldest first. */
  list(): Reservation[] {
    return [...this.items.values()];
  }

  /** One reservation by name (any case, trailing dot allowed). */
  get(name: string): Reservation | undefined {
    return this.items.get(normalizeName(name));
  }

  /**
   * Reads the file and applies every reservation not yet expired; expired ones get their
   * records removed. Then sweeps every `sweepMs`.
   */
  async load(sweepMs: number): Promise<void> {
    let saved: Reservation[] = [];
    try {
      saved = JSON.parse(await fs.promises.readFile(this.file, 'utf8')) as Reservation[];
      if (!Array.isArray(saved)) throw new Error('not a list');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.node.log.warn({ err, file: this.file }, 'reservations file unreadable; starting with none (it is replaced on the next change)');
      saved = [];
    }
    let dropped = false;
    for (const r of saved) {
      try {
        if (r.expiresAt !== undefined && r.expiresAt <= Date.now()) {
          await this.removeRecords(r);
          dropped = true;
        } else {
          await this.apply(r);
        }
      } catch (err) {
        this.node.log.warn({ err, reservation: r.name, code: asTfgwError(err).code }, `a saved reservation could not be applied: ${asTfgwError(err).message}`);
      }
    }
    if (dropped) this.save();
    this.timer = setInterval(() => void this.sweep(), sweepMs);
    this.timer.unref();
  }

  /** Stops sweeping and resolves once pending writes are on disk. Applied reservations stay applied. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.queue.catch(() => undefined);
    await this.saving;
  }

  /** Re-points proxy hostnames when their route comes (back): the gateway drops aliases with a route. */
  onRouteAdded(route: Route): void {
    for (const r of this.items.values()) if (r.type === 'proxy' && r.route === route.id) this.gateway.addAlias(r.name, r.route);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Validates, applies and persists a reservation from an API body. A reservation of the
   * same name and owner is replaced. TFGW_ERR_BAD_MESSAGE / TFGW_ERR_DNS for bad input,
   * TFGW_ERR_NAME_TAKEN when another owner holds the name.
   */
  add(input: Record<string, unknown>): Promise<Reservation> {
    return this.serial(async () => {
      const r = this.parse(input);
      const existing = this.items.get(r.name);
      if (existing && existing.owner !== r.owner) throw new TfgwError(ErrorCodes.NAME_TAKEN, `"${r.name}" is reserved by another owner`);
      if (existing) await this.unapply(existing);
      try {
        await this.apply(r);
      } catch (err) {
        if (existing) await this.apply(existing).catch((e) => this.node.log.warn({ err: e, reservation: existing.name }, 'restoring a replaced reservation failed'));
        throw err;
      }
      this.save();
      this.node.log.info({ reservation: r.name, type: r.type, expiresAt: r.expiresAt }, 'reservation added');
      return r;
    });
  }

  /**
   * Deletes a reservation. `owner`, when given, must match (TFGW_ERR_NAME_TAKEN otherwise);
   * an unknown name is TFGW_ERR_NOT_FOUND.
   */
  remove(name: string, owner?: string): Promise<Reservation> {
    return this.serial(async () => {
      const r = this.items.get(normalizeName(name));
      if (!r) throw new TfgwError(AdminErrorCodes.NOT_FOUND, `no reservation "${normalizeName(name)}"`);
      if (owner !== undefined && owner !== r.owner) throw new TfgwError(ErrorCodes.NAME_TAKEN, `"${r.name}" is reserved by another owner`);
      await this.unapply(r);
      this.save();
      this.node.log.info({ reservation: r.name, type: r.type }, 'reservation removed');
      return r;
    });
  }

  private parse(input: Record<string, unknown>): Reservation {
    const type = input.type as ReservationType;
    if (!['name', 'delegation', 'proxy'].includes(type)) throw bad('type: expected "name", "delegation" or "proxy"');
    const now = Date.now();
    const owner = input.owner === undefined ? 'admin' : input.owner;
    if (typeof owner !== 'string' || !/^[\w.@:-]{1,128}$/.test(owner)) throw bad('owner: expected 1-128 characters of letters, digits, "_", ".", "@", ":" or "-"');
    const r: Reservation = { type, name: checkName(input.name, 'name', type !== 'delegation'), owner, createdAt: now };
    const expiresAt = checkExpiry(input, now);
    if (expiresAt !== undefined) r.expiresAt = expiresAt;
    if (type === 'name') {
      if (!findZone(r.name, this.gateway.zones)) throw bad(`name: "${r.name}" is not inside a zone of this gateway (${this.gateway.zones.join(', ')})`);
      if (input.records !== undefined) r.records = parseLabelRecords(input.records);
    } else if (input.records !== undefined) {
      throw bad(`records: only "name" reservations take records`);
    }
    if (type === 'delegation') {
      if (typeof input.agent !== 'string' || !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(input.agent)) throw bad('agent: expected the name of the agent whose services serve the zone');
      r.agent = input.agent.toLowerCase();
    }
    if (type === 'proxy') {
      if (typeof input.route !== 'string' || !/^[a-z0-9-]{1,32}:\S{1,300}$/.test(input.route)) throw bad('route: expected a route id like "http:www.demo.tfgw.localhost" (see GET /api/v1/routes)');
      r.route = input.route;
    }
    return r;
  }

  /**
   * Zones records are written to: the gateway's zones, except delegated zones that lie inside
   * another zone of the gateway (`team.tfgw.localhost`): their names are written into that
   * parent, which the DNS server already serves.
   */
  private storeZones(): string[] {
    const gw = this.gateway;
    const zones = gw.zones;
    const delegated = new Set(gw.delegations().map((d) => d.zone));
    return zones.filter((z) => !(delegated.has(z) && zones.some((o) => o !== z && isInZone(z, o))));
  }

  /** The store zone a name's records go to. */
  private zoneOf(fqdn: string): string | undefined {
    return findZone(fqdn, this.storeZones());
  }

  /** For a delegated zone nested in another zone of the gateway: that parent zone and the zone's label in it. */
  private parentOf(zone: string): { parent: string; label: string } | undefined {
    const parent = findZone(zone, this.storeZones().filter((z) => z !== zone));
    return parent ? { parent, label: relativeLabel(zone, parent) } : undefined;
  }

  private addressRecords(): LabelRecords {
    const { ipv4, ipv6 } = this.gateway.publicAddresses;
    return {
      ...(ipv4.length ? { a: ipv4.map((ip) => ({ ip, ttl: DEFAULT_TTL })) } : {}),
      ...(ipv6.length ? { aaaa: ipv6.map((ip) => ({ ip, ttl: DEFAULT_TTL })) } : {}),
    };
  }

  /** Claims the name (when inside a zone) and writes `records` for it; undoes the claim if the write fails. */
  private async claimWithRecords(r: Reservation, records: LabelRecords): Promise<void> {
    const gw = this.gateway;
    const zone = this.zoneOf(r.name);
    if (!zone) return;
    const had = gw.names().some((c) => c.fqdn === r.name);
    gw.reserveName({ fqdn: r.name, zone, owner: r.owner, kind: 'reservation', ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}) });
    try {
      await this.store?.upsert(zone, relativeLabel(r.name, zone), records);
    } catch (err) {
      if (!had) gw.releaseName(r.name);
      throw err;
    }
  }

  private async apply(r: Reservation): Promise<void> {
    const gw = this.gateway;
    if (r.type === 'name') {
      if (!this.zoneOf(r.name)) throw bad(`"${r.name}" is not inside a zone of this gateway`);
      await this.claimWithRecords(r, r.records ?? this.addressRecords());
    } else if (r.type === 'delegation') {
      const claim = gw.names().find((c) => c.fqdn === r.name);
      if (claim && claim.owner !== r.owner) throw new TfgwError(ErrorCodes.NAME_TAKEN, `"${r.name}" is owned by another owner`);
      gw.addDelegation(r.name, r.agent!, r.owner);
      const store = this.store;
      try {
        const nested = this.parentOf(r.name);
        if (store && nested) {
          await store.upsert(nested.parent, nested.label, this.addressRecords());
          await store.upsert(nested.parent, `*.${nested.label}`, this.addressRecords());
        } else if (store) {
          await ensureZoneApex(store, r.name, gw.publicAddresses);
          await store.upsert(r.name, APEX, this.addressRecords());
          await store.upsert(r.name, '*', this.addressRecords());
        }
      } catch (err) {
        gw.removeDelegation(r.name);
        throw err;
      }
    } else {
      const current = gw.routeForHost(r.name, HOST_PROTOCOLS);
      if (current && current.id !== r.route) throw new TfgwError(ErrorCodes.NAME_TAKEN, `"${r.name}" already routes to another service`);
      await this.claimWithRecords(r, this.addressRecords());
      gw.addAlias(r.name, r.route!);
    }
    this.items.set(r.name, r);
  }

  private async unapply(r: Reservation): Promise<void> {
    const gw = this.gateway;
    this.items.delete(r.name);
    if (r.type === 'delegation') {
      await this.removeRecords(r);
      gw.removeDelegation(r.name);
      return;
    }
    if (r.type === 'proxy') gw.removeAlias(r.name);
    const claim = gw.names().find((c) => c.fqdn === r.name);
    if (claim && claim.kind === 'reservation' && claim.owner === r.owner) gw.releaseName(r.name);
    await this.removeRecords(r);
  }

  /** Deletes the records a reservation wrote (also for one that expired while the gateway was down). */
  private async removeRecords(r: Reservation): Promise<void> {
    const store = this.store;
    if (!store) return;
    if (r.type === 'delegation') {
      const nested = this.node.gateway ? this.parentOf(r.name) : undefined;
      if (nested) {
        await store.delete(nested.parent, nested.label);
        await store.delete(nested.parent, `*.${nested.label}`);
      } else {
        for (const label of DELEGATION_LABELS) await store.delete(r.name, label);
      }
      return;
    }
    const zone = this.node.gateway ? this.zoneOf(r.name) : undefined;
    if (zone) await store.delete(zone, relativeLabel(r.name, zone));
  }

  /** Removes every reservation past its expiry; runs every `sweepMs`. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.serial(async () => {
        const now = Date.now();
        let changed = false;
        for (const r of [...this.items.values()]) {
          if (r.expiresAt === undefined || r.expiresAt > now) continue;
          try {
            await this.unapply(r);
          } catch (err) {
            this.node.log.warn({ err, reservation: r.name }, 'expiring a reservation failed');
          }
          this.node.log.info({ reservation: r.name, type: r.type }, 'reservation expired');
          changed = true;
        }
        if (changed) this.save();
      });
    } finally {
      this.sweeping = false;
    }
  }

  private save(): void {
    const data = `${JSON.stringify(this.list(), null, 2)}\n`;
    this.saving = this.saving
      .then(() => writeFileAtomic(this.file, data, 0o600))
      .catch((err) => this.node.log.error({ err, file: this.file }, 'could not save reservations'));
  }
}
