import path from 'node:path';
import { createStorePlugin, dataDir, type PluginFactory, type StorePluginOptions, type TfgwPlugin } from '@tfgw/core';
import { MemoryStore } from './memory-store';

export { MemoryStore, MEMORY_FILE_VERSION, type MemoryStoreOptions } from './memory-store';

/** Name of the plugin. */
export const PLUGIN_NAME = 'dns-memory';

/** Options of the `dns-memory` plugin. */
export interface DnsMemoryOptions extends StorePluginOptions {
  /** JSON file, relative paths against `node.baseDir`; `false` keeps records in memory only. @default `<dataDir>/dns-records.json` */
  file?: string | false;
  /** Coalescing window of file writes, in ms. @default 50 */
  debounceMs?: number;
}

/**
 * The embedded default DNS record store. Provides a {@link MemoryStore} as service
 * `'dns.store'` and makes agent names follow their tunnels (see `followTunnels` in core).
 *
 * ```js
 * plugins: [['dns-memory', {}], ['dns-dns2', { listen: '127.0.0.1:5353' }]]
 * ```
 */
const dnsMemory: PluginFactory<DnsMemoryOptions> = (options: DnsMemoryOptions = {}): TfgwPlugin =>
  createStorePlugin(
    PLUGIN_NAME,
    (node) => {
      const file = options.file === false ? undefined : path.resolve(node.baseDir, options.file ?? path.join(dataDir(node), 'dns-records.json'));
      return new MemoryStore({
        file,
        debounceMs: options.debounceMs,
        onError: (err) => node.log.warn({ err }, 'dns-memory: write failed'),
      });
    },
    options,
  );

export default dnsMemory;
