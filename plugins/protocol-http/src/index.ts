import type { TfgwNode, TfgwPlugin } from '@tfgw/core';
import { HttpIngress } from './ingress';
import { resolveHttpOptions, type ProtocolHttpOptions } from './options';
import { httpUpgradeRegistry } from './upgrade';

/** Name of the plugin (what `dependencies` of other plugins name). */
export const PLUGIN_NAME = 'protocol-http';

/**
 * The `protocol-http` plugin: an HTTP (and optionally HTTPS) ingress on the gateway that
 * routes requests by Host to `http` routes and proxies them over pooled tunnel streams.
 * `Upgrade` requests go to the handler another plugin registered in the
 * {@link HttpUpgradeRegistry} (protocol-ws for WebSocket), else 501.
 *
 * Options are checked here (TFGW_ERR_CONFIG naming the key); listeners are bound in `start`
 * (only on a gateway), stop accepting in `stopping` and close in `shutdown` (also when a
 * config reload changes this plugin: the new instance binds again and serves the routes
 * that already exist).
 */
export default function protocolHttp(options: ProtocolHttpOptions = {}): TfgwPlugin {
  const opts = resolveHttpOptions(options);
  return {
    name: PLUGIN_NAME,
    apply(node: TfgwNode) {
      const upgrades = httpUpgradeRegistry(node);
      let ingress: HttpIngress | undefined;
      node.hooks.start.tapPromise(PLUGIN_NAME, async () => {
        if (!node.gateway) return;
        ingress = new HttpIngress(node, node.gateway, opts, upgrades);
        await ingress.start();
      });
      node.hooks.expose.for('http').tapPromise(PLUGIN_NAME, async (route) => ingress?.expose(route));
      // Stop accepting as soon as the node stops, so draining sessions see no new visitors.
      node.hooks.stopping.tap(PLUGIN_NAME, () => {
        ingress?.stopAccepting().catch((err) => node.log.warn({ err }, 'protocol-http: closing the listeners failed'));
      });
      node.hooks.shutdown.tapPromise(PLUGIN_NAME, async () => {
        await ingress?.close();
        ingress = undefined;
      });
    },
  };
}

export { HttpIngress, HTTP_ROUTE_PROTOCOLS } from './ingress';
export { resolveHttpOptions, HTTP_DEFAULTS, HTTP_OPTION_KEYS, type ProtocolHttpOptions, type HttpsIngressOptions, type ResolvedHttpOptions } from './options';
export { parseHostHeader, splitRequestTarget, requestHost, type RequestHost, type RequestTarget } from './host';
export { appendForwarded, formatForwardedElement, forwardedNode, forwardedValue, plainAddress, type ForwardedElement } from './forwarded';
export { outgoingRequestHeaders, stripResponseHopByHop, type ForwardingFacts } from './headers';
export { compileRouteOptions, applyHeaderChanges, type RouteHttpOptions, type HeaderChange } from './route-options';
export { basicCredentials, checkBasicAuth } from './basic-auth';
export { ERROR_CODE_HEADER, HttpErrorCodes, pageForError, renderPage, sendPage, noTunnelPage, badHostPage, unauthorizedPage, upgradeUnsupportedPage, type ErrorPage } from './error-pages';
export { HttpUpgradeRegistry, httpUpgradeRegistry, type HttpUpgradeContext, type HttpUpgradeHandler } from './upgrade';
export { asSocketLike, type SocketLike } from './socket-shim';
export { responseOnSocket } from './socket-response';
export { TunnelPool, PooledStream, type TunnelPoolOptions, type TunnelUser } from './tunnel-pool';
export { ResponseReader, parseResponseHead, type ResponseHead, type ResponseSink, type BodyFraming } from './response-parser';
export { serializeRequestHead } from './request-head';
export { forwardRequest, visitorResponseHeaders, type ForwardOptions, type ForwardResult } from './forward';
