import { createStorePlugin, type PluginFactory, type StorePluginOptions, type TfgwPlugin } from '@tfgw/core';
import { RedisStore, type RedisStoreOptions } from './redis-store';

export { RedisStore, type RedisStoreOptions, type RedisWatchMode } from './redis-store';
export { MERGE_LUA } from './merge-script';

/** Name of the plugin. */
export const PLUGIN_NAME = 'dns-redis';

/** Options of the `dns-redis` plugin. */
export interface DnsRedisOptions extends StorePluginOptions, Omit<RedisStoreOptions, 'onProblem'> {}

/**
 * DNS records in Redis, readable by CoreDNS's redis plugin (and records it serves readable
 * by tfgw). Provides a {@link RedisStore} as `'dns.store'`; agent names follow their tunnels.
 *
 * ```js
 * plugins: [['dns-redis', { url: process.env.REDIS_URL }], ['dns-dns2', { listen: '127.0.0.1:5353' }]]
 * ```
 */
const dnsRedis: PluginFactory<DnsRedisOptions> = (options: DnsRedisOptions = {}): TfgwPlugin =>
  createStorePlugin(PLUGIN_NAME, (node) => new RedisStore({ ...options, onProblem: (err) => node.log.warn({ err }, 'dns-redis: problem') }), options);

export default dnsRedis;
