import type dgram from 'node:dgram';
import { formatEndpoint, type Endpoint } from '@tfgw/core';
import type { IngressTarget } from '../address';
import type { StreamOpener } from '../opener';
import type { ResolvedForward } from '../options';
import { bindUdp } from '../udp/bind-udp';
import { DatagramFlow } from '../udp/datagram-flow';

/**
 * A fixed local UDP port: each local peer address (`ip:port`) gets its own association, one
 * stream of framed datagrams to the forward's agent service or raw target; replies go back
 * to that peer from the local port. An association ends after `idleTimeoutMs` without
 * datagrams; a refused one drops datagrams for a while (one log line, see DatagramFlow), then retries.
 */
export class UdpForward {
  private socket?: dgram.Socket;
  private readonly flows = new Map<string, DatagramFlow>();
  private address?: Endpoint;
  private accepting = true;

  constructor(
    private readonly forward: ResolvedForward,
    private readonly opener: StreamOpener,
    private readonly idleTimeoutMs: number,
  ) {}

  /** Bind the local port; resolves with the bound address. */
  async listen(): Promise<Endpoint> {
    const socket = await bindUdp(this.forward.listen, `${this.forward.path}.listen`);
    this.socket = socket;
    const bound = socket.address();
    this.address = { host: bound.address, port: bound.port };
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    return this.address;
  }

  /** Start no new associations; open ones go on. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Close every association and the socket. */
  async close(): Promise<void> {
    for (const f of this.flows.values()) f.close();
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let flow = this.flows.get(key);
    if (!flow) {
      if (!this.accepting) return;
      const f = this.forward;
      const target: IngressTarget = f.target !== undefined ? { agent: f.agent, target: f.target } : { agent: f.agent, service: f.service ?? '' };
      const ctx = {
        ingress: `forward udp ${formatEndpoint(this.address!.host, this.address!.port)}`,
        from: formatEndpoint(rinfo.address, rinfo.port),
        asked: f.target !== undefined ? `${f.agent}->${f.target}` : `${f.agent}/${f.service || '(agent name)'}`,
      };
      const created: DatagramFlow = new DatagramFlow(
        () => this.opener.open(target, 'udp', ctx),
        (d) => this.socket?.send(d, rinfo.port, rinfo.address),
        this.idleTimeoutMs,
      );
      flow = created;
      this.flows.set(key, created);
      created.once('close', () => {
        if (this.flows.get(key) === created) this.flows.delete(key);
      });
    }
    flow.send(msg);
  }
}
