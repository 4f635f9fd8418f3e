import { promises as fs } from 'node:fs';
import { CoalescedWriter, ErrorCodes, TableStore, TfgwError, fqdn, normalizeLabel, normalizeName, parseLabelRecords, writeFileAtomic, type LabelRecords } from '@tfgw/core';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** JSON file the records persist to; absent = memory only. */
  file?: string;
  /** Coalescing window of file writes, in ms. @default 50 */
  debounceMs?: number;
  /** Told about a failed background write (the next change or `close()` retries). */
  onError?: (err: unknown) => void;
}

/** Version of the JSON file format. */
export const MEMORY_FILE_VERSION = 1;

/**
 * The embedded default store: records live in memory and persist to one JSON file,
 * `{ "version": 1, "zones": { "<zone>.": { "<label>": { ...records } } } }` (the same
 * per-label objects as the redis schema), written atomically (temp file + rename) and
 * coalesced, so a burst of changes costs one write and a restart loses nothing.
 */
export class MemoryStore extends TableStore {
  /** Backend name. */
  readonly kind = 'memory';
  private readonly writer: CoalescedWriter | undefined;

  constructor(private readonly options: MemoryStoreOptions = {}) {
    super();
    const file = options.file;
    this.writer = file ? new CoalescedWriter(() => writeFileAtomic(file, this.serialize()), options.debounceMs ?? 50, options.onError) : undefined;
  }

  /** The file, if any. */
  get file(): string | undefined {
    return this.options.file;
  }

  protected async load(): Promise<void> {
    const file = this.options.file;
    if (!file) return;
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new TfgwError(ErrorCodes.DNS, `cannot read DNS records file ${file}: ${(err as Error).message}`, { cause: err, details: { file } });
    }
    let doc: { version?: unknown; zones?: Record<string, Record<string, unknown>> };
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new TfgwError(ErrorCodes.DNS, `DNS records file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err, details: { file } });
    }
    if (typeof doc !== 'object' || doc === null || typeof doc.zones !== 'object' || doc.zones === null) {
      throw new TfgwError(ErrorCodes.DNS, `DNS records file ${file} has no "zones" object`, { details: { file } });
    }
    for (const [zone, labels] of Object.entries(doc.zones)) {
      const zt = new Map<string, LabelRecords>();
      for (const [label, recs] of Object.entries(labels ?? {})) {
        const parsed = parseLabelRecords(recs, { strict: false, onInvalid: (p) => this.options.onError?.(new TfgwError(ErrorCodes.DNS, `${file}: ${zone} ${label}: ${p}`)) });
        if (Object.keys(parsed).length) zt.set(normalizeLabel(label), parsed);
      }
      this.table.set(normalizeName(zone), zt);
    }
  }

  protected persist(): void {
    this.writer?.schedule();
  }

  protected async flush(): Promise<void> {
    await this.writer?.flush();
  }

  private serialize(): string {
    const zones: Record<string, Record<string, LabelRecords>> = {};
    for (const zone of [...this.table.keys()].sort()) {
      const labels: Record<string, LabelRecords> = {};
      const zt = this.table.get(zone)!;
      for (const label of [...zt.keys()].sort()) labels[label] = zt.get(label)!;
      zones[fqdn(zone)] = labels;
    }
    return `${JSON.stringify({ version: MEMORY_FILE_VERSION, zones }, null, 2)}\n`;
  }
}
