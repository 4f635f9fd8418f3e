import { TfgwError, type Route } from '@tfgw/core';
import { AdminErrorCodes } from '../errors';
import type { Endpoint } from '../http/router';
import { gatewayOf, type AdminContext } from './context';
import { routeView } from './views';

/**
 * `GET /api/v1/routes` and `POST /api/v1/routes/:id/disable|enable`. A disabled route
 * refuses new visitors (connections already open go on); ids contain `:`, URL-encode them.
 */
export function routeEndpoints(ctx: AdminContext): Endpoint[] {
  const find = (id: string): Route => {
    const route = gatewayOf(ctx).routes().find((r) => r.id === id);
    if (!route) throw new TfgwError(AdminErrorCodes.NOT_FOUND, `no route "${id}"`);
    return route;
  };
  const setEnabled = (enabled: boolean): Endpoint => ({
    method: 'POST',
    path: `/api/v1/routes/:id/${enabled ? 'enable' : 'disable'}`,
    handle: ({ params }) => {
      const route = find(params.id);
      route.enabled = enabled;
      ctx.node.log.info({ route: route.id, enabled }, `admin: route ${enabled ? 'enabled' : 'disabled'}`);
      return { body: { route: routeView(route) } };
    },
  });
  return [
    { method: 'GET', path: '/api/v1/routes', handle: () => ({ body: { routes: gatewayOf(ctx).routes().map(routeView) } }) },
    { method: 'GET', path: '/api/v1/routes/:id', handle: ({ params }) => ({ body: { route: routeView(find(params.id)) } }) },
    setEnabled(false),
    setEnabled(true),
  ];
}
