import type net from 'node:net';

/** Open visitor sockets of one listener or route, so they can be closed with it. */
export class VisitorSet {
  private readonly sockets = new Set<net.Socket>();

  /** Track a socket until it closes; swallows its late errors (the pipe reports them). */
  add(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Sockets open now. */
  get size(): number {
    return this.sockets.size;
  }

  /** Destroy every socket. */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
