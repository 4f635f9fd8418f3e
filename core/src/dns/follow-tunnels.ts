import type { NameClaim } from '../auth';
import type { TfgwNode } from '../node';
import { gatewayDnsFacts } from './gateway-facts';
import { relativeLabel, normalizeName } from './names';
import type { LabelRecords } from './records';
import type { RecordStore } from './store';
import { ensureZoneApex, type ZoneApexOptions } from './zone-apex';

/** Options of {@link followTunnels}. */
export interface FollowTunnelsOptions {
  /** TTL of the A/AAAA records written for agent names. @default 60 */
  ttl?: number;
  /** Also write `*.NAME` so `SVC.NAME.<zone>` resolves. @default true */
  wildcard?: boolean;
  /** Write SOA / NS / glue at each zone apex that lacks them, at start. @default true */
  apex?: boolean | ZoneApexOptions;
}

/** Handle returned by {@link followTunnels}. */
export interface TunnelRecords {
  /** Run once the store is open: apex records, then names the gateway already owns; then queued events. */
  start(): Promise<void>;
  /** Resolves when every queued write so far is done. */
  idle(): Promise<void>;
}

/**
 * "Names follow tunnels", for any {@link RecordStore}: taps `hooks.nameAdded` /
 * `hooks.nameRemoved` and, for claims of kind `agent`, writes (or deletes) A/AAAA records
 * with the gateway's public addresses at `NAME` and `*.NAME` in the claim's zone.
 * Reservations get no records. Writes are queued in order; events that arrive before
 * `start()` wait for it. Failures are logged and reported on `hooks.error`, never thrown
 * into the hook caller. Store plugins call this from `apply`.
 */
export function followTunnels(node: TfgwNode, store: RecordStore, opts: FollowTunnelsOptions = {}): TunnelRecords {
  const ttl = opts.ttl ?? 60;
  const wildcard = opts.wildcard ?? true;
  let release!: () => void;
  const ready = new Promise<void>((r) => (release = r));
  let chain: Promise<void> = ready;
  let started = false;

  const enqueue = (what: string, fn: () => Promise<unknown>) => {
    chain = chain.then(fn).then(
      () => undefined,
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        node.log.warn({ err: e }, `dns: ${what} failed`);
        node.hooks.error.call(e, { source: 'plugin:dns-store' });
      },
    );
  };

  const labelsOf = (claim: NameClaim): { zone: string; labels: string[] } | undefined => {
    let zone: string;
    let label: string;
    try {
      zone = normalizeName(claim.zone);
      label = relativeLabel(claim.fqdn, zone);
    } catch (err) {
      node.log.warn({ err, claim }, 'dns: claim is not inside its zone; no records written');
      return undefined;
    }
    if (label === '@') return { zone, labels: ['@'] };
    return { zone, labels: wildcard ? [label, `*.${label}`] : [label] };
  };

  const add = (claim: NameClaim) => {
    if (claim.kind !== 'agent') return;
    const where = labelsOf(claim);
    if (!where) return;
    enqueue(`records for ${claim.fqdn}`, async () => {
      const { ipv4, ipv6 } = gatewayDnsFacts(node);
      const rrset: LabelRecords = { a: ipv4.map((ip) => ({ ip, ttl })), aaaa: ipv6.map((ip) => ({ ip, ttl })) };
      for (const label of where.labels) await store.upsert(where.zone, label, rrset);
    });
  };

  const remove = (claim: NameClaim) => {
    if (claim.kind !== 'agent') return;
    const where = labelsOf(claim);
    if (!where) return;
    enqueue(`removing records of ${claim.fqdn}`, async () => {
      for (const label of where.labels) {
        await store.delete(where.zone, label, 'a');
        await store.delete(where.zone, label, 'aaaa');
      }
    });
  };

  node.hooks.nameAdded.tap('dns-follow-tunnels', add);
  node.hooks.nameRemoved.tap('dns-follow-tunnels', remove);

  return {
    async start() {
      const facts = gatewayDnsFacts(node);
      if (opts.apex !== false) {
        const apexOpts = typeof opts.apex === 'object' ? opts.apex : {};
        for (const zone of facts.zones) await ensureZoneApex(store, zone, facts, apexOpts);
      }
      for (const claim of node.gateway?.names() ?? []) add(claim);
      started = true;
      release();
      await chain;
    },
    async idle() {
      if (started) await chain;
    },
  };
}
