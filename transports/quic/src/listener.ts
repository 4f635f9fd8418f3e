import type { BoundAddress, TransportListener } from '@tfgw/core';
import type { Acceptor, ServerEndpoint } from './endpoint';

/**
 * A QUIC listener: receives the connections of its {@link ServerEndpoint}. `close()` stops
 * accepting at once and leaves running sessions alone. The UDP port is released when the
 * last of those sessions closes (they share its socket); until then a new listener of the
 * same transport on the same address takes it over.
 */
export class QuicListener implements TransportListener {
  /** The bound address; `url` carries the fingerprint to pin. */
  readonly address: BoundAddress;
  private readonly endpoint: ServerEndpoint;
  private readonly acceptor: Acceptor;

  constructor(address: BoundAddress, endpoint: ServerEndpoint, acceptor: Acceptor) {
    this.address = address;
    this.endpoint = endpoint;
    this.acceptor = acceptor;
    endpoint.attach(acceptor);
  }

  /** Stop accepting; the port is unbound now if no session runs on it, else after the last one. */
  close(): Promise<void> {
    return this.endpoint.detach(this.acceptor);
  }
}
