import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { ErrorCodes, TfgwError, formatEndpoint, type Endpoint } from '@tfgw/core';

/**
 * Binds a UDP socket of the family of `endpoint.host`. A bind failure rejects with
 * TFGW_ERR_CONFIG naming `what` and the system error (EADDRINUSE, EADDRNOTAVAIL).
 */
export async function bindUdp(endpoint: Endpoint, what: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: net.isIPv6(endpoint.host) ? 'udp6' : 'udp4' });
  try {
    socket.bind({ address: endpoint.host, port: endpoint.port });
    await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([err]) => Promise.reject(err))]);
  } catch (err) {
    socket.close();
    const e = err as NodeJS.ErrnoException;
    throw new TfgwError(ErrorCodes.CONFIG, `${what}: cannot bind UDP ${formatEndpoint(endpoint.host, endpoint.port)}: ${e.code ?? e.message}`, { cause: err, details: { path: what, errno: e.code } });
  }
  socket.on('error', () => undefined);
  return socket;
}
