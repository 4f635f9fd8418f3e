import type { HookMap } from 'tapable';
import type { TfgwHooks } from './hooks';

/** The slice of a tapable hook this module needs (tapable's typings hide `taps`). */
interface TapLike {
  /** Tap name. */
  name: string;
  /** 'sync' | 'async' | 'promise'. */
  type: string;
  /** The tapped function. */
  fn: (...args: unknown[]) => unknown;
}
interface HookLike {
  taps: TapLike[];
  intercept(i: { register?: (tap: TapLike) => TapLike }): void;
  _resetCompilation(): void;
}

/**
 * Remembers which plugin made which taps, so a config reload can remove one plugin (run its
 * own `shutdown` taps, then drop all its taps) and add another (apply it, run its own
 * `start` taps) without touching the others. Tapable has no untap; taps are removed from
 * the hook's list and its compiled call is reset.
 */
export class PluginScopes {
  /** Plugin whose `apply` is running now. */
  current?: string;
  private readonly taps = new Map<string, Array<{ hook: HookLike; tap: TapLike }>>();

  constructor(hooks: TfgwHooks) {
    for (const value of Object.values(hooks)) {
      if (isHookMap(value)) {
        value.intercept({
          factory: (_key: unknown, hook: unknown) => {
            this.instrument(hook as HookLike);
            return hook as never;
          },
        });
      } else {
        this.instrument(value as unknown as HookLike);
      }
    }
  }

  private instrument(hook: HookLike): void {
    hook.intercept({
      register: (tap) => {
        if (this.current) {
          const list = this.taps.get(this.current) ?? [];
          list.push({ hook, tap });
          this.taps.set(this.current, list);
        }
        return tap;
      },
    });
  }

  /** Runs `fn` (a plugin's apply) with its taps attributed to `plugin`. */
  run<T>(plugin: string, fn: () => T): T {
    const prev = this.current;
    this.current = plugin;
    try {
      return fn();
    } finally {
      this.current = prev;
    }
  }

  /** Calls the plugin's own taps of one async hook (`start` or `shutdown`), in order. */
  async callOwn(plugin: string, hook: unknown): Promise<void> {
    for (const { hook: h, tap } of this.taps.get(plugin) ?? []) {
      if (h !== hook) continue;
      if (tap.type === 'async') await new Promise<void>((resolve, reject) => tap.fn((err?: Error) => (err ? reject(err) : resolve())));
      else await tap.fn();
    }
  }

  /** Removes every tap the plugin made. */
  remove(plugin: string): void {
    for (const { hook, tap } of this.taps.get(plugin) ?? []) {
      const i = hook.taps.indexOf(tap);
      if (i >= 0) {
        hook.taps.splice(i, 1);
        hook._resetCompilation();
      }
    }
    this.taps.delete(plugin);
  }
}

function isHookMap(v: unknown): v is HookMap<never> {
  return typeof (v as { for?: unknown }).for === 'function' && typeof (v as { get?: unknown }).get === 'function';
}
