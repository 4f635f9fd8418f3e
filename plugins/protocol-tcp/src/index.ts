import { ErrorCodes, TfgwError, type TfgwPlugin } from '@tfgw/core';
import { readProxyProtocol, resolveTcpOptions, type TcpPluginOptions } from './options';
import { TcpPortExposure } from './port-exposure';
import { dialWithProxyHeader, proxyProtocolServices, type ProxiedServices } from './proxy-protocol-dial';
import type { VisitorContext } from './serve-visitor';
import { SniRouter } from './sni-router';

export { parseClientHello, readServerName, type ClientHelloResult } from './client-hello';
export { encodeProxyHeader, encodeProxyV1, encodeProxyV2, PROXY_V2_SIGNATURE, PP2_TYPE_AUTHORITY, type ProxyAddress, type ProxyHeaderInfo } from './proxy-protocol';
export { TlsAlert, tlsAlertRecord } from './tls-alert';
export { TCP_DEFAULTS, resolveTcpOptions, readProxyProtocol, type TcpPluginOptions, type ResolvedTcpOptions } from './options';
export { peekClientHello, type PeekResult, type PeekOptions } from './peek-client-hello';
export { parseIpPort } from './address';

/** The plugin's name in config and logs. */
export const PLUGIN_NAME = 'protocol-tcp';

/**
 * TCP services on public ports and TLS services by SNI on one shared port.
 *
 * Gateway: each `tcp` route gets a port from `gateway.ports.tcp` bound on `host`
 * (URL `tcp://PUBLICHOST:PORT`); with `sni` set, `tls` routes are reachable on that one port
 * by server name (URL `tls://HOSTNAME:SNIPORT`), TLS passing through untouched.
 * Agent: services whose options ask for `proxyProtocol: 1 | 2` get a PROXY header before
 * the visitor's bytes; other streams are left to the core's default dialer.
 */
export default function protocolTcp(options: TcpPluginOptions = {}): TfgwPlugin {
  const opts = resolveTcpOptions(options);
  const ports = new Set<TcpPortExposure>();
  let sni: SniRouter | undefined;
  let proxied: ProxiedServices | undefined;
  return {
    name: PLUGIN_NAME,
    apply(node) {
      const log = node.log.child({ plugin: PLUGIN_NAME });
      const context = (): VisitorContext => ({ gateway: node.gateway!, log, connectTimeoutMs: opts.connectTimeoutMs });
      const checkService = (options: Record<string, unknown>) => {
        try {
          readProxyProtocol(options, 'options.proxyProtocol');
        } catch (err) {
          throw new TfgwError(ErrorCodes.BAD_MESSAGE, (err as Error).message, { cause: err, details: { path: 'options.proxyProtocol' } });
        }
      };

      node.hooks.start.tapPromise(PLUGIN_NAME, async () => {
        if (node.agent) proxied = proxyProtocolServices(node.config.agent?.services);
        if (node.gateway && opts.sni) {
          sni = new SniRouter(context(), opts.sni, opts);
          await sni.listen();
        }
      });

      node.hooks.expose.for('tcp').tapPromise(PLUGIN_NAME, async (route) => {
        if (!node.gateway) return undefined;
        checkService(route.options);
        const exposure = await TcpPortExposure.bind(context(), route, opts.host, (e) => ports.delete(e));
        ports.add(exposure);
        return exposure;
      });

      node.hooks.expose.for('tls').tapPromise(PLUGIN_NAME, async (route) => {
        if (!node.gateway || !sni) return undefined;
        checkService(route.options);
        return sni.expose(route);
      });

      for (const protocol of ['tcp', 'tls']) {
        node.hooks.stream.for(protocol).tapPromise(PLUGIN_NAME, async (stream, header, ctx) => {
          if (ctx.role !== 'agent' || !node.agent || !proxied || proxied.none) return undefined;
          const svc = proxied.versionFor(header);
          if (!svc) return undefined;
          return dialWithProxyHeader(node.agent, stream, header, svc.version, svc.key, log);
        });
      }

      // Draining: no new visitors; connected ones go on until the roles close their streams.
      node.hooks.stopping.tap(PLUGIN_NAME, () => {
        for (const p of ports) void p.stopAccepting();
        void sni?.stopAccepting();
      });

      node.hooks.shutdown.tapPromise(PLUGIN_NAME, async () => {
        await Promise.all([...ports].map((p) => p.release()));
        ports.clear();
        await sni?.close();
        sni = undefined;
      });
    },
  };
}
