import { ErrorCodes, TfgwError } from '../errors';
import { formatEndpoint, parseEndpoint } from './endpoint';

/**
 * Turns a transport plugin's `listen` option (`"host:port"` or a list of them) into URLs of
 * `scheme`, e.g. `tcp://127.0.0.1:7000` or, with `path`, `ws://127.0.0.1:7080/_tfgw`.
 * Absent `listen` gives no URLs (agents and clients load transports without listening).
 * Throws TFGW_ERR_CONFIG with `details.path` = `listen`.
 */
export function listenUrls(value: unknown, scheme: string, path = ''): URL[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) {
    throw new TfgwError(ErrorCodes.CONFIG, `listen: expected "host:port" or a list of them, got ${typeof value}`, { details: { path: 'listen' } });
  }
  return (list as string[]).map((text) => {
    const { host, port } = parseEndpoint(text, 'listen');
    return new URL(`${scheme}://${formatEndpoint(host, port)}${path}`);
  });
}
