import path from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { ErrorCodes, TfgwError } from '../errors';
import type { TfgwConfig } from './types';
import { assertValidConfig } from './validate';

/** A config as loaded from disk. */
export interface LoadedConfig {
  /** The validated config. */
  config: TfgwConfig;
  /** The file it came from. */
  filepath: string;
  /** Folder relative paths and plugin packages resolve from. */
  baseDir: string;
}

/**
 * Loads `file` (JS, TS, JSON, YAML) or, without one, searches from `cwd` with cosmiconfig
 * under the module name `tfgw` (`tfgw.config.js`, `.tfgwrc*`, `package.json#tfgw`).
 * Throws TFGW_ERR_CONFIG naming the file and the offending key.
 */
export async function loadConfig(file?: string, cwd = process.cwd()): Promise<LoadedConfig> {
  // JS configs are loaded fresh every time (no module cache), so a reload sees the new file.
  const loadFresh = (filepath: string) => {
    delete require.cache[require.resolve(filepath)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(filepath);
  };
  const explorer = cosmiconfig('tfgw', { cache: false, loaders: { '.js': loadFresh, '.cjs': loadFresh } });
  let result;
  try {
    result = file ? await explorer.load(path.resolve(cwd, file)) : await explorer.search(cwd);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new TfgwError(ErrorCodes.CONFIG, `--config: file not found: ${file}`, { cause: err, details: { path: '--config' } });
    throw new TfgwError(ErrorCodes.CONFIG, `${file ?? 'config'}: cannot be read: ${e.message}`, { cause: err, details: { path: '--config' } });
  }
  if (!result || result.isEmpty) {
    throw new TfgwError(ErrorCodes.CONFIG, file ? `${file}: the file is empty` : 'no config found (looked for tfgw.config.js, .tfgwrc*, package.json#tfgw); pass --config FILE', { details: { path: '--config' } });
  }
  const config = (result.config && typeof result.config === 'object' && 'default' in result.config ? result.config.default : result.config) as unknown;
  assertValidConfig(config, path.relative(cwd, result.filepath) || result.filepath);
  return { config, filepath: result.filepath, baseDir: path.dirname(result.filepath) };
}
