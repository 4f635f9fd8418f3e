import crypto from 'node:crypto';
import type { AuthRequest, Principal } from '../auth';
import type { TokenConfig } from '../config/types';
import type { Rejection } from '../hooks';
import { ErrorCodes } from '../errors';

/** Stable, non-secret id of a token: used as the owner of names. */
export function tokenId(token: TokenConfig): string {
  return token.id ?? 'token-' + crypto.createHash('sha256').update(token.token).digest('hex').slice(0, 8);
}

/**
 * The core `authenticate` tap: looks the token up in `gateway.tokens`. Compares digests in
 * constant time so a timing probe learns nothing about the secrets.
 */
export function tokenAuthenticator(tokens: readonly TokenConfig[]): (req: AuthRequest) => Principal | Rejection {
  const table = tokens.map((t) => ({ digest: crypto.createHash('sha256').update(t.token).digest(), config: t }));
  return (req) => {
    const digest = crypto.createHash('sha256').update(String(req.token ?? '')).digest();
    const found = table.find((t) => crypto.timingSafeEqual(t.digest, digest));
    if (!found) return { code: ErrorCodes.AUTH, message: 'unknown token' };
    const t = found.config;
    if (t.role !== req.role) return { code: ErrorCodes.AUTH, message: `this token is for the ${t.role} role, not ${req.role}` };
    return {
      id: tokenId(t),
      role: t.role,
      names: t.names ?? ['*'],
      ports: t.ports ?? [],
      agents: t.agents ?? ['*'],
      services: t.services ?? ['*/*'],
      targets: t.targets ?? true,
    };
  };
}
