import { createHash, randomUUID } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import {
  ChangeNotifier,
  ErrorCodes,
  TfgwError,
  fqdn,
  isRecordType,
  normalizeLabel,
  normalizeName,
  parseLabelRecords,
  type LabelRecords,
  type RecordChangeListener,
  type RecordStore,
  type RecordType,
  type ZoneRecords,
} from '@tfgw/core';
import { MERGE_LUA } from './merge-script';

/** How the store notices writes made by others. */
export type RedisWatchMode = 'auto' | 'keyspace' | 'poll' | 'off';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** Redis URL. @default process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' */
  url?: string;
  /** Prepended to every zone key (CoreDNS's `key_prefix`). @default '' */
  prefix?: string;
  /** Appended to every zone key (CoreDNS's `key_suffix`). @default '' */
  suffix?: string;
  /**
   * Noticing writes by other tools: `keyspace` subscribes to keyspace notifications (the
   * server must have `notify-keyspace-events` with `K` and `h` or `A`), `poll` re-reads watched
   * zones every `pollMs` and reports those whose content changed, `auto` = keyspace when the
   * server has it enabled else poll, `off` = only tfgw writers are noticed. @default 'auto'
   */
  watch?: RedisWatchMode;
  /** Poll interval for `watch: 'poll'`. @default 5000 */
  pollMs?: number;
  /** Channel on which tfgw instances sharing the database tell each other about their writes. @default 'tfgw:dns:changes' */
  channel?: string;
  /** Extra ioredis options. */
  redis?: RedisOptions;
  /** Told about records other tools wrote that tfgw cannot read, and background failures. */
  onProblem?: (err: Error) => void;
}

interface ChangeMessage {
  origin: string;
  zone: string;
  label: string;
}

/**
 * Records in Redis, in the schema of CoreDNS's redis plugin: one hash per zone whose key is
 * `prefix + zone with trailing dot + suffix` (`tfgw.localhost.`), fields are labels relative
 * to the zone (`@` apex, `*` wildcard), each value one JSON object keyed by type. Records other
 * tools wrote are read leniently (bad entries are skipped and reported, never fatal); writes
 * merge atomically in a Lua script and keep keys tfgw does not know.
 */
export class RedisStore implements RecordStore {
  /** Backend name. */
  readonly kind = 'redis';
  private readonly notifier = new ChangeNotifier();
  private readonly origin = randomUUID();
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly channel: string;
  private client?: Redis;
  private subscriber?: Redis;
  private pollTimer?: NodeJS.Timeout;
  private readonly watched = new Map<string, string>(); // zone -> digest of its content
  private polling = false;

  constructor(private readonly options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? '';
    this.suffix = options.suffix ?? '';
    this.channel = options.channel ?? 'tfgw:dns:changes';
  }

  /** The Redis key of a zone's hash. */
  keyOf(zone: string): string {
    return `${this.prefix}${fqdn(zone)}${this.suffix}`;
  }

