import { TfgwError } from '@tfgw/core';
import { AdminErrorCodes } from '../errors';
import { readJsonBody } from '../http/body';
import type { Endpoint } from '../http/router';
import type { AdminContext } from './context';

/**
 * `GET /api/v1/reservations`, `POST /api/v1/reservations` (201; 409 TFGW_ERR_NAME_TAKEN
 * when another owner holds the name), `GET /api/v1/reservations/:name` and
 * `DELETE /api/v1/reservations/:name[?owner=ID]` (404 unknown, 409 when `owner` is not its owner).
 */
export function reservationEndpoints(ctx: AdminContext): Endpoint[] {
  return [
    { method: 'GET', path: '/api/v1/reservations', handle: () => ({ body: { reservations: ctx.reservations.list() } }) },
    {
      method: 'POST',
      path: '/api/v1/reservations',
      handle: async ({ req }) => ({ status: 201, body: { reservation: await ctx.reservations.add(await readJsonBody(req)) } }),
    },
    {
      method: 'GET',
      path: '/api/v1/reservations/:name',
      handle: ({ params }) => {
        const r = ctx.reservations.get(params.name);
        if (!r) throw new TfgwError(AdminErrorCodes.NOT_FOUND, `no reservation "${params.name}"`);
        return { body: { reservation: r } };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/reservations/:name',
      handle: async ({ params, query }) => ({ body: { removed: await ctx.reservations.remove(params.name, query.get('owner') ?? undefined) } }),
    },
  ];
}
