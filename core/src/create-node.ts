import path from 'node:path';
import type { TfgwConfig } from './config/types';
import { assertValidConfig } from './config/validate';
import { loadPlugins, type ResolvedPlugin } from './loader';
import type { Logger } from './log';
import { TfgwNode, type ReloadResult } from './node';

/** A node built from a config, with the plugins it resolved. */
export interface CreatedNode {
  /** The node (not started). */
  node: TfgwNode;
  /** Plugins as resolved, for `tfgw check`. */
  plugins: ResolvedPlugin[];
}

/**
 * Validates a config object, resolves its transports and plugins from `baseDir`, and returns
 * a node ready to `start()`. This is how the CLI and custom gateways build one.
 */
export function createNode(config: TfgwConfig, opts: { baseDir?: string; logger?: Logger } = {}): CreatedNode {
  assertValidConfig(config);
  const baseDir = opts.baseDir ?? process.cwd();
  const resolved: TfgwConfig = { ...config, dataDir: path.resolve(baseDir, config.dataDir ?? '.tfgw') };
  const plugins = loadPlugins(resolved, baseDir);
  const node = new TfgwNode({ config: resolved, baseDir, logger: opts.logger });
  for (const p of plugins) node.use(p.plugin, p.key);
  return { node, plugins };
}

/**
 * Reloads a running node from a new config object: validation and plugin resolution happen
 * first, so an invalid config throws (with the same coded errors as at start) and the old
 * config keeps running.
 */
export async function reloadNode(node: TfgwNode, config: TfgwConfig, baseDir: string = node.baseDir): Promise<ReloadResult> {
  assertValidConfig(config);
  const resolved: TfgwConfig = { ...config, dataDir: path.resolve(baseDir, config.dataDir ?? '.tfgw') };
  const plugins = loadPlugins(resolved, baseDir);
  return node.reload(resolved, plugins.map((p) => ({ plugin: p.plugin, key: p.key })));
}
