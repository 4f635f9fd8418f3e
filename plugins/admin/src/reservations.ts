import fs from 'node:fs';
import path from 'node:path';
import { DNS_STORE_SERVICE, ErrorCodes, TfgwError, writeFileAtomic, type GatewayApi, type RecordStore, type TfgwNode, type LabelRecords } from '@tfgw/core';

/** Kinds of reservation. */
export type ReservationType = 'name' | 'delegation' | 'proxy';

/** An operator reservation, as the API shows and persists it. */
export interface Reservation {
  /** `name`: records for a name; `delegation`: a whole zone served by an agent; `proxy`: a hostname routed to a route. */
  type: ReservationType;
  /** The fqdn (name), zone (delegation) or hostname (proxy), lower case, no trailing dot. */
  name: string;
  /** Owner id; another owner gets 409. */
  owner: string;
  /** Epoch ms after which it lapses. */
  expiresAt?: number;
  /** Records published for a `name` reservation (default: A/AAAA of the gateway). */
  records?: LabelRecords;
  /** Agent whose services serve a delegated zone. */
  agent?: string;
  /** Route id a `proxy` hostname points at, e.g. `http:www.demo.tfgw.localhost`. */
  route?: string;
  /** Epoch ms when made. */
  createdAt: number;
}

const norm = (n: string) => String(n).toLowerCase().replace(/\.$/, '');

/**
 * Reservations: applied to the gateway (names, delegations, aliases) and the DNS store,
 * persisted to a JSON file so a restart keeps them, swept when they expire.
 */
