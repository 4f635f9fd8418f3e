import type net from 'node:net';
import { DNS_STORE_SERVICE, ErrorCodes, TfgwError, gatewayDnsFacts, type DnsAnswer, type DnsQuestion, type RecordStore, type TfgwNode } from '@tfgw/core';
import { Authority } from './authority';
import { DnsEngine, type EngineOptions, type EngineStats } from './engine';
import { parseListenAddress } from './listen-address';
import { listenTcp, type TcpLimits, type TcpListener } from './tcp-listener';
import { listenUdp, type UdpListener } from './udp-listener';

/** Options of the `dns-dns2` plugin / {@link DnsServer}. */
export interface DnsServerOptions extends EngineOptions {
  /** Address(es) to serve on, UDP and TCP both. @default '127.0.0.1:5353' */
  listen?: string | number | Array<string | number>;
  /** Zones to be authoritative for. @default the gateway's zones, read live (configured zones plus delegations; without a gateway role `gateway.zones`, else `zone`, else `tfgw.localhost`) */
  zones?: string[];
  /** TTL of records stored without one. @default 300 */
  defaultTtl?: number;
  /** Serve UDP. @default true */
  udp?: boolean;
  /** Serve TCP. @default true */
  tcp?: boolean;
  /** TCP limits. */
  tcpLimits?: TcpLimits;
}

/** What `node.services.lookup('dns.server')` gives: bound addresses and counters. */
export class DnsServer {
  private udp: UdpListener[] = [];
  private tcp: TcpListener[] = [];
  private authority?: Authority;
  private engine?: DnsEngine;

  constructor(
    private readonly node: TfgwNode,
    private readonly options: DnsServerOptions = {},
  ) {}

  /** The `resolve` tap: store answers for names in our zones, `undefined` for others. */
  readonly resolveTap = async (q: DnsQuestion): Promise<DnsAnswer | undefined> => {
    if (!this.engine) return undefined;
    return this.engine.resolveOwn(q);
  };

  /** Looks up the store, binds UDP and TCP. */
  async start(): Promise<void> {
    const store = this.node.services.lookup<RecordStore>(DNS_STORE_SERVICE);
    if (!store) {
      throw new TfgwError(ErrorCodes.PLUGIN_DEPENDENCY, 'dns-dns2 needs a DNS record store: add one of the plugins dns-memory, dns-redis or dns-coredns-file before it', {
        details: { plugin: 'dns-dns2', service: DNS_STORE_SERVICE },
      });
    }
    // the gateway's zones change with delegations: read them on every cache miss
    const fixed = this.options.zones;
    const zones = fixed ? () => fixed : () => (this.node.gateway ? this.node.gateway.zones : gatewayDnsFacts(this.node).zones);
    this.authority = new Authority(store, zones, { defaultTtl: this.options.defaultTtl });
    this.authority.attach();
    const hookTimeoutMs = this.options.hookTimeoutMs ?? this.node.config.gateway?.limits?.hookTimeoutMs;
    this.engine = new DnsEngine(this.node.hooks, this.authority, this.node.log, { ...this.options, hookTimeoutMs }, this.resolveTap);
    const listen = this.options.listen ?? '127.0.0.1:5353';
    const addrs = (Array.isArray(listen) ? listen : [listen]).map((l, i) => parseListenAddress(l, Array.isArray(listen) ? `dns-dns2.listen[${i}]` : 'dns-dns2.listen'));
    try {
      for (const at of addrs) {
        let port = at.port;
        if (this.options.tcp !== false) {
          const t = await listenTcp(at, this.engine, this.node.log, this.options.tcpLimits);
          this.tcp.push(t);
          port = t.address().port; // port 0: UDP takes the port TCP got
        }
        if (this.options.udp !== false) this.udp.push(await listenUdp({ host: at.host, port }, this.engine, this.node.log));
      }
    } catch (err) {
      await this.stop();
      throw new TfgwError(ErrorCodes.CONFIG, `dns-dns2 cannot listen on ${JSON.stringify(listen)}: ${(err as Error).message}`, { cause: err, details: { path: 'dns-dns2.listen' } });
    }
    this.node.log.info({ udp: this.udp.map((u) => u.address()), tcp: this.tcp.map((t) => t.address()), zones: zones() }, 'dns listening');
  }

  /** Closes sockets and stops following the store. */
  async stop(): Promise<void> {
    await Promise.all([...this.udp.map((u) => u.close()), ...this.tcp.map((t) => t.close())]);
    this.udp = [];
    this.tcp = [];
    this.authority?.detach();
  }

  /** Bound addresses (after start). */
  addresses(): { udp: net.AddressInfo[]; tcp: net.AddressInfo[] } {
    return { udp: this.udp.map((u) => u.address()), tcp: this.tcp.map((t) => t.address()) };
  }

  /** Counters (zeros before start). */
  stats(): EngineStats {
    return this.engine?.stats ?? { queries: 0, cacheHits: 0, cacheMisses: 0, malformed: 0, rateLimited: 0, servfail: 0 };
  }

  /** The packet engine (after start), for embedding the server in another transport. */
  get packetEngine(): DnsEngine | undefined {
    return this.engine;
  }
}
