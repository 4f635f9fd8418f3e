import { ErrorCodes } from '@tfgw/core';

/**
 * Error codes the admin API answers with besides the core ones (`TFGW_ERR_AUTH`,
 * `TFGW_ERR_NAME_TAKEN`, `TFGW_ERR_BAD_MESSAGE`, `TFGW_ERR_CONFIG`, ...). Stable: clients
 * branch on them.
 */
export const AdminErrorCodes = {
  /** No such endpoint, session, route, name or reservation. HTTP 404. */
  NOT_FOUND: 'TFGW_ERR_NOT_FOUND',
  /** The endpoint exists but not with this method. HTTP 405. */
  METHOD_NOT_ALLOWED: 'TFGW_ERR_METHOD_NOT_ALLOWED',
  /** The feature is not available in this process (no `config.reload` service). HTTP 501. */
  NOT_IMPLEMENTED: 'TFGW_ERR_NOT_IMPLEMENTED',
  /** The request body is larger than the admin listener accepts. HTTP 413. */
  BODY_TOO_LARGE: 'TFGW_ERR_BODY_TOO_LARGE',
  /** The request body is not `application/json`. HTTP 415. */
  UNSUPPORTED_MEDIA_TYPE: 'TFGW_ERR_UNSUPPORTED_MEDIA_TYPE',
  /** An unexpected failure inside the admin plugin. HTTP 500. */
  INTERNAL: 'TFGW_ERR_INTERNAL',
} as const;

/** Core configuration-class codes: a reload that fails with one of them is the caller's fault (400). */
const CONFIG_CODES = new Set<string>([
  ErrorCodes.CONFIG,
  ErrorCodes.PLUGIN_NOT_FOUND,
  ErrorCodes.PLUGIN_DUPLICATE,
  ErrorCodes.PLUGIN_DEPENDENCY,
  ErrorCodes.PLUGIN_INVALID,
  ErrorCodes.UNKNOWN_TRANSPORT,
]);

/** The HTTP status for an error code: 4xx for the caller's mistakes, 5xx otherwise. */
export function statusForCode(code: string): number {
  switch (code) {
    case ErrorCodes.AUTH:
      return 401;
    case ErrorCodes.FORBIDDEN:
      return 403;
    case AdminErrorCodes.NOT_FOUND:
      return 404;
    case AdminErrorCodes.METHOD_NOT_ALLOWED:
      return 405;
    case ErrorCodes.NAME_TAKEN:
    case ErrorCodes.PORT_UNAVAILABLE:
      return 409;
    case AdminErrorCodes.BODY_TOO_LARGE:
      return 413;
    case AdminErrorCodes.UNSUPPORTED_MEDIA_TYPE:
      return 415;
    case ErrorCodes.BAD_MESSAGE:
    case ErrorCodes.DNS:
      return 400;
    case AdminErrorCodes.NOT_IMPLEMENTED:
      return 501;
    default:
      return CONFIG_CODES.has(code) ? 400 : 500;
  }
}
