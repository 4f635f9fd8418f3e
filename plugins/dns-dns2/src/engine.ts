import { callHook, type DnsAnswer, type DnsQuestion, type DnsRecord, type Logger, type TfgwHooks } from '@tfgw/core';
import type { Authority } from './authority';
import { RateLimiter } from './rate-limiter';
import { cacheKey, ResponseCache, type CachedResponse } from './response-cache';
import { CLASS_ANY, CLASS_IN, FLAG, RCODE, TYPE, UDP_PLAIN_MAX, rcodeCode, typeName } from './wire/constants';
import { isProblem, parseQuery, questionName, skipName, type ParsedQuery } from './wire/query';
import { MessageWriter } from './wire/writer';

/** How the engine decides whether answers may be served from the response cache. */
export type CacheMode = 'auto' | 'always' | 'off';

/** Options of {@link DnsEngine}. */
export interface EngineOptions {
  /** Largest UDP response sent to EDNS askers (also advertised in OPT). @default 1232 */
  maxUdpSize?: number;
  /**
   * `auto`: cache when this server's store tap is the first `resolve` tap (answers of the
   * `REFUSED` kind only when it is the only one); `always`; `off`. @default 'auto'
   */
  cache?: CacheMode;
  /** Bound on cached responses. @default 100000 */
  cacheEntries?: number;
  /** Responses per second per source address over UDP; excess queries are dropped. @default unlimited */
  rateLimit?: number;
  /** Source addresses allowed to AXFR (over TCP); `['*']` for anyone. @default [] (refused) */
  axfr?: string[];
  /** Time the `resolve` hook may take before SERVFAIL. @default 5000 */
  hookTimeoutMs?: number;
}

/** Counters, for tests and metrics. */
export interface EngineStats {
  /** Queries handled (answered or dropped). */
  queries: number;
  /** Answered from the response cache. */
  cacheHits: number;
  /** Answered through the `resolve` hook. */
  cacheMisses: number;
  /** Malformed / unsupported messages answered FORMERR / NOTIMP or dropped. */
  malformed: number;
  /** Dropped by the rate limit. */
  rateLimited: number;
  /** Answered SERVFAIL. */
  servfail: number;
}

/** What the engine returns for one message: a response, several (AXFR), or nothing (drop). */
export type EngineReply = Buffer | Buffer[] | null;

/**
 * Turns query bytes into response bytes. The fast path parses the question by hand and
 * serves a pre-encoded response from the cache, patching only the ID, the RD/CD bits and
 * the question's case; misses go through `hooks.resolve` and are encoded once.
 */
export class DnsEngine {
  /** Counters. */
  readonly stats: EngineStats = { queries: 0, cacheHits: 0, cacheMisses: 0, malformed: 0, rateLimited: 0, servfail: 0 };
  private readonly cache: ResponseCache;
  private readonly maxUdp: number;
  private readonly limiter?: RateLimiter;
  private readonly hookTimeoutMs: number;
  private readonly ours = new WeakSet<DnsAnswer>();
  private cachePolicy?: { ours: boolean; nobody: boolean };

  constructor(
    private readonly hooks: TfgwHooks,
    private readonly authority: Authority,
    private readonly log: Logger,
    private readonly opts: EngineOptions = {},
    private readonly ourTap?: (q: DnsQuestion) => Promise<DnsAnswer | undefined>,
  ) {
    this.cache = new ResponseCache(opts.cacheEntries ?? 100_000);
    this.maxUdp = Math.max(UDP_PLAIN_MAX, Math.min(65535, opts.maxUdpSize ?? 1232));
    this.limiter = opts.rateLimit && opts.rateLimit > 0 ? new RateLimiter(opts.rateLimit) : undefined;
    this.hookTimeoutMs = opts.hookTimeoutMs ?? 5000;
    authority.onInvalidate = () => this.cache.clear();
  }

  /** Answers from the store (what this server's `resolve` tap returns), marked as cacheable. */
  async resolveOwn(q: DnsQuestion): Promise<DnsAnswer | undefined> {
    const a = await this.authority.resolve(q);
    if (a) this.ours.add(a);
    return a;
  }

  /**
   * Handles one message from `source` over `transport`. Never throws. Each reply is reported on
   * `hooks.dnsQuery` (type, rcode, transport) when that hook has taps.
   */
  handle(msg: Buffer, source: string, transport: 'udp' | 'tcp'): EngineReply | Promise<EngineReply> {
    const r = this.answer(msg, source, transport);
    if (this.hooks.dnsQuery.taps.length === 0) return r;
    if (r instanceof Promise) {
      return r.then((reply) => {
        this.observe(reply, transport);
        return reply;
      });
    }
    this.observe(r, transport);
    return r;
  }

