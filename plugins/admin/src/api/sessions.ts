import { AdminErrorCodes } from '../errors';
import { TfgwError } from '@tfgw/core';
import type { Endpoint } from '../http/router';
import { gatewayOf, type AdminContext } from './context';
import { sessionView } from './views';

/** `GET /api/v1/sessions` (live agent and client sessions) and `DELETE /api/v1/sessions/:id` (kick). */
export function sessionEndpoints(ctx: AdminContext): Endpoint[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/sessions',
      handle: () => ({ body: { sessions: gatewayOf(ctx).sessions().map(sessionView) } }),
    },
    {
      method: 'DELETE',
      path: '/api/v1/sessions/:id',
      handle: ({ params }) => {
        if (!gatewayOf(ctx).kick(params.id)) throw new TfgwError(AdminErrorCodes.NOT_FOUND, `no live session "${params.id}"`);
        ctx.node.log.info({ session: params.id }, 'admin: session kicked');
        return { body: { kicked: params.id } };
      },
    },
  ];
}
