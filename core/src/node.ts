import { createHooks, type TfgwHooks } from './hooks';
import { ErrorCodes, TfgwError, asTfgwError } from './errors';
import { silentLogger, type Logger } from './log';
import type { TfgwPlugin } from './plugin';
import { ServiceRegistry, TransportRegistry } from './registry';
import type { TfgwConfig } from './config/types';
import type { AgentApi, ClientApi, GatewayApi } from './roles/api';
import { PluginScopes } from './plugin-scopes';

/** Options for a {@link TfgwNode}. */
export interface TfgwNodeOptions {
  /** Resolved config (roles are taken from its `gateway` / `agent` / `client` keys). */
  config?: TfgwConfig;
  /** Plugins, applied in order. */
  plugins?: TfgwPlugin[];
  /** Logger. @default silent */
  logger?: Logger;
  /** Folder relative paths in config resolve from. @default process.cwd() */
  baseDir?: string;
}

/** Something a role implements so the node can start and stop it. */
export interface RoleLifecycle {
  /** Begin work (listen / dial). */
  start(): Promise<void>;
  /** Stop accepting, GOAWAY peers, wait up to `drainMs`, close. */
  stop(drainMs: number): Promise<void>;
  /** Take a reloaded config: keep every session the change does not touch. */
  reconfigure?(config: TfgwConfig, change: ReloadResult): Promise<void>;
}

/** What a reload changed. */
export interface ReloadResult {
  /** Plugins applied by the reload (new, or with changed options). */
  added: string[];
  /** Plugins removed by the reload (gone, or with changed options). */
  removed: string[];
  /** Plugins left as they were. */
  kept: string[];
}

/**
 * The kernel: one frozen hooks object, the plugins, the transport and service registries,
 * and the roles the config declares. One process may run several nodes.
 */
export class TfgwNode {
  /** Typed hooks; see docs/hooks.md. */
  readonly hooks: TfgwHooks = createHooks();
  /** Structured logger. */
  readonly log: Logger;
  /** Which plugin made which taps (for reloads). */
  private readonly scopes = new PluginScopes(this.hooks);
  /** Transports by URL scheme. */
  readonly transports = new TransportRegistry(() => this.scopes.current);
  /** Values plugins share (e.g. `dns.store`). */
  readonly services = new ServiceRegistry(() => this.scopes.current);
  /** Folder relative config paths resolve from. */
  readonly baseDir: string;
  /** Config after the `config` hook ran (set by `start`). */
  config: TfgwConfig;
  /** Gateway role API, when the config has `gateway`. */
  gateway?: GatewayApi;
  /** Agent role API, when the config has `agent`. */
  agent?: AgentApi;
  /** Client role API, when the config has `client`. */
  client?: ClientApi;