export class Reservations {
  private readonly items = new Map<string, Reservation>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly node: TfgwNode, private readonly file: string) {}

  private get gateway(): GatewayApi {
    if (!this.node.gateway) throw new TfgwError(ErrorCodes.CONFIG, 'reservations need the gateway role');
    return this.node.gateway;
  }

  private get store(): RecordStore | undefined {
    return this.node.services.lookup<RecordStore>(DNS_STORE_SERVICE);
  }

  /** All reservations. */
  list(): Reservation[] {
    return [...this.items.values()];
  }

  /** Load the persisted reservations and apply those not yet expired. */
  async load(sweepMs: number): Promise<void> {
    let saved: Reservation[] = [];
    try {
      saved = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Reservation[];
    } catch {
      // No file yet, or unreadable: start empty (the next write replaces it atomically).
    }
    for (const r of saved) {
      try {
        if (!r.expiresAt || r.expiresAt > Date.now()) await this.apply(r);
      } catch (err) {
        this.node.log.warn({ err, reservation: r.name }, 'a saved reservation could not be applied');
      }
    }
    this.timer = setInterval(() => void this.sweep(), sweepMs);
    this.timer.unref();
  }

  /** Stop sweeping. */
  close(): void {
    clearInterval(this.timer);
  }

  /** Validate, apply and persist a new reservation. 409-worthy conflicts throw TFGW_ERR_NAME_TAKEN. */
  async add(input: Record<string, unknown>): Promise<Reservation> {
    const type = input.type as ReservationType;
    if (!['name', 'delegation', 'proxy'].includes(type)) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'type: expected "name", "delegation" or "proxy"');
    if (typeof input.name !== 'string' || !/^(\*\.)?([a-z0-9_-]+\.)*[a-z0-9_-]+\.?$/i.test(input.name)) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'name: expected a domain name');
    const owner = typeof input.owner === 'string' && input.owner ? input.owner : 'admin';
    let expiresAt: number | undefined;
    if (input.ttlSeconds !== undefined) {
      if (typeof input.ttlSeconds !== 'number' || input.ttlSeconds <= 0) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'ttlSeconds: expected a positive number');
      expiresAt = Date.now() + input.ttlSeconds * 1000;
    } else if (input.expiresAt !== undefined) {
      if (typeof input.expiresAt !== 'number') throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'expiresAt: expected epoch milliseconds');
      expiresAt = input.expiresAt;
    }
    const r: Reservation = { type, name: norm(input.name), owner, expiresAt, createdAt: Date.now() };
    if (type === 'name' && input.records !== undefined) {
      if (typeof input.records !== 'object' || input.records === null) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'records: expected an object of record arrays by type');
      r.records = input.records as LabelRecords;
    }
    if (type === 'delegation') {
      if (typeof input.agent !== 'string') throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'agent: expected the agent name whose services serve the zone');
      r.agent = input.agent.toLowerCase();
    }
    if (type === 'proxy') {
      if (typeof input.route !== 'string') throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'route: expected a route id like "http:www.demo.tfgw.localhost"');
      r.route = input.route;
    }
    const existing = this.items.get(r.name);
    if (existing && existing.owner !== owner) throw new TfgwError(ErrorCodes.NAME_TAKEN, `"${r.name}" is reserved by another owner`);
    if (existing) await this.unapply(existing);
    await this.apply(r);
    this.save();
    return r;
  }

  /** Delete a reservation by name. */
  async remove(name: string): Promise<boolean> {
    const r = this.items.get(norm(name));
    if (!r) return false;
    await this.unapply(r);
    this.save();
    return true;
  }

  private zoneOf(fqdn: string): string | undefined {
    return [...this.gateway.zones].sort((a, b) => b.length - a.length).find((z) => fqdn === z || fqdn.endsWith(`.${z}`));
  }

  private defaultRecords(): LabelRecords {
    const gw = this.gateway;
    return {
      ...(gw.publicAddresses.ipv4.length ? { a: gw.publicAddresses.ipv4.map((ip) => ({ ip, ttl: 60 })) } : {}),
      ...(gw.publicAddresses.ipv6.length ? { aaaa: gw.publicAddresses.ipv6.map((ip) => ({ ip, ttl: 60 })) } : {}),
    };
  }

  private async apply(r: Reservation): Promise<void> {
    const gw = this.gateway;
    if (r.type === 'name') {
      const zone = this.zoneOf(r.name);
      if (!zone) throw new TfgwError(ErrorCodes.BAD_MESSAGE, `"${r.name}" is not inside any zone of this gateway (${gw.zones.join(', ')})`);
      gw.reserveName({ fqdn: r.name, zone, owner: r.owner, kind: 'reservation', expiresAt: r.expiresAt });
      const label = r.name === zone ? '@' : r.name.slice(0, -(zone.length + 1));
      await this.store?.upsert(zone, label, r.records ?? this.defaultRecords());
    } else if (r.type === 'delegation') {
      gw.addDelegation(r.name, r.agent!, r.owner);
      const store = this.store;
      if (store) {
        await store.upsert(r.name, '@', this.defaultRecords());
        await store.upsert(r.name, '*', this.defaultRecords());
      }
    } else {
      const taken = this.items.get(r.name);
      if (taken && taken.owner !== r.owner) throw new TfgwError(ErrorCodes.NAME_TAKEN, `"${r.name}" is reserved by another owner`);
      if (gw.routeForHost(r.name, ['http', 'ws', 'tls', 'tcp'])) {
        const route = gw.routeForHost(r.name, ['http', 'ws', 'tls', 'tcp'])!;
        if (route.id !== r.route) throw new TfgwError(ErrorCodes.NAME_TAKEN, `"${r.name}" already routes to ${route.id}`);
      }
      gw.addAlias(r.name, r.route!);
    }
    this.items.set(r.name, r);
  }

  private async unapply(r: Reservation): Promise<void> {
    const gw = this.gateway;
    this.items.delete(r.name);
    if (r.type === 'name') {
      gw.releaseName(r.name);
      const zone = this.zoneOf(r.name);
      if (zone) await this.store?.delete(zone, r.name === zone ? '@' : r.name.slice(0, -(zone.length + 1)));
    } else if (r.type === 'delegation') {
      const store = this.store;
      if (store) {
        await store.delete(r.name, '@');
        await store.delete(r.name, '*');
      }
      gw.removeDelegation(r.name);
    } else {
      gw.removeAlias(r.name);
    }
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    let changed = false;
    for (const r of [...this.items.values()]) {
      if (r.expiresAt !== undefined && r.expiresAt <= now) {
        await this.unapply(r).catch((err) => this.node.log.warn({ err, reservation: r.name }, 'expiring a reservation failed'));
        this.node.log.info({ reservation: r.name, type: r.type }, 'reservation expired');
        changed = true;
      }
    }
    if (changed) this.save();
  }

  /** Writes are chained so an older list never lands after a newer one. */
  private saving: Promise<void> = Promise.resolve();
  private save(): void {
    const data = JSON.stringify(this.list(), null, 2);
    this.saving = this.saving
      .then(async () => {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
        await writeFileAtomic(this.file, data, 0o600);
      })
      .catch((err) => this.node.log.error({ err, file: this.file }, 'could not save reservations'));
  }

  /** Resolves once pending writes are on disk. */
  flush(): Promise<void> {
    return this.saving;
  }
}
