import path from 'node:path';
import { ErrorCodes, dataDir, type TfgwNode, type TfgwPlugin } from '@tfgw/core';
import { GatewayMetrics } from './metrics';
import { resolveAdminOptions, type AdminOptions } from './options';
import { RequestLog } from './request-log';
import { Reservations } from './reservations';
import { AdminServer } from './server';

/** True for loopback hosts (`127.0.0.0/8`, `::1`, `localhost`). */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Name of the plugin. */
export const PLUGIN_NAME = 'admin';

/**
 * The `admin` plugin: on a gateway, an HTTP listener (loopback by default) with the admin
 * API under `/api/v1` (bearer token), `/api/openapi.json`, `/healthz`, `/metrics`
 * (Prometheus) and a live status page at `/`; operator reservations (names, delegations,
 * proxies) persisted in the data dir.
 *
 * Options are checked here (TFGW_ERR_CONFIG naming the key). `apply` only taps hooks: the
 * metrics and the request log follow hooks from the start; the listener binds in a `start`
 * tap (only when the node runs the gateway role) and closes in `shutdown`.
 */
export default function admin(options: AdminOptions = {}): TfgwPlugin {
  const opts = resolveAdminOptions(options);
  return {
    name: PLUGIN_NAME,
    apply(node: TfgwNode) {
      const requests = new RequestLog(opts.requestLogSize);
      let reservations: Reservations | undefined;
      const metrics = new GatewayMetrics(node, { rttSampleMs: opts.rttSampleMs, reservations: () => reservations?.list() ?? [] });
      let server: AdminServer | undefined;
      node.hooks.requestLog.tap(PLUGIN_NAME, (entry) => requests.add(entry));
      node.hooks.routeAdded.tap(PLUGIN_NAME, (route) => reservations?.onRouteAdded(route));
      // A disabled route refuses every visitor, also requests the HTTP ingress would send
      // over an idle pooled stream (which does not go through route.connect()).
      node.hooks.visitor.tap(PLUGIN_NAME, (v) =>
        v.route && !v.route.enabled ? { code: ErrorCodes.VISITOR_REJECTED, message: `route ${v.route.id} is disabled by the operator` } : undefined,
      );
      node.hooks.start.tapPromise(PLUGIN_NAME, async () => {
        if (!node.gateway) {
          node.log.warn({ plugin: PLUGIN_NAME }, 'admin: this node runs no gateway role; the admin listener is not started');
          return;
        }
        reservations = new Reservations(node, path.resolve(dataDir(node), opts.reservationsFile));
        await reservations.load(opts.sweepMs);
        metrics.start();
        server = new AdminServer({ node, options: opts, metrics, requests, reservations });
        await server.listen();
        node.log.info({ url: server.url }, 'admin listening');
        if (!isLoopback(opts.host)) node.log.warn({ listen: opts.listen }, 'admin: the listener is not on loopback; /metrics and /healthz need no token, keep it behind a firewall');
      });
      node.hooks.shutdown.tapPromise(PLUGIN_NAME, async () => {
        metrics.stop();
        await server?.close();
        server = undefined;
        await reservations?.close();
      });
    },
  };
}

export { resolveAdminOptions, ADMIN_OPTION_KEYS, type AdminOptions, type ResolvedAdminOptions } from './options';
export { GatewayMetrics, type GatewayMetricsOptions } from './metrics';
export { RequestLog, type LoggedRequest } from './request-log';
export { Reservations, type Reservation, type ReservationType } from './reservations';
export { AdminServer, adminEndpoints } from './server';
export { AdminErrorCodes, statusForCode } from './errors';
export { openApiDocument } from './openapi';
export { STATUS_PAGE_HTML, STATUS_PAGE_CSP } from './status-page';
export { BearerAuth } from './http/auth';
export { Router, type Endpoint, type Reply, type RequestContext, type RouteMatch } from './http/router';
export { sessionView, routeView, nameView, type SessionView, type RouteView } from './api/views';
export { CONFIG_RELOAD_SERVICE } from './api/reload';