  /** Tells `hooks.dnsQuery` about a reply (read back from its header and question). */
  private observe(reply: EngineReply, transport: 'udp' | 'tcp'): void {
    const b = Array.isArray(reply) ? reply[0] : reply;
    if (!b || b.length < 12) return;
    let type = 'NONE';
    if (b.readUInt16BE(4) > 0) {
      const end = skipName(b, 12);
      if (end > 0 && end + 2 <= b.length) type = typeName(b.readUInt16BE(end));
    }
    const rcode = RCODE_NAMES[b[3] & 0xf] ?? `RCODE${b[3] & 0xf}`;
    try {
      this.hooks.dnsQuery.call({ type, rcode, transport });
    } catch (err) {
      this.log.warn({ err }, 'dns: a dnsQuery tap failed');
    }
  }

  private answer(msg: Buffer, source: string, transport: 'udp' | 'tcp'): EngineReply | Promise<EngineReply> {
    this.stats.queries++;
    try {
      if (this.limiter && transport === 'udp' && !this.limiter.allow(source)) {
        this.stats.rateLimited++;
        return null;
      }
      const q = parseQuery(msg);
      if (isProblem(q)) {
        this.stats.malformed++;
        if (q.action === 'drop') return null;
        return headerOnly(q.id, q.flags, q.action === 'NOTIMP' ? RCODE.NOTIMP : RCODE.FORMERR);
      }
      const ednsClass = q.edns ? (q.edns.dnssecOk ? 2 : 1) : 0;
      const key = cacheKey(ednsClass, q.qtype, q.wireKey);
      // the key covers name, type and EDNS class; other classes and EDNS versions take the slow path
      const hit = q.qclass === CLASS_IN && (!q.edns || q.edns.version === 0) ? this.cache.get(key) : undefined;
      if (hit) {
        this.stats.cacheHits++;
        return this.patch(hit, msg, q, transport);
      }
      const name = questionName(msg, q.nameEnd);
      return this.slow(msg, q, name, key, source, transport).catch((err) => {
        this.log.warn({ err }, 'dns: answering failed');
        this.stats.servfail++;
        return this.encodeError(msg, q, name, RCODE.SERVFAIL);
      });
    } catch (err) {
      this.log.warn({ err }, 'dns: handling a message failed');
      this.stats.servfail++;
      return msg.length >= 12 && !(msg[2] & 0x80) ? headerOnly((msg[0] << 8) | msg[1], (msg[2] << 8) | msg[3], RCODE.SERVFAIL) : null;
    }
  }

  private async slow(msg: Buffer, q: ParsedQuery, name: string, key: string, source: string, transport: 'udp' | 'tcp'): Promise<EngineReply> {
    this.stats.cacheMisses++;
    if (q.edns && q.edns.version > 0) return this.encodeError(msg, q, name, RCODE.BADVERS);
    if (q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY) return this.encodeError(msg, q, name, RCODE.REFUSED);
    if (q.qtype === TYPE.OPT) return this.encodeError(msg, q, name, RCODE.FORMERR);
    if (q.qtype === TYPE.AXFR || q.qtype === TYPE.IXFR) return this.transfer(msg, q, name, source, transport);
    const generation = this.authority.generation;
    const question: DnsQuestion = { name, type: typeName(q.qtype), source, transport };
    let answer: DnsAnswer | undefined;
    try {
      answer = await callHook(() => this.hooks.resolve.promise(question), { name: 'resolve', timeoutMs: this.hookTimeoutMs });
    } catch (err) {
      this.log.warn({ err, name, type: question.type }, 'dns: resolve hook failed; SERVFAIL');
      this.stats.servfail++;
      return this.encodeError(msg, q, name, RCODE.SERVFAIL);
    }
    const entry = this.encode(msg, q, name, answer ?? refused());
    if (q.qclass === CLASS_IN && generation === this.authority.generation && this.mayCache(answer)) this.cache.set(key, entry);
    return this.patch(entry, msg, q, transport);
  }

  private mayCache(answer: DnsAnswer | undefined): boolean {
    const mode = this.opts.cache ?? 'auto';
    if (mode === 'off') return false;
    if (mode === 'always') return true;
    if (!this.cachePolicy) {
      const taps = this.hooks.resolve.taps;
      const ours = taps.length > 0 && this.ourTap !== undefined && taps[0].fn === this.ourTap;
      this.cachePolicy = { ours, nobody: ours && taps.length === 1 };
    }
    return answer ? this.cachePolicy.ours && this.ours.has(answer) : this.cachePolicy.nobody;
  }

