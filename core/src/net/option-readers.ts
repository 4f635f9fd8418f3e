import { ErrorCodes, TfgwError } from '../errors';

/**
 * Typed readers for the loose `Record<string, unknown>` options transports get from config
 * or the CLI. Each throws TFGW_ERR_CONFIG naming the key (`details.path`), so the loader can
 * prefix the config path and the user sees exactly what to fix.
 */
function bad(key: string, expected: string, got: unknown): TfgwError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : typeof got;
  return new TfgwError(ErrorCodes.CONFIG, `${key}: expected ${expected}, got ${shown}`, { details: { path: key } });
}

/** An optional string option. */
export function readString(opts: Record<string, unknown>, key: string): string | undefined {
  const v = opts[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(key, 'a string', v);
  return v;
}

/** An optional boolean option. */
export function readBoolean(opts: Record<string, unknown>, key: string): boolean | undefined {
  const v = opts[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(key, 'true or false', v);
  return v;
}

/** An optional integer option within `[min, max]`. */
export function readInteger(opts: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = opts[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(key, `an integer from ${min} to ${max}`, v);
  return v;
}

/** An optional string or list of strings (PEM blocks or file paths); always returned as a list. */
export function readStringList(opts: Record<string, unknown>, key: string): string[] | undefined {
  const v = opts[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw bad(key, 'a string or a list of strings', v);
}

/** An optional object whose values are all strings (HTTP headers). */
export function readStringMap(opts: Record<string, unknown>, key: string): Record<string, string> | undefined {
  const v = opts[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) throw bad(key, 'an object of strings', v);
  return v as Record<string, string>;
}

/** Throws TFGW_ERR_CONFIG for the first key not in `known` (catches typos such as `lisen`). */
export function rejectUnknownKeys(opts: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) {
      throw new TfgwError(ErrorCodes.CONFIG, `${key}: unknown option (known: ${known.join(', ')})`, { details: { path: key } });
    }
  }
}
