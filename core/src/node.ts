import { createHooks, type TfgwHooks } from './hooks';
import { ErrorCodes, TfgwError, asTfgwError } from './errors';
import { silentLogger, type Logger } from './log';
import type { TfgwPlugin } from './plugin';
import { ServiceRegistry, TransportRegistry } from './registry';
import type { TfgwConfig } from './config/types';
import type { AgentApi, ClientApi, GatewayApi } from './roles/api';

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
  /** Transports by URL scheme. */
  readonly transports = new TransportRegistry();
  /** Values plugins share (e.g. `dns.store`). */
  readonly services = new ServiceRegistry();
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
  private readonly lifecycles: RoleLifecycle[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(opts: TfgwNodeOptions = {}) {
    this.config = opts.config ?? {};
    this.log = opts.logger ?? silentLogger();
    this.baseDir = opts.baseDir ?? process.cwd();
    for (const p of opts.plugins ?? []) this.use(p);
  }

  /** Add and apply a plugin. Duplicate names fail with TFGW_ERR_PLUGIN_DUPLICATE. */
  use(plugin: TfgwPlugin): this {
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
    for (const p of this.plugins) {
      try {
        p.apply(this);
      } catch (err) {
        throw new TfgwError(asTfgwError(err, ErrorCodes.PLUGIN_INVALID).code, `plugin "${p.name}" failed to apply: ${asTfgwError(err).message}`, { cause: err });
      }
    }
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

  /** Graceful stop: roles drain (GOAWAY) for up to `drainMs`, then `shutdown` taps run. */
  async stop(drainMs = 5000): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    await Promise.all(this.lifecycles.map((l) => l.stop(drainMs).catch((err) => this.log.warn({ err }, 'role stop failed'))));
    try {
      await this.hooks.shutdown.promise();
    } catch (err) {
      this.log.warn({ err }, 'a shutdown tap failed');
    }
    this.state = 'stopped';
  }
}
