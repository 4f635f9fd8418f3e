import type { TfgwNode } from './node';

/**
 * A plugin: a name, optional dependencies, and `apply`, which only taps hooks and registers
 * things on the node. All I/O happens in taps of `start` / `shutdown`.
 */
export interface TfgwPlugin {
  /** Unique name; duplicates fail at start with TFGW_ERR_PLUGIN_DUPLICATE. */
  readonly name: string;
  /** Names of plugins that must also be loaded. */
  readonly dependencies?: readonly string[];
  /** Tap hooks and register transports / stores. Must not do I/O. */
  apply(node: TfgwNode): void;
}

/** What every plugin package default-exports. */
export type PluginFactory<Options = Record<string, unknown>> = (options: Options) => TfgwPlugin;

/** A config entry: `'name'`, `['name-or-package-or-./path', options]`, or an inline plugin object. */
export type PluginEntry = string | [string, Record<string, unknown>?] | TfgwPlugin;
