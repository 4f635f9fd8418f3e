import type http from 'node:http';
import { ErrorCodes, TfgwError } from '@tfgw/core';
import type { Endpoint } from '../http/router';
import { BASE_HEADERS } from '../http/respond';
import type { LoggedRequest } from '../request-log';
import type { AdminContext } from './context';

/** A live stream is dropped when this much is queued for it (a reader that stopped reading). */
const MAX_QUEUED_BYTES = 1024 * 1024;

function nonNegativeInt(value: string | null | undefined, key: string): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new TfgwError(ErrorCodes.BAD_MESSAGE, `${key}: expected a non-negative integer`);
  return Number(value);
}

const event = (e: LoggedRequest) => `id: ${e.seq}\nevent: request\ndata: ${JSON.stringify(e)}\n\n`;

/**
 * `GET /api/v1/requests[?after=SEQ&limit=N]`: recent HTTP requests through the ingress,
 * oldest first. `GET /api/v1/requests/stream[?after=SEQ]`: the same as server-sent events
 * (`event: request`, `id` = seq, `data` = the JSON entry): first the kept entries after
 * `after` (or `Last-Event-ID`), then each new one; a `: keep-alive` comment every
 * `heartbeatMs`. Both need the bearer token in the `Authorization` header (the status page
 * reads the stream with `fetch()`, never with a token in the URL).
 */
export function requestEndpoints(ctx: AdminContext, live: Set<http.ServerResponse>): Endpoint[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/requests',
      handle: ({ query }) => ({ body: { requests: ctx.requests.recent(nonNegativeInt(query.get('after'), 'after'), nonNegativeInt(query.get('limit'), 'limit')) } }),
    },
    {
      method: 'GET',
      path: '/api/v1/requests/stream',
      handle: ({ req, res, query }) => {
        const lastId = req.headers['last-event-id'];
        const after = nonNegativeInt(query.get('after'), 'after') ?? nonNegativeInt(typeof lastId === 'string' ? lastId : undefined, 'Last-Event-ID') ?? 0;
        res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        res.socket?.setNoDelay(true);
        live.add(res);
        const send = (text: string) => {
          if (res.writableLength > MAX_QUEUED_BYTES) {
            ctx.node.log.warn('admin: a live request stream stopped reading; dropping it');
            res.destroy();
            return;
          }
          res.write(text);
        };
        res.write(`retry: 2000\n: tfgw request log\n\n`);
        for (const e of ctx.requests.recent(after)) send(event(e));
        const unsubscribe = ctx.requests.subscribe((e) => send(event(e)));
        const heartbeat = setInterval(() => send(': keep-alive\n\n'), ctx.options.heartbeatMs);
        heartbeat.unref();
        res.once('close', () => {
          clearInterval(heartbeat);
          unsubscribe();
          live.delete(res);
        });
      },
    },
  ];
}
