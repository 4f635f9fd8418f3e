import { APEX, isEmptyRecords, type LabelRecords } from '@tfgw/core';

/**
 * One zone's records as the server reads them: label -> records, plus which names exist
 * (a name exists when it owns records or has a descendant that does: an "empty
 * non-terminal" exists too, RFC 4592 2.2.2). Updated label by label as the store changes.
 */
export class ZoneView {
  private readonly records = new Map<string, LabelRecords>();
  /** name -> number of record-owning labels at or below it. */
  private readonly nodes = new Map<string, number>();
  /** Serial used when the SOA has none: seconds of the last change, strictly increasing. */
  serial = 0;

  constructor(readonly zone: string) {
    this.touch();
  }

  /** Records at a label (relative, `@` apex). */
  get(label: string): LabelRecords | undefined {
    return this.records.get(label);
  }

  /** True when the name exists (owns records or is an empty non-terminal). */
  exists(label: string): boolean {
    return this.nodes.has(label);
  }

  /** Every label with records. */
  labels(): IterableIterator<string> {
    return this.records.keys();
  }

  /** Replaces a label's records (`undefined` or empty removes it). */
  set(label: string, recs: LabelRecords | undefined): void {
    const had = this.records.has(label);
    const has = !isEmptyRecords(recs);
    if (has) this.records.set(label, recs!);
    else this.records.delete(label);
    if (had !== has) {
      for (const name of selfAndAncestors(label)) {
        const n = (this.nodes.get(name) ?? 0) + (has ? 1 : -1);
        if (n <= 0) this.nodes.delete(name);
        else this.nodes.set(name, n);
      }
    }
  }

  /** Marks a change: bumps the fallback serial. */
  touch(): void {
    this.serial = Math.max(this.serial + 1, Math.floor(Date.now() / 1000)) >>> 0;
  }
}

/** `'a.b.c'` -> `['a.b.c', 'b.c', 'c', '@']`; `'@'` -> `['@']`. */
export function selfAndAncestors(label: string): string[] {
  if (label === APEX) return [APEX];
  const out: string[] = [];
  let rest = label;
  for (;;) {
    out.push(rest);
    const dot = rest.indexOf('.');
    if (dot < 0) break;
    rest = rest.slice(dot + 1);
  }
  out.push(APEX);
  return out;
}
