import type { LabelRecords, RecordType, ZoneRecords } from './records';

/** The service key under which a store plugin provides its {@link RecordStore}. */
export const DNS_STORE_SERVICE = 'dns.store';

/** What changed in a store; `label` absent means "anything in the zone may have changed". */
export interface RecordChange {
  /** Zone, normalised (lower case, no trailing dot). */
  zone: string;
  /** Relative label (`@` for the apex), or absent for a whole-zone change (reload, external edit). */
  label?: string;
}

/** A change listener; called synchronously, before the write that caused it resolves. */
export type RecordChangeListener = (change: RecordChange) => void;

/**
 * A DNS record store: the records of one or more zones in the CoreDNS redis schema.
 * Zones and labels may be given in any case, with or without trailing dot; labels are
 * relative to the zone (`@` apex, `*` wildcard). Every write notifies listeners before it
 * resolves, so a server that caches answers never serves stale data after a write.
 */
export interface RecordStore {
  /** Backend name for logs (`memory`, `redis`, `coredns-file`). */
  readonly kind: string;
  /** Connect / load. Called once from the provider's `start` tap; other members may be used after it resolves. */
  open(): Promise<void>;
  /** Merge `rrset` into the label: each type present replaces that type (an empty array removes it). TFGW_ERR_DNS on invalid records. */
  upsert(zone: string, label: string, rrset: LabelRecords): Promise<void>;
  /** Remove one type of a label, or the whole label when `type` is absent. Resolves `true` when something was removed. */
  delete(zone: string, label: string, type?: RecordType): Promise<boolean>;
  /** Every label of a zone with its records (an empty map for an unknown zone). */
  list(zone: string): Promise<ZoneRecords>;
  /** The records of one label, or `undefined` when it has none. */
  lookup(zone: string, label: string): Promise<LabelRecords | undefined>;
  /** Subscribe to changes; returns the unsubscribe function. */
  onChange(listener: RecordChangeListener): () => void;
  /** Flush pending writes and release connections / timers. */
  close(): Promise<void>;
}

/** A small listener set stores use to implement {@link RecordStore.onChange}. */
export class ChangeNotifier {
  private readonly listeners = new Set<RecordChangeListener>();

  /** Add a listener; returns its remover. */
  subscribe(listener: RecordChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tell every listener; a throwing listener does not stop the others. */
  emit(change: RecordChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // a listener's failure is its own business
      }
    }
  }
}
