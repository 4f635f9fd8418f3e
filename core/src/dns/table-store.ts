import { ErrorCodes, TfgwError } from '../errors';
import { normalizeLabel, normalizeName } from './names';
import { cloneRecords, isEmptyRecords, isRecordType, mergeRecords, type LabelRecords, type RecordType, type ZoneRecords } from './records';
import { ChangeNotifier, type RecordChangeListener, type RecordStore } from './store';
import { parseLabelRecords } from './validate';

/**
 * A {@link RecordStore} whose source of truth is an in-memory table; subclasses load it in
 * `load()` and persist it in `persist(zone)` (called after every change, so they coalesce).
 * The memory and coredns-file stores are built on it.
 */
export abstract class TableStore implements RecordStore {
  /** Backend name. */
  abstract readonly kind: string;
  /** zone -> label -> records. Subclasses fill it in `load()`. */
  protected readonly table = new Map<string, Map<string, LabelRecords>>();
  /** Listeners of changes. */
  protected readonly notifier = new ChangeNotifier();
  private opened = false;

  /** Fill {@link table} from durable storage. */
  protected abstract load(): Promise<void>;
  /** A zone changed: schedule writing it out (coalesce; must not throw). */
  protected abstract persist(zone: string): void;
  /** Write everything pending now. */
  protected abstract flush(): Promise<void>;

  /** Loads the table once. */
  async open(): Promise<void> {
    if (this.opened) return;
    await this.load();
    this.opened = true;
  }

  /** See {@link RecordStore.upsert}. */
  async upsert(zone: string, label: string, rrset: LabelRecords): Promise<void> {
    const z = normalizeName(zone);
    const l = normalizeLabel(label);
    const clean = parseLabelRecords(rrset, { strict: true });
    // keep explicit empties so they delete that type
    for (const k of Object.keys(rrset)) {
      const t = k.toLowerCase();
      if (isRecordType(t) && !(t in clean)) (clean as Record<string, unknown>)[t] = t === 'soa' ? undefined : [];
    }
    let zt = this.table.get(z);
    if (!zt) this.table.set(z, (zt = new Map()));
    const merged = mergeRecords(zt.get(l), clean);
    if (isEmptyRecords(merged)) zt.delete(l);
    else zt.set(l, merged);
    this.changed(z, l);
  }

  /** See {@link RecordStore.delete}. */
  async delete(zone: string, label: string, type?: RecordType): Promise<boolean> {
    const z = normalizeName(zone);
    const l = normalizeLabel(label);
    if (type !== undefined && !isRecordType(type)) throw new TfgwError(ErrorCodes.DNS, `unknown record type "${String(type)}"`, { details: { type } });
    const zt = this.table.get(z);
    const cur = zt?.get(l);
    if (!zt || !cur) return false;
    if (type === undefined) {
      zt.delete(l);
    } else {
      if (cur[type] === undefined) return false;
      const next = mergeRecords(cur, { [type]: type === 'soa' ? undefined : [] });
      if (isEmptyRecords(next)) zt.delete(l);
      else zt.set(l, next);
    }
    this.changed(z, l);
    return true;
  }

  /** See {@link RecordStore.list}. */
  async list(zone: string): Promise<ZoneRecords> {
    const zt = this.table.get(normalizeName(zone));
    const out: ZoneRecords = new Map();
    if (zt) for (const [l, r] of zt) out.set(l, cloneRecords(r));
    return out;
  }

  /** See {@link RecordStore.lookup}. */
  async lookup(zone: string, label: string): Promise<LabelRecords | undefined> {
    const r = this.table.get(normalizeName(zone))?.get(normalizeLabel(label));
    return r ? cloneRecords(r) : undefined;
  }

  /** See {@link RecordStore.onChange}. */
  onChange(listener: RecordChangeListener): () => void {
    return this.notifier.subscribe(listener);
  }

  /** Flushes pending writes. */
  async close(): Promise<void> {
    await this.flush();
  }

  /** Zones that hold at least one label. */
  zoneNames(): string[] {
    return [...this.table.keys()].filter((z) => (this.table.get(z)?.size ?? 0) > 0);
  }

  private changed(zone: string, label: string): void {
    this.persist(zone);
    this.notifier.emit({ zone, label });
  }
}
