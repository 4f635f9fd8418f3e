import path from 'node:path';
import { createStorePlugin, dataDir, type PluginFactory, type StorePluginOptions, type TfgwPlugin } from '@tfgw/core';
import { ZoneFileStore } from './zone-file-store';

export { ZoneFileStore, zoneFileName, nextSerial, type ZoneFileStoreOptions } from './zone-file-store';
export { renderZoneFile, parseZoneFile, ZONE_FILE_DEFAULT_TTL, type RenderOptions, type ParsedZoneFile } from './zone-file';

/** Name of the plugin. */
export const PLUGIN_NAME = 'dns-coredns-file';

/** Options of the `dns-coredns-file` plugin. */
export interface DnsCorednsFileOptions extends StorePluginOptions {
  /** Folder of the zone files, relative paths against `node.baseDir`. @default process.env.TFGW_ZONE_DIR ?? `<dataDir>/zones` */
  dir?: string;
  /** Coalescing window of file writes, in ms. @default 50 */
  debounceMs?: number;
  /** `$TTL` of the files. @default 300 */
  defaultTtl?: number;
}

/**
 * DNS records written as RFC 1035 zone files for CoreDNS's `file` plugin (with `reload`).
 * Provides a {@link ZoneFileStore} as `'dns.store'`; agent names follow their tunnels.
 *
 * ```js
 * plugins: [['dns-coredns-file', { dir: process.env.TFGW_ZONE_DIR }]]
 * ```
 */
const dnsCorednsFile: PluginFactory<DnsCorednsFileOptions> = (options: DnsCorednsFileOptions = {}): TfgwPlugin =>
  createStorePlugin(
    PLUGIN_NAME,
    (node) =>
      new ZoneFileStore({
        dir: path.resolve(node.baseDir, options.dir ?? process.env.TFGW_ZONE_DIR ?? path.join(dataDir(node), 'zones')),
        debounceMs: options.debounceMs,
        defaultTtl: options.defaultTtl,
        onProblem: (err) => node.log.warn({ err }, 'dns-coredns-file: problem'),
      }),
    options,
  );

export default dnsCorednsFile;
