import wsTransport from './plugin';

export { WsTransport, DEFAULT_DATA_DIR, type WsTransportContext } from './ws-transport';
export { WebSocketDuplex, MAX_MESSAGE_BYTES, WS_STREAM_HIGH_WATER_MARK } from './websocket-duplex';
export { createWsUpgradeHandler, requestPath, remoteAddressOf, DEFAULT_WS_PATH, DEFAULT_MAX_PAYLOAD, type WsUpgradeOptions } from './upgrade-handler';
export { WS_PLUGIN_OPTION_KEYS, type WsPluginOptions } from './plugin';
export { wsTransport };
export default wsTransport;
