import type http from 'node:http';
import { ErrorCodes, TfgwError } from '@tfgw/core';
import { AdminErrorCodes } from '../errors';

/** Largest request body the admin API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON object body. An empty body is `{}`. A body that is not
 * `application/json` is TFGW_ERR_UNSUPPORTED_MEDIA_TYPE, a larger one than
 * {@link MAX_BODY_BYTES} TFGW_ERR_BODY_TOO_LARGE, bad JSON or a non-object TFGW_ERR_BAD_MESSAGE.
 */
export async function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new TfgwError(AdminErrorCodes.BODY_TOO_LARGE, `request body larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new TfgwError(AdminErrorCodes.BODY_TOO_LARGE, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new TfgwError(AdminErrorCodes.UNSUPPORTED_MEDIA_TYPE, 'request body must be application/json');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'request body is not valid JSON', { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TfgwError(ErrorCodes.BAD_MESSAGE, 'request body must be a JSON object');
  return value as Record<string, unknown>;
}
