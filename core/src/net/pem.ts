import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, TfgwError } from '../errors';

/** True when the text is PEM data itself rather than a file path. */
export function isPemText(value: string): boolean {
  return value.includes('-----BEGIN ');
}

/**
 * Loads certificate or key material given as PEM text or as a file path (relative paths
 * resolve from `baseDir`). Throws TFGW_ERR_CONFIG naming `key` (the option) when a file
 * cannot be read or holds no PEM block.
 */
export async function loadPem(value: string, key: string, baseDir: string): Promise<string> {
  if (isPemText(value)) return value;
  const file = path.resolve(baseDir, value);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new TfgwError(ErrorCodes.CONFIG, `${key}: cannot read ${file}: ${(err as Error).message}`, { cause: err, details: { path: key, file } });
  }
  if (!isPemText(text)) {
    throw new TfgwError(ErrorCodes.CONFIG, `${key}: ${file} holds no PEM block`, { details: { path: key, file } });
  }
  return text;
}

/** {@link loadPem} for each entry of a list (CA bundles). */
export function loadPemList(values: readonly string[], key: string, baseDir: string): Promise<string[]> {
  return Promise.all(values.map((v) => loadPem(v, key, baseDir)));
}
