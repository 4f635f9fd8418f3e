import tlsTransport from './plugin';

export { TlsTransport, DEFAULT_DATA_DIR, type TlsTransportContext } from './tls-transport';
export { TLS_PLUGIN_OPTION_KEYS, type TlsPluginOptions } from './plugin';
export { tlsTransport };
export default tlsTransport;
