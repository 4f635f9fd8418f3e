import tcpTransport from './plugin';

export { TcpTransport, type TcpTransportContext } from './tcp-transport';
export { TCP_OPTION_KEYS, type TcpPluginOptions } from './plugin';
export { tcpTransport };
export default tcpTransport;
