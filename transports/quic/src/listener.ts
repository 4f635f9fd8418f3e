import type { BoundAddress, TransportConnection, TransportListener } from '@tfgw/core';
import { classifyNativeError, type NativeConnection, type NativeServer } from './native';
import type { QuicSession } from './session';

/** What a {@link QuicListener} needs. */
export interface QuicListenerInit {
  /** The bound native endpoint. */
  server: NativeServer;
  /** Where it is bound (its URL carries our fingerprint). */
  address: BoundAddress;
  /** Wrap an accepted connection (session + info). */
  accept: (connection: NativeConnection, onClosed: () => void) => { session: QuicSession; conn: TransportConnection };
  /** Receives every accepted connection. */
  onConnection: (conn: TransportConnection) => void;
}

/**
 * A listening QUIC endpoint. All connections share its one UDP socket, so `close()` stops
 * accepting at once (new connections are closed right after their handshake) but frees the
 * port only when the last session on it has closed; sessions already running go on.
 */
export class QuicListener implements TransportListener {
  /** The bound address. */
  readonly address: BoundAddress;
  private readonly init: QuicListenerInit;
  private readonly sessions = new Set<QuicSession>();
  private accepting = true;
  private unbound?: Promise<void>;

  constructor(init: QuicListenerInit) {
    this.init = init;
    this.address = init.address;
    void this.acceptLoop();
  }

  /** Stop accepting; unbind now if no session is open, else when the last one closes. */
  async close(): Promise<void> {
    this.accepting = false;
    if (this.sessions.size === 0) await this.unbind();
  }

  private unbind(): Promise<void> {
    this.unbound ??= this.init.server.abort().catch(() => undefined);
    return this.unbound;
  }

  private async acceptLoop(): Promise<void> {
    for (;;) {
      let connection: NativeConnection;
      try {
        connection = await this.init.server.inboundConnection();
      } catch (err) {
        if (this.unbound || classifyNativeError(err) === 'local-closed') return; // endpoint closed
        continue; // one failed handshake; keep accepting
      }
      if (!this.accepting) {
        connection.abort();
        continue;
      }
      const { session, conn } = this.init.accept(connection, () => {
        this.sessions.delete(session);
        if (!this.accepting && this.sessions.size === 0) void this.unbind();
      });
      this.sessions.add(session);
      try {
        this.init.onConnection(conn);
      } catch (err) {
        session.close(err as Error);
      }
    }
  }
}
