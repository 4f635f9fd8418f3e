import type http from 'node:http';
import { ErrorCodes, TfgwError } from '@tfgw/core';
import { AdminErrorCodes } from '../errors';

/** What a handler gets. */
export interface RequestContext {
  /** The request. */
  req: http.IncomingMessage;
  /** The response; a handler that streams writes to it and returns nothing. */
  res: http.ServerResponse;
  /** Decoded `:name` path parameters. */
  params: Record<string, string>;
  /** Query string. */
  query: URLSearchParams;
}

/** A JSON reply: `body` is sent with `status` (200 by default). */
export interface Reply {
  /** HTTP status. @default 200 */
  status?: number;
  /** JSON body. */
  body: unknown;
}

/** One endpoint. */
export interface Endpoint {
  /** HTTP method. */
  method: 'GET' | 'POST' | 'DELETE';
  /** Path pattern, `:name` segments are parameters (one whole segment each). */
  path: string;
  /** Served without the bearer token (health, metrics, OpenAPI, the status page shell). */
  public?: boolean;
  /** Answers: a {@link Reply}, or nothing when it wrote the response itself. */
  handle(ctx: RequestContext): Promise<Reply | void> | Reply | void;
}

/** A match: the endpoint and its parameters. */
export interface RouteMatch {
  /** The endpoint. */
  endpoint: Endpoint;
  /** Decoded parameters. */
  params: Record<string, string>;
}

/**
 * A small exact-segment router. Parameters are percent-decoded after the path is split on
 * `/`, so ids that contain `:` or encoded characters work (`/api/v1/routes/http%3Awww.x/disable`).
 * Unknown paths are TFGW_ERR_NOT_FOUND, known paths with another method
 * TFGW_ERR_METHOD_NOT_ALLOWED (with the allowed methods in `details.allow`).
 */
export class Router {
  private readonly table: Array<{ endpoint: Endpoint; segments: string[] }> = [];

  constructor(endpoints: readonly Endpoint[]) {
    for (const endpoint of endpoints) this.table.push({ endpoint, segments: endpoint.path.split('/') });
  }

  /** Every endpoint, in the order given. */
  endpoints(): Endpoint[] {
    return this.table.map((t) => t.endpoint);
  }

  /** Finds the endpoint for `method` and `pathname` (not decoded). */
  match(method: string, pathname: string): RouteMatch {
    const parts = pathname.split('/');
    const allow: string[] = [];
    for (const { endpoint, segments } of this.table) {
      const params = matchSegments(segments, parts);
      if (!params) continue;
      if (endpoint.method === method) return { endpoint, params };
      allow.push(endpoint.method);
    }
    if (allow.length) throw new TfgwError(AdminErrorCodes.METHOD_NOT_ALLOWED, `${method} is not allowed on ${pathname} (allowed: ${allow.join(', ')})`, { details: { allow } });
    throw new TfgwError(AdminErrorCodes.NOT_FOUND, `no endpoint ${pathname}`);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      if (parts[i] === '') return undefined;
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]);
      } catch (err) {
        throw new TfgwError(ErrorCodes.BAD_MESSAGE, `path segment "${parts[i].slice(0, 100)}" is not valid percent-encoding`, { cause: err });
      }
    } else if (p !== parts[i]) {
      return undefined;
    }
  }
  return params;
}
