import { CORE_STAGE, type PluginFactory, type TfgwPlugin } from '@tfgw/core';
import { DnsServer, type DnsServerOptions } from './server';

export { DnsServer, type DnsServerOptions } from './server';
export { DnsEngine, type EngineOptions, type EngineStats, type CacheMode } from './engine';
export { Authority, type AuthorityOptions } from './authority';
export { ZoneView } from './zone-view';
export { parseQuery, questionName, isProblem, type ParsedQuery, type QueryProblem, type EdnsInfo } from './wire/query';
export { decodeMessage, DecodeError, type DecodedMessage } from './wire/decode';
export { MessageWriter } from './wire/writer';
export { TYPE, RCODE, FLAG, typeName, typeCode } from './wire/constants';
export { txtChunks, ipv6Bytes, ipv6Text } from './wire/rdata';
export { parseListenAddress, type ListenAddress } from './listen-address';

/** Name of the plugin. */
export const PLUGIN_NAME = 'dns-dns2';
/** Service key of the running {@link DnsServer}. */
export const DNS_SERVER_SERVICE = 'dns.server';

/**
 * Authoritative DNS server over UDP and TCP, answering from the `'dns.store'` service
 * through the `resolve` hook (its own tap sits at `CORE_STAGE`, so plugins tapping at a
 * lower stage answer first). Provides the {@link DnsServer} as `'dns.server'`.
 *
 * ```js
 * plugins: [['dns-memory', {}], ['dns-dns2', { listen: '127.0.0.1:5353' }]]
 * ```
 */
const dnsDns2: PluginFactory<DnsServerOptions> = (options: DnsServerOptions = {}): TfgwPlugin => ({
  name: PLUGIN_NAME,
  apply(node) {
    const server = new DnsServer(node, options);
    node.services.provide(DNS_SERVER_SERVICE, server);
    node.hooks.resolve.tapPromise({ name: PLUGIN_NAME, stage: CORE_STAGE }, server.resolveTap);
    node.hooks.start.tapPromise(PLUGIN_NAME, () => server.start());
    node.hooks.shutdown.tapPromise(PLUGIN_NAME, () => server.stop());
  },
});

export default dnsDns2;
