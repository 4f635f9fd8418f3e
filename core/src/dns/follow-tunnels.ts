import type { NameClaim } from '../auth';
import type { TfgwNode } from '../node';
import { gatewayDnsFacts } from './gateway-facts';
import { relativeLabel, normalizeName } from './names';
import type { LabelRecords } from './records';
import type { RecordStore } from './store';
import { TunnelLedger } from './tunnel-ledger';
import { ensureZoneApex, type ZoneApexOptions } from './zone-apex';

/** Options of {@link followTunnels}. */
export interface FollowTunnelsOptions {
  /** TTL of the A/AAAA records written for agent names. @default 60 */
  ttl?: number;
  /** Also write `*.NAME` so `SVC.NAME.<zone>` resolves. @default true */
  wildcard?: boolean;
  /** Write SOA / NS / glue at each zone apex that lacks them, at start. @default true */
  apex?: boolean | ZoneApexOptions;
  /**
   * File remembering which agent names got records. After a restart, names in it that the
   * gateway does not own `reconcileAfterMs` after start lose their records (agents that never
   * came back). `false` keeps no ledger. Store plugins default it to `<dataDir>/dns-tunnel-names.json`.
   * @default false
   */
  ledger?: string | false;
  /** Delay before reconciling, so reconnecting agents can claim their names again. @default config `gateway.graceMs` ?? 30000 */
  reconcileAfterMs?: number;
}

/** Handle returned by {@link followTunnels}. */
export interface TunnelRecords {
  /** Run once the store is open: apex records, then names the gateway already owns; then queued events. */
  start(): Promise<void>;
  /** Resolves when every queued write so far is done. */
  idle(): Promise<void>;
  /** Cancels a pending reconciliation, waits for queued writes, writes the ledger. */
  stop(): Promise<void>;
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
  let reconcileTimer: NodeJS.Timeout | undefined;
  const ledger = opts.ledger ? new TunnelLedger(opts.ledger, (err) => node.log.warn({ err }, 'dns: writing the tunnel-name ledger failed')) : undefined;

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
      ledger?.add(normalizeName(claim.fqdn), where.zone);
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
      ledger?.remove(normalizeName(claim.fqdn));
    });
  };

  /** Removes records of ledger names the gateway does not own (agents that did not come back). */
  const reconcile = () => {
    const gw = node.gateway;
    if (!gw || !ledger) return;
    const owned = new Set(gw.names().filter((c) => c.kind === 'agent').map((c) => normalizeName(c.fqdn)));
    for (const [fqdn, zone] of ledger.entries()) {
      if (!owned.has(fqdn)) {
        node.log.info({ name: fqdn }, 'dns: removing records of an agent name no longer owned');
        remove({ fqdn, zone, owner: '', kind: 'agent' });
      }
    }
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
      await ledger?.load();
      for (const claim of node.gateway?.names() ?? []) add(claim);
      started = true;
      release();
      await chain;
      if (ledger && node.gateway) {
        reconcileTimer = setTimeout(reconcile, opts.reconcileAfterMs ?? node.config.gateway?.graceMs ?? 30000);
        reconcileTimer.unref?.();
      }
    },
    async stop() {
      if (reconcileTimer) clearTimeout(reconcileTimer);
      reconcileTimer = undefined;
      if (started) await chain;
      await ledger?.flush();
    },
    async idle() {
      if (started) await chain;
    },
  };
}
