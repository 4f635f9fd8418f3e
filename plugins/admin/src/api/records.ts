import { DNS_STORE_SERVICE, TfgwError, findZone, normalizeName, type LabelRecords, type RecordStore } from '@tfgw/core';
import { AdminErrorCodes } from '../errors';
import type { Endpoint } from '../http/router';
import { gatewayOf, type AdminContext } from './context';

/**
 * `GET /api/v1/records[?zone=Z]`: every label of every zone of the gateway (configured and
 * delegated) from the DNS store, `{ store, zones: { zone: { label: records } } }`. 404
 * TFGW_ERR_NOT_FOUND when no store plugin is loaded or `zone` is not one of the gateway's.
 */
export function recordEndpoints(ctx: AdminContext): Endpoint[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/records',
      handle: async ({ query }) => {
        const store = ctx.node.services.lookup<RecordStore>(DNS_STORE_SERVICE);
        if (!store) throw new TfgwError(AdminErrorCodes.NOT_FOUND, 'no DNS store is loaded (add dns-memory, dns-redis or dns-coredns-file)');
        let zones = [...gatewayOf(ctx).zones];
        const only = query.get('zone');
        if (only !== null) {
          const z = normalizeName(only);
          if (findZone(z, zones) !== z) throw new TfgwError(AdminErrorCodes.NOT_FOUND, `"${z}" is not a zone of this gateway`);
          zones = [z];
        }
        const out: Record<string, Record<string, LabelRecords>> = {};
        for (const zone of zones) out[zone] = Object.fromEntries(await store.list(zone));
        return { body: { store: store.kind, zones: out } };
      },
    },
  ];
}