  private readonly plugins: TfgwPlugin[] = [];
  /** What config entry made each plugin (spec + options), to tell changed plugins on reload. */
  private readonly pluginKeys = new WeakMap<TfgwPlugin, string>();
  private readonly lifecycles: RoleLifecycle[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(opts: TfgwNodeOptions = {}) {
    this.config = opts.config ?? {};
    this.log = opts.logger ?? silentLogger();
    this.baseDir = opts.baseDir ?? process.cwd();
    for (const p of opts.plugins ?? []) this.use(p);
  }

  /** Add a plugin (applied at start). `key` identifies its config entry for reloads. Duplicate names fail with TFGW_ERR_PLUGIN_DUPLICATE. */
  use(plugin: TfgwPlugin, key?: string): this {
    if (key !== undefined) this.pluginKeys.set(plugin, key);
    if (this.state !== 'new') throw new TfgwError(ErrorCodes.PLUGIN_INVALID, `plugin "${plugin.name}" added after start`);
    if (!plugin || typeof plugin.name !== 'string' || typeof plugin.apply !== 'function') {
      throw new TfgwError(ErrorCodes.PLUGIN_INVALID, 'a plugin needs a string "name" and an "apply(node)" function');
    }
    if (this.plugins.some((p) => p.name === plugin.name)) {
      throw new TfgwError(ErrorCodes.PLUGIN_DUPLICATE, `plugin "${plugin.name}" is loaded twice`, { details: { plugin: plugin.name } });
    }
    this.plugins.push(plugin);
    return this;
  }

  /** Names of the plugins, in order. */
  pluginNames(): string[] {
    return this.plugins.map((p) => p.name);
  }

  /** Register a role's lifecycle (roles call this from their constructor). */
  addLifecycle(lifecycle: RoleLifecycle): void {
    this.lifecycles.push(lifecycle);
  }

  /** Check dependencies, apply plugins, run `config`, create roles, run `start`. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new TfgwError(ErrorCodes.PLUGIN_INVALID, 'node already started');
    this.state = 'starting';
    const names = new Set(this.plugins.map((p) => p.name));
    for (const p of this.plugins) {
      for (const dep of p.dependencies ?? []) {
        if (!names.has(dep)) {
          throw new TfgwError(ErrorCodes.PLUGIN_DEPENDENCY, `plugin "${p.name}" needs plugin "${dep}", which is not loaded`, { details: { plugin: p.name, dependency: dep } });
        }
      }
    }
    for (const p of this.plugins) this.applyPlugin(p);
    this.config = this.hooks.config.call(this.config as Record<string, unknown>) as TfgwConfig;
    // Roles attach after plugins so plugins can tap hooks before any role uses them.
    const { attachRoles } = await import('./roles/attach');
    attachRoles(this);
    try {
      await this.hooks.start.promise();
      for (const l of this.lifecycles) await l.start();
    } catch (err) {
      await this.stop(0).catch(() => undefined);
      throw err;
    }
    this.state = 'running';
  }

  private applyPlugin(p: TfgwPlugin): void {
    try {
      this.scopes.run(p.name, () => p.apply(this));
    } catch (err) {
      throw new TfgwError(asTfgwError(err, ErrorCodes.PLUGIN_INVALID).code, `plugin "${p.name}" failed to apply: ${asTfgwError(err).message}`, { cause: err });
    }
  }

  /**
   * Applies a new config to the running node. Plugins whose config entry is unchanged keep
   * running; removed or changed ones run their own `shutdown` taps and lose their taps;
   * new or changed ones are applied and run their own `start` taps; roles then take the new
   * config (tokens, listeners, routes) keeping untouched sessions. The caller validates the
   * config and resolves the plugins first, so an invalid config changes nothing.
   */
  async reload(config: TfgwConfig, next: Array<{ plugin: TfgwPlugin; key: string }>): Promise<ReloadResult> {
    if (this.state !== 'running') throw new TfgwError(ErrorCodes.CONFIG, 'reload: the node is not running');
    const names = new Set(next.map((n) => n.plugin.name));
    for (const n of next) {
      for (const dep of n.plugin.dependencies ?? []) {
        if (!names.has(dep)) throw new TfgwError(ErrorCodes.PLUGIN_DEPENDENCY, `plugin "${n.plugin.name}" needs plugin "${dep}", which is not loaded`, { details: { plugin: n.plugin.name, dependency: dep } });
      }
    }
    const nextByName = new Map(next.map((n) => [n.plugin.name, n]));
    const removed = this.plugins.filter((p) => {
      const n = nextByName.get(p.name);
      if (!n) return true;
      const key = this.pluginKeys.get(p);
      return key === undefined ? n.plugin !== p : key !== n.key;
    });
    const removedNames = new Set(removed.map((p) => p.name));
    const added = next.filter((n) => removedNames.has(n.plugin.name) || !this.plugins.some((p) => p.name === n.plugin.name));
    for (const p of removed) {
      try {
        await this.scopes.callOwn(p.name, this.hooks.shutdown);
      } catch (err) {
        this.log.warn({ err, plugin: p.name }, 'reload: a removed plugin failed to shut down');
      }
      this.scopes.remove(p.name);
      this.transports.removeOwnedBy(p.name);
      this.services.removeOwnedBy(p.name);
      this.plugins.splice(this.plugins.indexOf(p), 1);
    }
    for (const n of added) {
      this.plugins.push(n.plugin);
      this.pluginKeys.set(n.plugin, n.key);
      this.applyPlugin(n.plugin);
    }
    this.config = this.hooks.config.call(config as Record<string, unknown>) as TfgwConfig;
    for (const n of added) await this.scopes.callOwn(n.plugin.name, this.hooks.start);
    const result: ReloadResult = {
      added: added.map((n) => n.plugin.name),
      removed: removed.map((p) => p.name),
      kept: this.plugins.map((p) => p.name).filter((n) => !added.some((a) => a.plugin.name === n)),
    };
    for (const l of this.lifecycles) await l.reconfigure?.(this.config, result);
    this.log.info(result, 'config reloaded');
    return result;
  }

  /** Graceful stop: `stopping` taps run, roles drain (GOAWAY) for up to `drainMs`, then `shutdown` taps run. */
  async stop(drainMs = 5000): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    try {
      this.hooks.stopping.call();
    } catch (err) {
      this.log.warn({ err }, 'a stopping tap failed');
    }
    await Promise.all(this.lifecycles.map((l) => l.stop(drainMs).catch((err) => this.log.warn({ err }, 'role stop failed'))));
    try {
      await this.hooks.shutdown.promise();
    } catch (err) {
      this.log.warn({ err }, 'a shutdown tap failed');
    }
    this.state = 'stopped';
  }
}
