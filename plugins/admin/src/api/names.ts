import { TfgwError, normalizeName } from '@tfgw/core';
import { AdminErrorCodes } from '../errors';
import type { Endpoint } from '../http/router';
import { gatewayOf, type AdminContext } from './context';
import { nameView } from './views';

/**
 * `GET /api/v1/names` (names owned now: agents' and reservations') and
 * `DELETE /api/v1/names/:fqdn`: releases the name. An agent's name closes its session and
 * removes its routes; a reserved name drops the reservation with its records.
 */
export function nameEndpoints(ctx: AdminContext): Endpoint[] {
  return [
    { method: 'GET', path: '/api/v1/names', handle: () => ({ body: { names: gatewayOf(ctx).names().map(nameView) } }) },
    {
      method: 'DELETE',
      path: '/api/v1/names/:fqdn',
      handle: async ({ params }) => {
        const fqdn = normalizeName(params.fqdn);
        if (ctx.reservations.get(fqdn)) await ctx.reservations.remove(fqdn);
        else if (!gatewayOf(ctx).releaseName(fqdn)) throw new TfgwError(AdminErrorCodes.NOT_FOUND, `no name "${fqdn}" is owned`);
        ctx.node.log.info({ name: fqdn }, 'admin: name released');
        return { body: { released: fqdn } };
      },
    },
  ];
}
