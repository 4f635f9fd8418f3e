import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CoalescedWriter, ErrorCodes, TableStore, TfgwError, normalizeName, writeFileAtomic, type LabelRecords } from '@tfgw/core';
import { ZONE_FILE_DEFAULT_TTL, parseZoneFile, renderZoneFile } from './zone-file';

/** Options of {@link ZoneFileStore}. */
export interface ZoneFileStoreOptions {
  /** Folder of the zone files (`db.<zone>`). */
  dir: string;
  /** Coalescing window of file writes, in ms. @default 50 */
  debounceMs?: number;
  /** `$TTL` of the files. @default 300 */
  defaultTtl?: number;
  /** Told after each zone file is written (tests run named-checkzone here). */
  onWritten?: (file: string, zone: string, serial: number) => void;
  /** Told about lines / records left out and failed background writes. */
  onProblem?: (err: Error) => void;
}

/** `db.<zone>`: the file name of a zone. */
export function zoneFileName(zone: string): string {
  return `db.${normalizeName(zone)}`;
}

/**
 * Records kept in memory (the source of truth) and written as one RFC 1035 zone file per
 * zone, `<dir>/db.<zone>`, for CoreDNS's `file` plugin with `reload`. Every write bumps the
 * SOA serial (date-based `YYYYMMDDnn`, always increasing) and is atomic (temp file + rename),
 * coalesced per zone. On open, existing `db.*` files are loaded (their serial is continued).
 * The serial lives in the files only: records in the store carry none.
 */
export class ZoneFileStore extends TableStore {
  /** Backend name. */
  readonly kind = 'coredns-file';
  private readonly writers = new Map<string, CoalescedWriter>();
  private readonly serials = new Map<string, number>();

  constructor(private readonly options: ZoneFileStoreOptions) {
    super();
  }

  /** The folder. */
  get dir(): string {
    return this.options.dir;
  }

  /** Path of a zone's file. */
  fileOf(zone: string): string {
    return path.join(this.options.dir, zoneFileName(zone));
  }

  /** Current SOA serial of a zone (0 when never written). */
  serialOf(zone: string): number {
    return this.serials.get(normalizeName(zone)) ?? 0;
  }

  protected async load(): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.options.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new TfgwError(ErrorCodes.DNS, `cannot read zone folder ${this.options.dir}: ${(err as Error).message}`, { cause: err, details: { dir: this.options.dir } });
    }
    for (const name of names) {
      if (!name.startsWith('db.') || name.endsWith('.tmp')) continue;
      const zone = normalizeName(name.slice(3));
      const file = path.join(this.options.dir, name);
      const text = await fs.readFile(file, 'utf8');
      const parsed = parseZoneFile(text, zone, (line, why) => this.options.onProblem?.(new TfgwError(ErrorCodes.DNS, `${file}:${line}: ${why}`, { details: { file, line } })), {
        implicitTtl: this.options.defaultTtl ?? ZONE_FILE_DEFAULT_TTL,
      });
      this.table.set(zone, parsed.records as Map<string, LabelRecords>);
      if (parsed.serial !== undefined) this.serials.set(zone, parsed.serial);
    }
  }

  protected persist(zone: string): void {
    let w = this.writers.get(zone);
    if (!w) {
      w = new CoalescedWriter(() => this.write(zone), this.options.debounceMs ?? 50, (err) => this.options.onProblem?.(err as Error));
      this.writers.set(zone, w);
    }
    w.schedule();
  }

  protected async flush(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.flush()));
  }

  private async write(zone: string): Promise<void> {
    const serial = nextSerial(this.serials.get(zone) ?? 0, new Date());
    this.serials.set(zone, serial);
    const records = this.table.get(zone) ?? new Map<string, LabelRecords>();
    const text = renderZoneFile(zone, records, {
      serial,
      defaultTtl: this.options.defaultTtl,
      onSkip: (label, why) => this.options.onProblem?.(new TfgwError(ErrorCodes.DNS, `zone ${zone}: ${label}: ${why}; left out of the file`, { details: { zone, label } })),
    });
    const file = this.fileOf(zone);
    await writeFileAtomic(file, text);
    this.options.onWritten?.(file, zone, serial);
  }
}

/** The next date-based serial: `YYYYMMDD00` of `now` or `previous + 1`, whichever is larger (RFC 1982 space). */
export function nextSerial(previous: number, now: Date): number {
  const dated = (now.getUTCFullYear() * 10000 + (now.getUTCMonth() + 1) * 100 + now.getUTCDate()) * 100;
  return Math.max(previous + 1, dated) >>> 0;
}
