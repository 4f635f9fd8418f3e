import { APEX, absoluteName, fqdn, isInZone, relativeLabel } from './names';
import type { RecordStore } from './store';

/** Defaults written at a zone apex that has none. */
export interface ZoneApexOptions {
  /** TTL of the SOA, NS and glue records. @default 3600 */
  ttl?: number;
  /** SOA timers. @default { refresh: 3600, retry: 600, expire: 604800, minttl: 60 } */
  soa?: { refresh?: number; retry?: number; expire?: number; minttl?: number };
}

/**
 * Makes sure a zone can be served: writes an SOA at the apex if it has none, and NS
 * `ns1.<zone>` with A/AAAA glue (the public addresses) if the apex has no NS. Existing
 * records are never changed. Resolves with what it wrote (`soa`, `ns`, `glue`).
 */
export async function ensureZoneApex(
  store: RecordStore,
  zone: string,
  addresses: { ipv4: readonly string[]; ipv6: readonly string[] },
  opts: ZoneApexOptions = {},
): Promise<string[]> {
  const ttl = opts.ttl ?? 3600;
  const wrote: string[] = [];
  const apex = await store.lookup(zone, APEX);
  const nsHost = fqdn(absoluteName('ns1', zone));
  if (!apex?.soa) {
    await store.upsert(zone, APEX, {
      soa: {
        ttl,
        ns: apex?.ns?.[0]?.host ?? nsHost,
        mbox: fqdn(absoluteName('hostmaster', zone)),
        refresh: opts.soa?.refresh ?? 3600,
        retry: opts.soa?.retry ?? 600,
        expire: opts.soa?.expire ?? 604800,
        minttl: opts.soa?.minttl ?? 60,
      },
    });
    wrote.push('soa');
  }
  if (!apex?.ns?.length) {
    await store.upsert(zone, APEX, { ns: [{ host: nsHost, ttl }] });
    wrote.push('ns');
    if (isInZone(nsHost, zone)) {
      const label = relativeLabel(nsHost, zone);
      const glue = await store.lookup(zone, label);
      if (!glue?.a?.length && !glue?.aaaa?.length && (addresses.ipv4.length || addresses.ipv6.length)) {
        await store.upsert(zone, label, {
          ...(addresses.ipv4.length ? { a: addresses.ipv4.map((ip) => ({ ip, ttl })) } : {}),
          ...(addresses.ipv6.length ? { aaaa: addresses.ipv6.map((ip) => ({ ip, ttl })) } : {}),
        });
        wrote.push('glue');
      }
    }
  }
  return wrote;
}
