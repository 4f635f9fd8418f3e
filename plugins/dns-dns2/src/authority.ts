import { APEX, absoluteName, findZone, isInZone, normalizeName, relativeLabel, type DnsAnswer, type DnsQuestion, type DnsRecord, type LabelRecords, type RecordStore, type RecordType } from '@tfgw/core';
import { TYPE, typeCode } from './wire/constants';
import { selfAndAncestors, ZoneView } from './zone-view';

/** Options of {@link Authority}. */
export interface AuthorityOptions {
  /** TTL of records stored without one. @default 300 */
  defaultTtl?: number;
  /** Longest CNAME chain followed inside a zone. @default 8 */
  maxCnameChain?: number;
}

const TYPE_KEYS: ReadonlyMap<number, RecordType> = new Map<number, RecordType>([
  [TYPE.A, 'a'],
  [TYPE.AAAA, 'aaaa'],
  [TYPE.CNAME, 'cname'],
  [TYPE.NS, 'ns'],
  [TYPE.TXT, 'txt'],
  [TYPE.MX, 'mx'],
  [TYPE.SRV, 'srv'],
  [TYPE.CAA, 'caa'],
  [TYPE.SOA, 'soa'],
]);

interface ZoneState {
  view?: ZoneView;
  all: boolean;
  labels: Set<string>;
  loading?: Promise<void>;
}

/**
 * Authoritative answers from a {@link RecordStore} for a set of zones (RFC 1034 4.3.2,
 * RFC 2308 negative answers, RFC 4592 wildcards, referrals at delegations). Keeps a
 * {@link ZoneView} per zone (loaded on first use), refreshed label by label from the store's change events;
 * `onInvalidate` is called synchronously on every change so caches can drop answers.
 */
export class Authority {
  private readonly states = new Map<string, ZoneState>();
  private readonly defaultTtl: number;
  private readonly maxChain: number;
  private unsubscribe?: () => void;
  /** Bumped on every store change. */
  generation = 0;
  /** Called on every store change (after `generation` is bumped). */
  onInvalidate: () => void = () => undefined;

  private readonly zoneList: () => readonly string[];

  /**
   * @param store  where records come from
   * @param zones  zones to answer for, or a function giving the current ones (the gateway's
   *   zones grow and shrink with delegations); read on every cache miss
   */
  constructor(
    private readonly store: RecordStore,
    zones: readonly string[] | (() => readonly string[]),
    opts: AuthorityOptions = {},
  ) {
    this.defaultTtl = opts.defaultTtl ?? 300;
    this.maxChain = opts.maxCnameChain ?? 8;
    if (typeof zones === 'function') this.zoneList = zones;
    else {
      const fixed = zones.map(normalizeName);
      this.zoneList = () => fixed;
    }
  }

  /** The zones answered for now. */
  get zones(): readonly string[] {
    return this.zoneList();
  }

  /** Start following the store's changes. */
  attach(): void {
    this.unsubscribe ??= this.store.onChange((c) => {
      const st = this.states.get(c.zone);
      if (st) {
        if (c.label === undefined) st.all = true;
        else st.labels.add(c.label);
      }
      this.generation++;
      this.onInvalidate();
    });
  }

  /** Stop following the store. */
  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The zone of a name, or undefined when the server is not authoritative for it. */
  zoneOf(name: string): string | undefined {
    return findZone(name, this.zoneList());
  }

  /** The up-to-date view of a zone (loads it, or the labels that changed). */
  async view(zone: string): Promise<ZoneView> {
    let st = this.states.get(zone);
    if (!st) this.states.set(zone, (st = { all: true, labels: new Set() }));
    for (;;) {
      if (st.view && !st.all && st.labels.size === 0) return st.view;
      if (!st.loading) st.loading = this.refresh(zone, st).finally(() => (st.loading = undefined));
      await st.loading;
    }
  }

