import { promises as fs } from 'node:fs';
import { CoalescedWriter } from './coalesced-writer';
import { writeFileAtomic } from './atomic-write';

/**
 * The agent names "names follow tunnels" wrote records for (fqdn -> zone), kept in a small
 * JSON file so that, after a restart, records of agents that never came back can be removed.
 */
export class TunnelLedger {
  private readonly names = new Map<string, string>();
  private readonly writer: CoalescedWriter;

  /**
   * @param file  JSON file (`{ "version": 1, "names": { "<fqdn>": "<zone>" } }`)
   * @param onError  told about failed writes
   */
  constructor(
    private readonly file: string,
    onError: (err: unknown) => void = () => undefined,
  ) {
    this.writer = new CoalescedWriter(() => writeFileAtomic(this.file, this.serialize()), 50, onError);
  }

  /** Reads the file (missing or unreadable = empty). */
  async load(): Promise<void> {
    try {
      const doc = JSON.parse(await fs.readFile(this.file, 'utf8')) as { names?: Record<string, unknown> };
      for (const [fqdn, zone] of Object.entries(doc.names ?? {})) if (typeof zone === 'string') this.names.set(fqdn, zone);
    } catch {
      // nothing recorded yet
    }
  }

  /** Records that `fqdn` (in `zone`) has records. */
  add(fqdn: string, zone: string): void {
    if (this.names.get(fqdn) === zone) return;
    this.names.set(fqdn, zone);
    this.writer.schedule();
  }

  /** Forgets `fqdn`. */
  remove(fqdn: string): void {
    if (this.names.delete(fqdn)) this.writer.schedule();
  }

  /** Every recorded name with its zone. */
  entries(): Array<[string, string]> {
    return [...this.names];
  }

  /** Writes pending changes. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  private serialize(): string {
    return `${JSON.stringify({ version: 1, names: Object.fromEntries([...this.names].sort()) }, null, 2)}\n`;
  }
}
