import type { TfgwPlugin } from '@tfgw/core';
import { relayUdpStream } from './agent-relay';
import { resolveUdpOptions, type UdpPluginOptions } from './options';
import { UdpExposure } from './udp-exposure';

export { MAX_DATAGRAM, DATAGRAM_HEADER_BYTES, encodeDatagram, datagramHeader, DatagramDecoder } from './datagram-framer';
export { DatagramBatcher, BATCH_FLUSH_BYTES } from './datagram-batcher';
export { UDP_DEFAULTS, resolveUdpOptions, type UdpPluginOptions, type ResolvedUdpOptions } from './options';
export { UdpExposure } from './udp-exposure';
export { relayUdpStream } from './agent-relay';

/** The plugin's name in config and logs. */
export const PLUGIN_NAME = 'protocol-udp';

/**
 * UDP services. On a gateway, each `udp` route gets a public UDP port from
 * `gateway.ports.udp` (URL `udp://HOST:PORT`); every visitor address becomes an association
 * carried as one stream of length-prefixed datagrams. On an agent, such streams are relayed
 * to the service from one `dgram` socket per association. Options are validated here
 * (TFGW_ERR_CONFIG naming the key).
 */
export default function protocolUdp(options: UdpPluginOptions = {}): TfgwPlugin {
  const opts = resolveUdpOptions(options);
  const exposures = new Set<UdpExposure>();
  const relays = new Set<() => void>();
  return {
    name: PLUGIN_NAME,
    apply(node) {
      const log = node.log.child({ plugin: PLUGIN_NAME });
      node.hooks.expose.for('udp').tapPromise(PLUGIN_NAME, async (route) => {
        const gateway = node.gateway;
        if (!gateway) return undefined;
        const exposure = await UdpExposure.bind(gateway, route, opts, log, (e) => exposures.delete(e));
        exposures.add(exposure);
        return exposure;
      });
      node.hooks.stream.for('udp').tapPromise(PLUGIN_NAME, async (stream, header, ctx) => {
        if (ctx.role !== 'agent' || !node.agent) return undefined;
        return relayUdpStream(node.agent, stream, header, log, opts.maxBufferedBytes, relays);
      });
      // Draining: UDP has nothing to finish; end associations so streams close at once.
      node.hooks.stopping.tap(PLUGIN_NAME, () => {
        for (const e of exposures) e.drain();
        for (const finish of [...relays]) finish();
      });
      node.hooks.shutdown.tapPromise(PLUGIN_NAME, async () => {
        await Promise.all([...exposures].map((e) => e.release()));
        exposures.clear();
      });
    },
  };
}
