import type { TransportConnection } from '@tfgw/core';
import { classifyNativeError, type NativeConnection, type NativeServer } from './native';
import type { QuicSession } from './session';

/** Receives the connections a {@link ServerEndpoint} accepts. */
export interface Acceptor {
  /** Wrap an accepted connection; `onClosed` must run when its session closes. */
  accept(connection: NativeConnection, onClosed: () => void): { session: QuicSession; conn: TransportConnection };
  /** Hand the connection to the user. */
  deliver(conn: TransportConnection): void;
}

/**
 * One bound UDP socket serving QUIC. All sessions accepted on it share the socket, so it
 * outlives its listener: it is unbound only once no listener is attached and its last
 * session closed. A new listener on the same address (same settings) attaches to it, so a
 * listener can be closed and reopened while old sessions run on.
 */
export class ServerEndpoint {
  /** The native server. */
  readonly server: NativeServer;
  /** Settings it was made with (identity fingerprint + options), to refuse an incompatible reuse. */
  readonly settingsKey: string;
  private acceptor?: Acceptor;
  private readonly sessions = new Set<QuicSession>();
  private unbound?: Promise<void>;
  private readonly onUnbind: () => void;

  constructor(server: NativeServer, settingsKey: string, onUnbind: () => void) {
    this.server = server;
    this.settingsKey = settingsKey;
    this.onUnbind = onUnbind;
    void this.acceptLoop();
  }

  /** True while a listener receives its connections. */
  get attached(): boolean {
    return this.acceptor !== undefined;
  }

  /** Start delivering new connections to `acceptor`. */
  attach(acceptor: Acceptor): void {
    this.acceptor = acceptor;
  }

  /**
   * Stop delivering to `acceptor` (new connections are then closed after their handshake).
   * Resolves once the socket is unbound if nothing holds it any more; again later, it waits
   * for that unbind.
   */
  async detach(acceptor: Acceptor): Promise<void> {
    if (this.acceptor === acceptor) this.acceptor = undefined;
    if (!this.acceptor && this.sessions.size === 0) await this.unbind();
  }

  private unbind(): Promise<void> {
    if (!this.unbound) {
      this.onUnbind();
      this.unbound = this.server.abort().catch(() => undefined);
    }
    return this.unbound;
  }

  private async acceptLoop(): Promise<void> {
    for (;;) {
      let connection: NativeConnection;
      try {
        connection = await this.server.inboundConnection();
      } catch (err) {
        if (this.unbound || classifyNativeError(err) === 'local-closed') return; // endpoint closed
        continue; // one failed handshake; keep accepting
      }
      const acceptor = this.acceptor;
      if (!acceptor || this.unbound) {
        connection.abort();
        continue;
      }
      const { session, conn } = acceptor.accept(connection, () => {
        this.sessions.delete(session);
        if (!this.acceptor && this.sessions.size === 0) void this.unbind();
      });
      this.sessions.add(session);
      try {
        acceptor.deliver(conn);
      } catch (err) {
        session.close(err as Error);
      }
    }
  }
}
