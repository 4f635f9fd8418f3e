import path from 'node:path';
import { ErrorCodes, TfgwError, asTfgwError } from './errors';
import type { PluginEntry, TfgwPlugin } from './plugin';

/** Short names of the plugins that ship with tfgw, and their packages. */
export const BUILTIN_PLUGINS: Readonly<Record<string, string>> = Object.freeze({
  tcp: '@tfgw/transport-tcp',
  tls: '@tfgw/transport-tls',
  ws: '@tfgw/transport-ws',
  quic: '@tfgw/transport-quic',
  'protocol-tcp': '@tfgw/protocol-tcp',
  'protocol-udp': '@tfgw/protocol-udp',
  'protocol-http': '@tfgw/protocol-http',
  'protocol-ws': '@tfgw/protocol-ws',
  'dns-dns2': '@tfgw/dns-dns2',
  'dns-memory': '@tfgw/dns-memory',
  'dns-redis': '@tfgw/dns-redis',
  'dns-coredns-file': '@tfgw/dns-coredns-file',
  'client-ingress': '@tfgw/client-ingress',
  admin: '@tfgw/admin',
});

/** A plugin with where it came from, for `tfgw check`. */
export interface ResolvedPlugin {
  /** The plugin. */
  plugin: TfgwPlugin;
  /** What the config said. */
  spec: string;
  /** Resolved module file, or `inline`. */
  from: string;
  /** Identity of the config entry (module + options), to tell a changed plugin on reload. */
  key: string;
}

/** Finds the module file for a plugin spec: built-in short name, package, or path. */
export function resolvePluginModule(spec: string, baseDir: string): string {
  const request = BUILTIN_PLUGINS[spec] ?? (spec.startsWith('.') || path.isAbsolute(spec) ? path.resolve(baseDir, spec) : spec);
  try {
    return require.resolve(request, { paths: [baseDir, __dirname] });
  } catch (err) {
    throw new TfgwError(ErrorCodes.PLUGIN_NOT_FOUND, `plugin "${spec}" not found (looked for ${request} from ${baseDir}); install the package or fix the path`, { cause: err, details: { plugin: spec } });
  }
}

/**
 * Turns one config entry into a plugin: calls the module's default-exported factory with the
 * options. `where` is the config path (`plugins[3]`) prefixed to any config error.
 */
export function loadPlugin(entry: PluginEntry, baseDir: string, where: string): ResolvedPlugin {
  if (typeof entry === 'object' && !Array.isArray(entry)) return { plugin: entry, spec: entry.name, from: 'inline', key: `inline:${entry.name}` };
  const [spec, options] = typeof entry === 'string' ? [entry, {}] : [entry[0], entry[1] ?? {}];
  let file: string;
  try {
    file = resolvePluginModule(spec, baseDir);
  } catch (err) {
    const e = err as TfgwError;
    throw new TfgwError(e.code, `${where}: ${e.message}`, { cause: e.cause, details: { ...e.details, path: where } });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file);
  const exported = mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
  let plugin: unknown;
  if (typeof exported === 'function') {
    try {
      plugin = exported(options);
    } catch (err) {
      const e = asTfgwError(err, ErrorCodes.CONFIG);
      const sub = typeof e.details?.path === 'string' ? `${where}.${e.details.path}` : where;
      const message = typeof e.details?.path === 'string' && e.message.startsWith(`${e.details.path}:`) ? `${where}.${e.message}` : `${where}: ${e.message}`;
      throw new TfgwError(e.code, message, { cause: err, details: { ...e.details, path: sub } });
    }
  } else {
    plugin = exported;
  }
  const p = plugin as TfgwPlugin;
  if (!p || typeof p.name !== 'string' || typeof p.apply !== 'function') {
    throw new TfgwError(ErrorCodes.PLUGIN_INVALID, `${where}: "${spec}" does not export a plugin factory (options) => ({ name, apply })`, { details: { path: where } });
  }
  return { plugin: p, spec, from: file, key: `${file}\n${stableJson(options)}` };
}

/** Loads `transports` then `plugins` from a config, checking duplicate names. */
export function loadPlugins(config: { transports?: PluginEntry[]; plugins?: PluginEntry[] }, baseDir: string): ResolvedPlugin[] {
  const out: ResolvedPlugin[] = [];
  const add = (list: PluginEntry[] | undefined, key: string) =>
    (list ?? []).forEach((entry, i) => {
      const r = loadPlugin(entry, baseDir, `${key}[${i}]`);
      const dup = out.find((o) => o.plugin.name === r.plugin.name);
      if (dup) throw new TfgwError(ErrorCodes.PLUGIN_DUPLICATE, `${key}[${i}]: plugin "${r.plugin.name}" is loaded twice`, { details: { path: `${key}[${i}]`, plugin: r.plugin.name } });
      out.push(r);
    });
  add(config.transports, 'transports');
  add(config.plugins, 'plugins');
  return out;
}

/** True when a built-in plugin's package is installed (optional ones like quic may not be). */
export function isPluginAvailable(spec: string, baseDir: string): boolean {
  try {
    resolvePluginModule(spec, baseDir);
    return true;
  } catch {
    return false;
  }
}

/** JSON with sorted keys, so equal options give equal keys. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return typeof value === 'function' ? `fn:${String(value).length}` : JSON.stringify(value) ?? 'undefined';
}
