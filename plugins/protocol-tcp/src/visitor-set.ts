import type net from 'node:net';

const kSet = Symbol('tfgw.visitorSet');
type Tracked = net.Socket & { [kSet]?: Set<net.Socket> };

/** Late errors are the pipe's to report; a tracked socket must not crash the process with one. */
function ignoreError(): void {}

/** Shared 'close' listener: an idle visitor costs a set entry, not two closures. */
function untrack(this: Tracked): void {
  this[kSet]?.delete(this);
}

/** Open visitor sockets of one listener or route, so they can be closed with it. */
export class VisitorSet {
  private readonly sockets = new Set<net.Socket>();

  /** Track a socket until it closes; swallows its late errors (the pipe reports them). */
  add(socket: net.Socket): void {
    this.sockets.add(socket);
    (socket as Tracked)[kSet] = this.sockets;
    socket.on('error', ignoreError);
    socket.on('close', untrack);
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
