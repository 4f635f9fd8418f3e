import { ErrorCodes, TfgwError, asTfgwError, type ReloadResult } from '@tfgw/core';
import { AdminErrorCodes } from '../errors';
import type { Endpoint } from '../http/router';
import type { AdminContext } from './context';

/** Key of the service the CLI provides: re-reads the config file and applies it. */
export const CONFIG_RELOAD_SERVICE = 'config.reload';

/**
 * `POST /api/v1/reload`: calls the `config.reload` service. 200 with `{ result: { added,
 * removed, kept } }`; 400 with the coded error (TFGW_ERR_CONFIG, TFGW_ERR_PLUGIN_*) when the
 * new config is invalid, the old one staying in force; 501 TFGW_ERR_NOT_IMPLEMENTED when the
 * process has no reload service (a node embedded without the CLI).
 */
export function reloadEndpoints(ctx: AdminContext): Endpoint[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/reload',
      handle: async () => {
        const reload = ctx.node.services.lookup<() => Promise<ReloadResult>>(CONFIG_RELOAD_SERVICE);
        if (typeof reload !== 'function') throw new TfgwError(AdminErrorCodes.NOT_IMPLEMENTED, 'this process cannot reload its config (no "config.reload" service; run it with the tfgw CLI)');
        ctx.node.log.info('admin: config reload requested');
        try {
          return { body: { result: await reload() } };
        } catch (err) {
          const e = asTfgwError(err, ErrorCodes.CONFIG);
          ctx.node.log.error({ code: e.code }, `admin: reload rejected, the running config stays: ${e.message}`);
          throw e;
        }
      },
    },
  ];
}
