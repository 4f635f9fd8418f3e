import path from 'node:path';
import type { TfgwConfig } from './config/types';
import { assertValidConfig } from './config/validate';
import { loadPlugins, type ResolvedPlugin } from './loader';
import type { Logger } from './log';
import { TfgwNode } from './node';

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
  const node = new TfgwNode({ config: resolved, baseDir, logger: opts.logger, plugins: plugins.map((p) => p.plugin) });
  return { node, plugins };
}
