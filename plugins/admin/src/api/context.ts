import { ErrorCodes, TfgwError, type GatewayApi, type TfgwNode } from '@tfgw/core';
import type { GatewayMetrics } from '../metrics';
import type { RequestLog } from '../request-log';
import type { Reservations } from '../reservations';
import type { ResolvedAdminOptions } from '../options';

/** What every endpoint module works with. */
export interface AdminContext {
  /** The node. */
  node: TfgwNode;
  /** Resolved plugin options. */
  options: ResolvedAdminOptions;
  /** Metrics registry. */
  metrics: GatewayMetrics;
  /** Recent HTTP requests and live subscribers. */
  requests: RequestLog;
  /** Operator reservations. */
  reservations: Reservations;
}

/** The gateway API; the admin listener only runs on a gateway, so this is a guard, not a branch. */
export function gatewayOf(ctx: AdminContext): GatewayApi {
  const gw = ctx.node.gateway;
  if (!gw) throw new TfgwError(ErrorCodes.CONFIG, 'the admin API needs the gateway role');
  return gw;
}
