import net from 'node:net';
import { once } from 'node:events';
import { ErrorCodes, TfgwError, formatEndpoint, type Endpoint } from '@tfgw/core';

/** A TCP server of one local ingress that knows its open sockets. */
export interface TcpIngressListener {
  /** Where it actually listens (port 0 resolved). */
  readonly address: Endpoint;
  /** Stop accepting; open sockets go on. */
  stopAccepting(): void;
  /** Stop accepting and destroy every open socket. */
  close(): Promise<void>;
}

/**
 * Listens on `endpoint` and hands each connection to `onConnection`; the sockets are tracked
 * so `close()` ends them all. A bind failure rejects with TFGW_ERR_CONFIG naming `what`
 * (`socks`, `forwards[0].listen`) and the system error, e.g. EADDRINUSE.
 */
export async function listenTcp(
  endpoint: Endpoint,
  what: string,
  onConnection: (socket: net.Socket) => void,
  // Half-open: a local peer's FIN must reach the service while its answer still flows back.
  server: net.Server = net.createServer({ allowHalfOpen: true }),
): Promise<TcpIngressListener> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    onConnection(socket);
  });
  server.listen({ host: endpoint.host, port: endpoint.port });
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TfgwError(ErrorCodes.CONFIG, `${what}: cannot listen on ${formatEndpoint(endpoint.host, endpoint.port)}: ${e.code ?? e.message}`, { cause: err, details: { path: what, errno: e.code } });
  }
  server.on('error', () => undefined);
  const bound = server.address() as net.AddressInfo;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  return {
    address: { host: bound.address, port: bound.port },
    stopAccepting() {
      if (server.listening) server.close();
    },
    async close() {
      if (server.listening) server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