  /** Connects (and subscribes for changes). TFGW_ERR_DNS when Redis cannot be reached. */
  async open(): Promise<void> {
    if (this.client) return;
    const url = this.options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, ...this.options.redis });
    client.on('error', () => undefined); // reported through failing commands
    try {
      await client.connect();
      await client.ping();
    } catch (err) {
      client.disconnect();
      throw new TfgwError(ErrorCodes.DNS, `cannot connect to Redis at ${redact(url)}: ${(err as Error).message}`, { cause: err, details: { url: redact(url) } });
    }
    client.defineCommand('tfgwMergeLabel', { numberOfKeys: 1, lua: MERGE_LUA });
    this.client = client;
    await this.startWatching(client);
  }

  private async startWatching(client: Redis): Promise<void> {
    const sub = client.duplicate();
    sub.on('error', () => undefined);
    this.subscriber = sub;
    const keyspacePrefix = `__keyspace@${(client.options.db ?? 0) as number}__:`;
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) {
        try {
          const m = JSON.parse(message) as ChangeMessage;
          if (m.origin !== this.origin && typeof m.zone === 'string') this.notifier.emit({ zone: normalizeName(m.zone), label: typeof m.label === 'string' ? m.label : undefined });
        } catch {
          // not ours
        }
      }
    });
    sub.on('pmessage', (_pattern: string, channel: string) => {
      const key = channel.slice(keyspacePrefix.length);
      if (!key.startsWith(this.prefix) || !key.endsWith(this.suffix)) return;
      const zone = normalizeName(key.slice(this.prefix.length, key.length - this.suffix.length));
      if (zone !== '' || key === this.keyOf('')) this.notifier.emit({ zone });
    });
    await sub.subscribe(this.channel);
    let mode = this.options.watch ?? 'auto';
    if (mode === 'auto') {
      let events = '';
      try {
        const got = (await client.config('GET', 'notify-keyspace-events')) as string[];
        events = got?.[1] ?? '';
      } catch {
        events = ''; // CONFIG not allowed (managed Redis): poll
      }
      mode = /K/.test(events) && /[hA]/.test(events) ? 'keyspace' : 'poll';
    }
    if (mode === 'keyspace') await sub.psubscribe(`${keyspacePrefix}${globEscape(this.prefix)}*${globEscape(this.suffix)}`);
    if (mode === 'poll') {
      this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 5000);
      this.pollTimer.unref?.();
    }
  }

  /** Re-reads watched zones and reports those whose content changed. */
  private async poll(): Promise<void> {
    if (this.polling || !this.client) return;
    this.polling = true;
    try {
      for (const [zone, digest] of this.watched) {
        const now = digestOf(await this.client.hgetall(this.keyOf(zone)));
        if (now !== digest) {
          this.watched.set(zone, now);
          this.notifier.emit({ zone });
        }
      }
    } catch (err) {
      this.options.onProblem?.(err as Error);
    } finally {
      this.polling = false;
    }
  }

  private redis(): Redis {
    if (!this.client) throw new TfgwError(ErrorCodes.DNS, 'the redis store is not open');
    return this.client;
  }

  /** See {@link RecordStore.upsert}. */
  async upsert(zone: string, label: string, rrset: LabelRecords): Promise<void> {
    const z = normalizeName(zone);
    const l = normalizeLabel(label);
    const clean = parseLabelRecords(rrset, { strict: true });
    const patch: Record<string, unknown> = { ...clean };
    for (const k of Object.keys(rrset)) {
      const t = k.toLowerCase();
      if (isRecordType(t) && !(t in clean)) patch[t] = false;
    }
    if (Object.keys(patch).length === 0) return;
    await this.merge(z, l, patch);
  }

  /** See {@link RecordStore.delete}. */
  async delete(zone: string, label: string, type?: RecordType): Promise<boolean> {
    const z = normalizeName(zone);
    const l = normalizeLabel(label);
    if (type === undefined) {
      const n = await this.wrap(() => this.redis().hdel(this.keyOf(z), l));
      if (n > 0) await this.changed(z, l);
      return n > 0;
    }
    if (!isRecordType(type)) throw new TfgwError(ErrorCodes.DNS, `unknown record type "${String(type)}"`, { details: { type } });
    const before = await this.lookup(z, l);
    if (before?.[type] === undefined) return false;
    await this.merge(z, l, { [type]: false });
    return true;
  }

  private async merge(zone: string, label: string, patch: Record<string, unknown>): Promise<void> {
    const r = this.redis() as Redis & { tfgwMergeLabel(key: string, field: string, patch: string): Promise<number> };
    const result = await this.wrap(() => r.tfgwMergeLabel(this.keyOf(zone), label, JSON.stringify(patch)));
    if (result !== -1) await this.changed(zone, label);
  }

  private async changed(zone: string, label: string): Promise<void> {
    this.notifier.emit({ zone, label });
    if (this.watched.has(zone)) this.watched.set(zone, ''); // the next list() re-digests; a poll before it reports the zone once more (harmless)
    const message: ChangeMessage = { origin: this.origin, zone, label };
    await this.redis()
      .publish(this.channel, JSON.stringify(message))
      .catch((err: Error) => this.options.onProblem?.(err));
  }

  /** See {@link RecordStore.list}. */
  async list(zone: string): Promise<ZoneRecords> {
    const z = normalizeName(zone);
    const raw = await this.wrap(() => this.redis().hgetall(this.keyOf(z)));
    if (!this.watched.has(z) || this.watched.get(z) === '') this.watched.set(z, digestOf(raw));
    const out: ZoneRecords = new Map();
    for (const [field, value] of Object.entries(raw)) {
      const recs = this.parse(z, field, value);
      if (!recs) continue;
      let label: string;
      try {
        label = normalizeLabel(field);
      } catch (err) {
        this.problem(z, field, (err as Error).message);
        continue;
      }
      out.set(label, recs);
    }
    return out;
  }

  /** See {@link RecordStore.lookup}. */
  async lookup(zone: string, label: string): Promise<LabelRecords | undefined> {
    const z = normalizeName(zone);
    const l = normalizeLabel(label);
    const value = await this.wrap(() => this.redis().hget(this.keyOf(z), l));
    return value === null ? undefined : this.parse(z, l, value);
  }

  private parse(zone: string, field: string, value: string): LabelRecords | undefined {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      this.problem(zone, field, 'not JSON');
      return undefined;
    }
    try {
      const recs = parseLabelRecords(json, { strict: false, onInvalid: (p) => this.problem(zone, field, p) });
      return Object.keys(recs).length ? recs : undefined;
    } catch (err) {
      this.problem(zone, field, (err as Error).message);
      return undefined;
    }
  }

  private problem(zone: string, field: string, what: string): void {
    this.options.onProblem?.(new TfgwError(ErrorCodes.DNS, `redis ${this.keyOf(zone)} field "${field}": ${what}`, { details: { zone, label: field } }));
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof TfgwError) throw err;
      throw new TfgwError(ErrorCodes.DNS, `redis: ${(err as Error).message}`, { cause: err });
    }
  }

  /** See {@link RecordStore.onChange}. */
  onChange(listener: RecordChangeListener): () => void {
    return this.notifier.subscribe(listener);
  }

  /** Closes both connections. */
  async close(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    const conns = [this.subscriber, this.client].filter((c): c is Redis => c !== undefined);
    this.client = undefined;
    this.subscriber = undefined;
    await Promise.all(conns.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

function digestOf(raw: Record<string, string>): string {
  const h = createHash('sha1');
  for (const k of Object.keys(raw).sort()) h.update(k).update('\0').update(raw[k]).update('\0');
  return h.digest('hex');
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
