/** One DNS question as the `resolve` hook sees it. */
export interface DnsQuestion {
  /** Query name, lower case, no trailing dot. */
  name: string;
  /** Record type mnemonic: `A`, `AAAA`, `TXT`, ... */
  type: string;
  /** Source address of the querier `ip`. */
  source?: string;
  /** Wire transport of the query. */
  transport: 'udp' | 'tcp';
}

/** One resource record in a `resolve` answer. */
export interface DnsRecord {
  /** Owner name, no trailing dot. */
  name: string;
  /** Type mnemonic. */
  type: string;
  /** TTL in seconds. */
  ttl: number;
  /** Type-specific fields (`{ ip }`, `{ host }`, `{ text }`, ...). */
  data: Record<string, unknown>;
}

/** An answer to a DNS question; the first `resolve` tap that returns one wins. */
export interface DnsAnswer {
  /** Response code mnemonic. */
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'SERVFAIL' | 'FORMERR';
  /** AA flag. */
  authoritative: boolean;
  /** Answer section. */
  answers: DnsRecord[];
  /** Authority section. */
  authority: DnsRecord[];
  /** Additional section. */
  additional: DnsRecord[];
}
