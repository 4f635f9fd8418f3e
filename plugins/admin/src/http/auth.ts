import crypto from 'node:crypto';
import type http from 'node:http';
import { ErrorCodes, TfgwError } from '@tfgw/core';

const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

/**
 * A bearer-token check in constant time: both sides are hashed to 32 bytes first, so
 * neither the content nor the length of the expected token shows in the timing.
 */
export class BearerAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** True when `presented` is the token. */
  matches(presented: string): boolean {
    return crypto.timingSafeEqual(digest(presented), this.expected);
  }

  /** Throws TFGW_ERR_AUTH unless the request carries `Authorization: Bearer <token>`. */
  check(req: http.IncomingMessage): void {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw new TfgwError(ErrorCodes.AUTH, 'this endpoint needs "Authorization: Bearer <admin token>"');
    if (!this.matches(m[1])) throw new TfgwError(ErrorCodes.AUTH, 'the admin token is not valid');
  }
}

/** The `WWW-Authenticate` header sent with every 401. */
export const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Bearer realm="tfgw-admin"' } as const;
