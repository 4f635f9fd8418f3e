import dgram from 'node:dgram';
import net from 'node:net';
import { ErrorCodes, TfgwError, type GatewayApi, type Route } from '@tfgw/core';

/** How many ports of the pool are tried when the chosen one is held by another program. */
const BIND_ATTEMPTS = 16;

function bindOnce(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Allocates the route's public UDP port (`gateway.allocatePort`) and binds a socket on it.
 * A pool port that another program holds is skipped (up to 16 tries); a demanded port that
 * cannot be bound fails with TFGW_ERR_PORT_UNAVAILABLE. The caller releases the port.
 */
export async function bindRoutePort(gateway: GatewayApi, route: Route, host: string): Promise<{ socket: dgram.Socket; port: number }> {
  const pool = gateway.ports.udp;
  let port = gateway.allocatePort('udp', route);
  const busy: number[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return { socket: await bindOnce(host, port), port };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (route.requestedPort !== undefined || code !== 'EADDRINUSE' || attempt + 1 >= BIND_ATTEMPTS) {
          pool.release(port);
          throw new TfgwError(ErrorCodes.PORT_UNAVAILABLE, `cannot bind public udp port ${host}:${port}: ${code ?? (err as Error).message}`, { cause: err, details: { port } });
        }
        busy.push(port);
        port = pool.allocate();
      }
    }
  } finally {
    // Ports another program holds go back to the pool: they may be free next time.
    for (const p of busy) pool.release(p);
  }
}
