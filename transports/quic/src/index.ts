import path from 'node:path';
import type { TfgwPlugin } from '@tfgw/core';
import { loadOrCreateIdentity } from './identity';
import { resolveQuicOptions, type QuicOptions } from './options';
import { QuicTransport } from './transport';

export { QuicTransport, DEFAULT_QUIC_PORT, nativeConfig } from './transport';
export { QuicSession } from './session';
export { QuicMuxedStream } from './stream';
export { QuicListener } from './listener';
export { QUIC_DEFAULTS, MAX_STREAMS, MAX_THREADS, maxStreamsFor, resolveQuicOptions, type QuicOptions, type ResolvedQuicOptions } from './options';
export { IDENTITY_FILE, generateIdentity, identityFromPem, loadOrCreateIdentity, quicFingerprint, type QuicIdentity, type StoredIdentity } from './identity';
export { fingerprintOf, parseFingerprint, peerIdOf, type Fingerprint } from './fingerprint';
export { NATIVE_VERSION, THREADS_ENV, defaultThreads, nativePackageName } from './native';

/** Name of the plugin. */
export const PLUGIN_NAME = 'transport-quic';

/**
 * The QUIC transport plugin: registers `quic://` and, when `listen` is set, loads (or on
 * first start creates) the gateway identity `quic-identity.key` in the data dir at start
 * and logs its fingerprint as `quic identity`.
 *
 * ```js
 * transports: [['quic', { listen: '127.0.0.1:7443' }]]        // gateway
 * agent: { server: 'quic://gw.example:7443#<fingerprint>' }   // agent / client
 * ```
 */
export default function quicPlugin(options: QuicOptions = {}): TfgwPlugin {
  const resolved = resolveQuicOptions(options as Record<string, unknown>);
  return {
    name: PLUGIN_NAME,
    apply(node) {
      const transport = new QuicTransport(options);
      const listen = resolved.listen.map(({ host, port }) => new URL(`quic://${host.includes(':') ? `[${host}]` : host}:${port}`));
      node.transports.add({ transport, listen, options: { ...options } });
      if (listen.length === 0) return;
      node.hooks.start.tapPromise(PLUGIN_NAME, async () => {
        const dataDir = path.resolve(node.baseDir, resolved.dataDir ?? node.config.dataDir ?? '.tfgw');
        const { identity, file, created, mode } = await loadOrCreateIdentity(dataDir);
        transport.useIdentity(identity);
        node.log.info({ fingerprint: identity.fingerprint, peerId: identity.peerId, file, created }, 'quic identity');
        if (mode & 0o077) node.log.warn({ file, mode: mode.toString(8) }, 'the quic identity key is readable by other users; chmod 600 it');
      });
    },
  };
}
