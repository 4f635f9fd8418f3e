import type net from 'node:net';
import { ErrorCodes, TfgwError } from '../errors';
import type { BoundAddress, TransportListener } from '../transport';
import { formatEndpoint } from './endpoint';

/** How to describe a bound server as a transport address. */
export interface ServerListenerOptions {
  /** URL scheme of the address, e.g. `tcp`. */
  scheme: string;
  /** Path appended to the URL (WebSocket path). @default '' */
  path?: string;
  /** URL fragment without `#` (a pinned fingerprint), appended to the URL. */
  fragment?: string;
}

/**
 * Binds `server` to `host:port` and returns it as a {@link TransportListener}. A port that
 * is taken or not allowed is a TFGW_ERR_PORT_UNAVAILABLE error (`details.path` = `listen`).
 * `close()` stops accepting and frees the port at once (the kernel releases it when the
 * listening handle closes); connections already accepted are left alone, as the
 * Transport contract says.
 */
export async function listenServer(server: net.Server, host: string, port: number, opts: ServerListenerOptions): Promise<TransportListener> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        new TfgwError(ErrorCodes.PORT_UNAVAILABLE, `listen: cannot listen on ${formatEndpoint(host, port)}: ${err.message}`, {
          cause: err,
          details: { path: 'listen', host, port, errno: err.code },
        }),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });
  const bound = server.address() as net.AddressInfo;
  const address: BoundAddress = {
    host,
    port: bound.port,
    url: `${opts.scheme}://${formatEndpoint(host, bound.port)}${opts.path ?? ''}${opts.fragment ? `#${opts.fragment}` : ''}`,
  };
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        // The 'close' event waits for every accepted connection to end; the port itself is
        // released by server.close() synchronously, which is all this promise stands for.
        if (server.listening) server.close();
        setImmediate(resolve);
      }),
  };
}