  private async transfer(msg: Buffer, q: ParsedQuery, name: string, source: string, transport: 'udp' | 'tcp'): Promise<EngineReply> {
    const allow = this.opts.axfr ?? [];
    const zone = this.authority.zoneOf(name);
    if (q.qtype !== TYPE.AXFR) return this.encodeError(msg, q, name, RCODE.NOTIMP);
    if (transport !== 'tcp' || zone !== name || !(allow.includes('*') || allow.includes(source))) return this.encodeError(msg, q, name, RCODE.REFUSED);
    const view = await this.authority.view(zone);
    const apex = view.get('@');
    const [soa] = apex ? this.authority.rrsOf(view, zone, 'soa', apex) : [];
    if (!soa) return this.encodeError(msg, q, name, RCODE.SERVFAIL);
    const all: DnsRecord[] = [soa];
    for (const label of [...view.labels()].sort()) {
      const owner = label === '@' ? zone : `${label}.${zone}`;
      const recs = view.get(label)!;
      for (const key of ['ns', 'a', 'aaaa', 'cname', 'txt', 'mx', 'srv', 'caa'] as const) all.push(...this.authority.rrsOf(view, owner, key, recs));
    }
    all.push(soa);
    const out: Buffer[] = [];
    for (let i = 0; i < all.length; ) {
      const w = new MessageWriter();
      w.question(msg.subarray(12, q.nameEnd), name, q.qtype, q.qclass);
      let n = 0;
      while (i < all.length && w.length < 16000) {
        if (w.record(all[i])) n++;
        i++;
      }
      out.push(w.finish(q.id, FLAG.QR | FLAG.AA | (q.flags & (FLAG.RD | FLAG.CD)), [1, n, 0, 0]));
    }
    return out;
  }

  /** Encodes an answer into its full and truncated forms. */
  private encode(msg: Buffer, q: ParsedQuery, name: string, a: DnsAnswer): CachedResponse {
    const rcode = rcodeCode(a.rcode);
    const flags = FLAG.QR | (a.authoritative ? FLAG.AA : 0) | (q.flags & (FLAG.RD | FLAG.CD)) | (rcode & 0xf);
    const raw = msg.subarray(12, q.nameEnd);
    const w = new MessageWriter();
    w.question(raw, name, q.qtype, q.qclass);
    const counts: [number, number, number, number] = [1, 0, 0, 0];
    for (const rr of a.answers) if (w.record(rr)) counts[1]++;
    for (const rr of a.authority) if (w.record(rr)) counts[2]++;
    for (const rr of a.additional) if (w.record(rr)) counts[3]++;
    if (q.edns) {
      w.opt(this.maxUdp, rcode >> 4, q.edns.dnssecOk);
      counts[3]++;
    }
    const full = w.finish(q.id, flags, counts);
    const t = new MessageWriter();
    t.question(raw, name, q.qtype, q.qclass);
    if (q.edns) t.opt(this.maxUdp, rcode >> 4, q.edns.dnssecOk);
    const truncated = t.finish(q.id, flags | FLAG.TC, [1, 0, 0, q.edns ? 1 : 0]);
    return { full, truncated };
  }

  private encodeError(msg: Buffer, q: ParsedQuery, name: string, rcode: number): Buffer {
    const w = new MessageWriter();
    w.question(msg.subarray(12, q.nameEnd), name, q.qtype, q.qclass);
    if (q.edns) w.opt(this.maxUdp, rcode >> 4, q.edns.dnssecOk);
    return w.finish(q.id, FLAG.QR | (q.flags & (FLAG.RD | FLAG.CD)) | (rcode & 0xf), [1, 0, 0, q.edns ? 1 : 0]);
  }

  /** Copies a cached response and patches ID, RD/CD and the question's case. */
  private patch(entry: CachedResponse, msg: Buffer, q: ParsedQuery, transport: 'udp' | 'tcp'): Buffer {
    let src = entry.full;
    if (transport === 'udp') {
      const limit = q.edns ? Math.min(this.maxUdp, q.edns.udpSize) : UDP_PLAIN_MAX;
      if (src.length > limit) src = entry.truncated;
    }
    const out = Buffer.allocUnsafe(src.length);
    src.copy(out);
    out[0] = msg[0];
    out[1] = msg[1];
    out[2] = (out[2] & 0xfe) | (msg[2] & 0x01);
    out[3] = (out[3] & 0xef) | (msg[3] & 0x10);
    msg.copy(out, 12, 12, q.nameEnd);
    return out;
  }

  /** Empties the response cache. */
  clearCache(): void {
    this.cache.clear();
  }
}

const RCODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(RCODE).map(([k, v]) => [v, k]));

function refused(): DnsAnswer {
  return { rcode: 'REFUSED', authoritative: false, answers: [], authority: [], additional: [] };
}

/** A header-only answer echoing ID, opcode and RD (FORMERR / NOTIMP / SERVFAIL without a usable question). */
export function headerOnly(id: number, flags: number, rcode: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(FLAG.QR | (flags & 0x7800) | (flags & FLAG.RD) | (rcode & 0xf), 2);
  return b;
}
