import path from 'node:path';
import type { TfgwNode } from '../node';
import { dataDir } from './data-dir';
import type { TfgwPlugin } from '../plugin';
import { followTunnels, type FollowTunnelsOptions } from './follow-tunnels';
import { DNS_STORE_SERVICE, type RecordStore } from './store';

/** Stage of a store's `start` tap (before servers at 0) and `shutdown` tap (after them). */
export const STORE_START_STAGE = -50;
/** See {@link STORE_START_STAGE}. */
export const STORE_SHUTDOWN_STAGE = 50;

/** Options every store plugin accepts. */
export interface StorePluginOptions {
  /** "Names follow tunnels" settings, or `false` to write no records for agents and no apex defaults. @default {} */
  follow?: FollowTunnelsOptions | false;
}

/**
 * Builds a store plugin: `apply` creates the store, provides it as `'dns.store'` and (unless
 * `follow: false`) wires {@link followTunnels} with its ledger in `<dataDir>/dns-tunnel-names.json`;
 * the `start` tap opens it (early stage) and writes apex defaults, the `shutdown` tap waits for
 * queued writes and closes it (late stage).
 */
export function createStorePlugin(name: string, create: (node: TfgwNode) => RecordStore, options: StorePluginOptions = {}): TfgwPlugin {
  return {
    name,
    apply(node: TfgwNode) {
      const store = create(node);
      node.services.provide(DNS_STORE_SERVICE, store);
      const follow = options.follow === false ? undefined : { ledger: path.join(dataDir(node), 'dns-tunnel-names.json'), ...options.follow };
      const follower = follow ? followTunnels(node, store, follow) : undefined;
      node.hooks.start.tapPromise({ name, stage: STORE_START_STAGE }, async () => {
        await store.open();
        node.log.info({ store: store.kind }, 'dns store open');
        await follower?.start();
      });
      node.hooks.shutdown.tapPromise({ name, stage: STORE_SHUTDOWN_STAGE }, async () => {
        await follower?.stop();
        await store.close();
      });
    },
  };
}
