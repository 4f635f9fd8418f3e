import type { TfgwNode, TfgwPlugin } from '@tfgw/core';
import { httpUpgradeRegistry, sendPage } from '@tfgw/protocol-http';
import { resolveWsOptions, routeWsOptions, type ProtocolWsOptions } from './options';
import { WebSocketUpgradeHandler, isWebSocketUpgrade } from './upgrade-handler';

/** Name of the plugin. */
export const PLUGIN_NAME = 'protocol-ws';

/** Code of the 426 page a WebSocket-only service answers plain HTTP requests with. */
export const WEBSOCKET_ONLY_CODE = 'TFGW_ERR_WEBSOCKET_ONLY';

/**
 * The `protocol-ws` plugin: WebSocket pass-through on protocol-http's ingress. It registers
 * the `websocket` handler in the ingress's upgrade registry, checks the WebSocket options of
 * `http` services at registration (`websocketOnly`, `maxMessageBytes`, `idleTimeoutMs`),
 * and answers plain requests to WebSocket-only services with 426 from an `httpRequest` tap.
 */
export default function protocolWs(options: ProtocolWsOptions = {}): TfgwPlugin {
  const opts = resolveWsOptions(options);
  return {
    name: PLUGIN_NAME,
    dependencies: ['protocol-http'],
    apply(node: TfgwNode) {
      const handler = new WebSocketUpgradeHandler(opts);
      const upgrades = httpUpgradeRegistry(node);
      upgrades.register('websocket', handler);
      // Gone with this plugin (node stop, or a reload that changes or drops it).
      node.hooks.shutdown.tap(PLUGIN_NAME, () => upgrades.unregister('websocket', handler));
      // A bad WebSocket option refuses the registration, with the option named.
      node.hooks.register.tap(PLUGIN_NAME, (spec) => {
        if (spec.protocol === 'http') routeWsOptions(spec.options ?? {}, opts);
        return spec;
      });
      node.hooks.httpRequest.tap(PLUGIN_NAME, (req, res, route) => {
        if (!handler.optionsFor(route).websocketOnly || isWebSocketUpgrade(req)) return undefined;
        sendPage(req, res, {
          status: 426,
          code: WEBSOCKET_ONLY_CODE,
          title: 'Upgrade required',
          message: `${route.hostname} only accepts WebSocket connections.`,
          headers: { upgrade: 'websocket' },
        });
        return true;
      });
    },
  };
}

export { resolveWsOptions, routeWsOptions, WS_DEFAULTS, type ProtocolWsOptions, type ResolvedWsOptions, type RouteWsOptions } from './options';
export { FrameScanner, CloseCodes, headerSize, payloadLength, type ScanError, type ScanStep } from './frame-scanner';
export { closeFrame } from './close-frame';
export { relayWebSocket, type RelayOptions, type RelayResult } from './relay';
export { WebSocketUpgradeHandler, isWebSocketUpgrade, switchingProtocolsHead } from './upgrade-handler';
