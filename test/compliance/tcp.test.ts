import { TcpTransport } from '@tfgw/transport-tcp';
import { describeTransportCompliance } from './transport-suite';

describeTransportCompliance('tcp', () => ({
  transport: new TcpTransport(),
  listenUrl: new URL('tcp://127.0.0.1:0'),
}));