  private async refresh(zone: string, st: ZoneState): Promise<void> {
    const all = st.all || !st.view;
    const labels = [...st.labels];
    st.all = false;
    st.labels.clear();
    try {
      if (all) {
        const fresh = new ZoneView(zone);
        for (const [label, recs] of await this.store.list(zone)) fresh.set(label, recs);
        if (st.view) fresh.serial = Math.max(fresh.serial, st.view.serial + 1) >>> 0;
        st.view = fresh;
      } else {
        const view = st.view!;
        const got = await Promise.all(labels.map((l) => this.store.lookup(zone, l)));
        labels.forEach((l, i) => view.set(l, got[i]));
        view.touch();
      }
    } catch (err) {
      if (all) st.all = true;
      for (const l of labels) st.labels.add(l);
      throw err;
    }
  }

  /** The `resolve` hook tap: an answer for names in our zones, `undefined` for others. */
  async resolve(q: DnsQuestion): Promise<DnsAnswer | undefined> {
    const name = normalizeName(q.name);
    const zone = this.zoneOf(name);
    if (zone === undefined) return undefined;
    const view = await this.view(zone);
    return this.answer(view, name, typeCode(q.type) ?? -1);
  }

  /** Computes the answer for `name` (inside `view`'s zone) and a QTYPE. Synchronous. */
  answer(view: ZoneView, name: string, qtype: number): DnsAnswer {
    const out: DnsAnswer = { rcode: 'NOERROR', authoritative: true, answers: [], authority: [], additional: [] };
    let current = name;
    const seen = new Set<string>();
    for (let hop = 0; ; hop++) {
      seen.add(current);
      const step = this.step(view, current, qtype, out);
      if (step === undefined) return out;
      // a CNAME to follow
      if (hop + 1 >= this.maxChain || seen.has(step) || !isInZone(step, view.zone)) return out;
      current = step;
    }
  }

  /** One lookup of RFC 1034 4.3.2; returns a CNAME target to chase, or undefined when done. */
  private step(view: ZoneView, name: string, qtype: number, out: DnsAnswer): string | undefined {
    const zone = view.zone;
    const rel = relativeLabel(name, zone);
    // walk down from the apex: a non-apex NS set is a zone cut -> referral
    const chain = selfAndAncestors(rel).reverse(); // '@', 'c', 'b.c', 'a.b.c'
    for (let i = 1; i < chain.length; i++) {
      const label = chain[i];
      if (!view.exists(label)) break;
      const recs = view.get(label);
      if (recs?.ns?.length && !(label === rel && qtype === TYPE.DS)) {
        if (out.answers.length > 0) return undefined; // CNAME into a delegation: the resolver follows it
        this.referral(view, label, recs, out);
        return undefined;
      }
    }
    const exact = view.get(rel);
    if (exact) return this.fromNode(view, name, exact, qtype, out);
    if (view.exists(rel)) return this.negative(view, out, 'NOERROR');
    // closest encloser, then its wildcard (RFC 4592 3.3.1)
    let encloser = APEX;
    for (let i = chain.length - 2; i >= 0; i--) {
      if (view.exists(chain[i])) {
        encloser = chain[i];
        break;
      }
    }
    const wild = encloser === APEX ? '*' : `*.${encloser}`;
    if (view.exists(wild)) {
      const recs = view.get(wild);
      if (recs) return this.fromNode(view, name, recs, qtype, out);
      return this.negative(view, out, 'NOERROR');
    }
    return this.negative(view, out, 'NXDOMAIN');
  }

  private fromNode(view: ZoneView, owner: string, recs: LabelRecords, qtype: number, out: DnsAnswer): string | undefined {
    const cname = recs.cname?.[0];
    if (cname && qtype !== TYPE.CNAME && qtype !== TYPE.ANY) {
      out.answers.push(this.rr(owner, 'CNAME', cname.ttl, { host: normalizeName(cname.host) }));
      return normalizeName(cname.host);
    }
    if (qtype === TYPE.ANY) {
      for (const key of TYPE_KEYS.values()) out.answers.push(...this.rrsOf(view, owner, key, recs));
      if (out.answers.length === 0) this.negative(view, out, 'NOERROR');
      return undefined;
    }
    const key = TYPE_KEYS.get(qtype);
    const rrs = key ? this.rrsOf(view, owner, key, recs) : [];
    if (rrs.length === 0) {
      this.negative(view, out, 'NOERROR');
      return undefined;
    }
    out.answers.push(...rrs);
    if (key === 'mx' || key === 'srv' || key === 'ns') {
      for (const rr of rrs) this.glue(view, String(rr.data.host ?? rr.data.target), out.additional);
    }
    return undefined;
  }

