import net from 'node:net';
import { ErrorCodes, TfgwError, type GatewayApi, type Route } from '@tfgw/core';

/** How many ports of the pool are tried when the chosen one is held by another program. */
const LISTEN_ATTEMPTS = 16;

/** Listens on `host:port` with a public-socket server (half-open allowed). */
export function listenTcp(host: string, port: number, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.removeListener('error', onError);
      resolve(server);
    });
  });
}

/**
 * Allocates the route's public TCP port (`gateway.allocatePort`) and listens on it. A pool
 * port held by another program is skipped (up to 16 tries); a demanded port that cannot be
 * bound fails with TFGW_ERR_PORT_UNAVAILABLE. The caller releases the port when done.
 */
export async function listenRoutePort(gateway: GatewayApi, route: Route, host: string, onConnection: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const pool = gateway.ports.tcp;
  let port = gateway.allocatePort('tcp', route);
  const busy: number[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return { server: await listenTcp(host, port, onConnection), port };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (route.requestedPort !== undefined || code !== 'EADDRINUSE' || attempt + 1 >= LISTEN_ATTEMPTS) {
          pool.release(port);
          throw new TfgwError(ErrorCodes.PORT_UNAVAILABLE, `cannot listen on public tcp port ${host}:${port}: ${code ?? (err as Error).message}`, { cause: err, details: { port } });
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
