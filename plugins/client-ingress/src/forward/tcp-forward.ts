import type net from 'node:net';
import { formatEndpoint, startSplice, type Endpoint } from '@tfgw/core';
import type { IngressTarget } from '../address';
import type { StreamOpener } from '../opener';
import type { ResolvedForward } from '../options';
import { listenTcp, type TcpIngressListener } from '../tcp-listener';

/**
 * A fixed local TCP port: every connection becomes one stream to the forward's agent
 * service or raw target. A refused stream resets the local connection (the opener logs why).
 * Bytes the local peer sends before the stream is open wait in the socket (it starts paused).
 */
export class TcpForward {
  private listener?: TcpIngressListener;

  constructor(
    private readonly forward: ResolvedForward,
    private readonly opener: StreamOpener,
  ) {}

  /** Start listening; resolves with the bound address. */
  async listen(): Promise<Endpoint> {
    this.listener = await listenTcp(this.forward.listen, `${this.forward.path}.listen`, (s) => void this.handle(s));
    return this.listener.address;
  }

  /** Stop accepting new connections; open ones go on. */
  stopAccepting(): void {
    this.listener?.stopAccepting();
  }

  /** Stop listening and end every connection. */
  async close(): Promise<void> {
    await this.listener?.close();
  }

  private async handle(socket: net.Socket): Promise<void> {
    const f = this.forward;
    const target: IngressTarget = f.target !== undefined ? { agent: f.agent, target: f.target } : { agent: f.agent, service: f.service ?? '' };
    const ctx = {
      ingress: `forward ${formatEndpoint(this.listener!.address.host, this.listener!.address.port)}`,
      from: `${socket.remoteAddress}:${socket.remotePort}`,
      asked: f.target !== undefined ? `${f.agent}->${f.target}` : `${f.agent}/${f.service || '(agent name)'}`,
    };
    let stream;
    try {
      stream = await this.opener.open(target, 'tcp', ctx);
    } catch {
      socket.resetAndDestroy();
      return;
    }
    if (socket.destroyed) {
      stream.destroy();
      return;
    }
    startSplice(socket, stream);
  }
}