  private referral(view: ZoneView, cut: string, recs: LabelRecords, out: DnsAnswer): void {
    out.authoritative = false;
    const owner = absoluteName(cut, view.zone);
    out.authority.push(...this.rrsOf(view, owner, 'ns', recs));
    for (const ns of recs.ns ?? []) this.glue(view, normalizeName(ns.host), out.additional);
  }

  /** A/AAAA of `host` when it lies in the zone and owns them (glue / additional data). */
  private glue(view: ZoneView, host: string, into: DnsRecord[]): void {
    const h = normalizeName(host);
    if (!isInZone(h, view.zone)) return;
    const recs = view.get(relativeLabel(h, view.zone));
    if (!recs) return;
    if (into.some((r) => r.name === h)) return;
    into.push(...this.rrsOf(view, h, 'a', recs), ...this.rrsOf(view, h, 'aaaa', recs));
  }

  /** NXDOMAIN / NODATA with the SOA in authority (TTL = min(SOA TTL, minimum), RFC 2308). */
  private negative(view: ZoneView, out: DnsAnswer, rcode: 'NOERROR' | 'NXDOMAIN'): undefined {
    out.rcode = rcode;
    const soa = view.get(APEX)?.soa;
    if (soa) {
      const [rr] = this.rrsOf(view, view.zone, 'soa', { soa });
      rr.ttl = Math.min(rr.ttl, soa.minttl);
      out.authority.push(rr);
    }
    return undefined;
  }

  private rr(name: string, type: string, ttl: number | undefined, data: Record<string, unknown>): DnsRecord {
    return { name, type, ttl: ttl ?? this.defaultTtl, data };
  }

  /** The records of one type of a label, as `resolve` answers carry them (owner `owner`, default TTL applied). */
  rrsOf(view: ZoneView, owner: string, key: RecordType, recs: LabelRecords): DnsRecord[] {
    switch (key) {
      case 'a':
        return (recs.a ?? []).map((r) => this.rr(owner, 'A', r.ttl, { ip: r.ip }));
      case 'aaaa':
        return (recs.aaaa ?? []).map((r) => this.rr(owner, 'AAAA', r.ttl, { ip: r.ip }));
      case 'cname':
        return (recs.cname ?? []).slice(0, 1).map((r) => this.rr(owner, 'CNAME', r.ttl, { host: normalizeName(r.host) }));
      case 'ns':
        return (recs.ns ?? []).map((r) => this.rr(owner, 'NS', r.ttl, { host: normalizeName(r.host) }));
      case 'txt':
        return (recs.txt ?? []).map((r) => this.rr(owner, 'TXT', r.ttl, { text: r.text }));
      case 'mx':
        return (recs.mx ?? []).map((r) => this.rr(owner, 'MX', r.ttl, { host: normalizeName(r.host), preference: r.preference }));
      case 'srv':
        return (recs.srv ?? []).map((r) => this.rr(owner, 'SRV', r.ttl, { target: normalizeName(r.target), port: r.port, priority: r.priority, weight: r.weight }));
      case 'caa':
        return (recs.caa ?? []).map((r) => this.rr(owner, 'CAA', r.ttl, { flag: r.flag, tag: r.tag, value: r.value }));
      case 'soa': {
        const s = recs.soa;
        if (!s) return [];
        return [this.rr(owner, 'SOA', s.ttl, { ns: normalizeName(s.ns), mbox: normalizeName(s.mbox), serial: s.serial ?? view.serial, refresh: s.refresh, retry: s.retry, expire: s.expire, minttl: s.minttl })];
      }
    }
  }
}
