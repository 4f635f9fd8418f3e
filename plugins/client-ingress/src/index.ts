import { formatEndpoint, type TfgwPlugin } from '@tfgw/core';
import { TcpForward } from './forward/tcp-forward';
import { UdpForward } from './forward/udp-forward';
import { HttpProxyServer } from './http/proxy-server';
import { StreamOpener } from './opener';
import { resolveOptions, type ClientIngressOptions } from './options';
import { Socks5Server } from './socks5/server';

export { resolveIngressAddress, formatIngressAddress, describeTarget, normalizeName, VIA_LABEL, type IngressTarget } from './address';
export { REFUSALS, DEFAULT_REFUSAL, refusalFor, SocksReply, type Refusal } from './refusal';
export { parseConnectTarget, parseAbsoluteTarget, type ProxyRequestTarget } from './http/request-target';
export { ERROR_HEADER } from './http/proxy-server';
export * as socks5Wire from './socks5/wire';
export {
  resolveOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_UDP_IDLE_TIMEOUT_MS,
  type ClientIngressOptions,
  type ForwardOptions,
  type IngressCredentials,
  type ResolvedOptions,
  type ResolvedForward,
} from './options';

/** The plugin's name in config and logs. */
export const PLUGIN_NAME = 'client-ingress';

/** Something local that listens and can be closed. */
interface Ingress {
  /** Stop taking new connections / associations; open ones go on. */
  stopAccepting(): void;
  /** End everything. */
  close(): Promise<void>;
}

/**
 * Local ingresses of the client role: a SOCKS5 server (CONNECT, UDP ASSOCIATE), an HTTP
 * proxy (CONNECT and absolute-URI requests) and fixed TCP / UDP port forwards, all opening
 * streams with `node.client.connect`. Options are validated here (TFGW_ERR_CONFIG naming the
 * key); listeners start in a `start` tap when the node has the client role, stop accepting in
 * `stopping` (open connections drain with the client's session) and close in `shutdown`. On a node without the client role the plugin does nothing.
 */
export default function clientIngress(options: ClientIngressOptions = {}): TfgwPlugin {
  const opts = resolveOptions(options);
  const running: Ingress[] = [];
  return {
    name: PLUGIN_NAME,
    apply(node) {
      const log = node.log.child({ plugin: PLUGIN_NAME });
      node.hooks.start.tapPromise(PLUGIN_NAME, async () => {
        const client = node.client;
        if (!client) {
          log.warn('no client role in this config: client-ingress stays idle');
          return;
        }
        const opener = new StreamOpener(client, log, opts.connectTimeoutMs, opts.zone);
        const started = async (ingress: Ingress & { listen(): Promise<{ host: string; port: number }> }, what: string, extra: Record<string, unknown> = {}) => {
          const at = await ingress.listen();
          running.push(ingress);
          log.info({ ingress: what, address: formatEndpoint(at.host, at.port), ...extra }, `${what} listening on ${formatEndpoint(at.host, at.port)}`);
        };
        try {
          if (opts.socks) {
            const server = new Socks5Server({ listen: opts.socks, auth: opts.socksAuth, opener, log, handshakeTimeoutMs: opts.handshakeTimeoutMs, udpIdleTimeoutMs: opts.udpIdleTimeoutMs });
            await started(server, 'socks', { auth: opts.socksAuth ? 'username/password' : 'none' });
          }
          if (opts.httpProxy) {
            const server = new HttpProxyServer({ listen: opts.httpProxy, auth: opts.httpProxyAuth, opener, log, handshakeTimeoutMs: opts.handshakeTimeoutMs });
            await started(server, 'http-proxy', { auth: opts.httpProxyAuth ? 'basic' : 'none' });
          }
          for (const f of opts.forwards) {
            const to = f.target !== undefined ? `${f.agent}->${f.target}` : `${f.agent}/${f.service || '(agent name)'}`;
            const forward = f.protocol === 'udp' ? new UdpForward(f, opener, opts.udpIdleTimeoutMs) : new TcpForward(f, opener);
            await started(forward, `forward ${f.protocol}`, { to });
          }
        } catch (err) {
          await Promise.all(running.splice(0).map((i) => i.close()));
          throw err;
        }
      });
      // Graceful stop: no new local connections while the client drains, then close the rest.
      node.hooks.stopping.tap(PLUGIN_NAME, () => {
        for (const i of running) i.stopAccepting();
      });
      node.hooks.shutdown.tapPromise(PLUGIN_NAME, async () => {
        await Promise.all(running.splice(0).map((i) => i.close().catch((err) => log.warn({ err }, 'closing a local ingress failed'))));
      });
    },
  };
}
