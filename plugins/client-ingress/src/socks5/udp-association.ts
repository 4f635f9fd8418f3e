import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { formatEndpoint, type Endpoint, type Logger } from '@tfgw/core';
import type { StreamOpener } from '../opener';
import { bindUdp } from '../udp/bind-udp';
import { DatagramFlow } from '../udp/datagram-flow';
import { encodeSocksDatagram, parseSocksDatagram } from './wire';

/** What a UDP association needs. */
export interface SocksUdpAssociationOptions {
  /** The TCP connection that asked for it: the association lives as long as it does. */
  control: net.Socket;
  /** DST.ADDR / DST.PORT of the request: where the client will send from (0.0.0.0:0 = not known yet). */
  expectedPeer: { host: string; port: number };
  /** Opens streams and logs refusals. */
  opener: StreamOpener;
  /** Logger. */
  log: Logger;
  /** Idle time of each destination's stream. */
  idleTimeoutMs: number;
}

function plainIp(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

function unspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || /^0(:0){7}$/.test(host) || !net.isIP(host);
}

/**
 * A SOCKS5 UDP ASSOCIATE relay (RFC 1928 §7): a UDP socket beside the SOCKS listener that
 * takes datagrams only from the client's IP (and port, once known), and gives each
 * destination (`SVC.AGENT.<zone>:port`, `HOST._via.AGENT.<zone>:port`) its own
 * {@link DatagramFlow}. Replies carry the destination as the client named it. Fragments
 * (FRAG ≠ 0) and datagrams from others are dropped. Ends with the control connection.
 *
 * Emits `'close'` once.
 */
export class SocksUdpAssociation extends EventEmitter {
  private socket?: dgram.Socket;
  private readonly flows = new Map<string, DatagramFlow>();
  private readonly clientIp: string;
  private peerPort?: number;
  private closed = false;

  constructor(private readonly opts: SocksUdpAssociationOptions) {
    super();
    this.clientIp = plainIp(opts.control.remoteAddress);
    const expected = opts.expectedPeer;
    if (!unspecified(expected.host) && expected.port !== 0 && plainIp(expected.host) === this.clientIp) this.peerPort = expected.port;
  }

  /** Bind the relay socket on the SOCKS listener's address; resolves with BND.ADDR / BND.PORT. */
  async start(): Promise<Endpoint> {
    const control = this.opts.control;
    control.on('end', () => this.close());
    control.once('close', () => this.close());
    control.resume();
    const socket = await bindUdp({ host: plainIp(control.localAddress) || '127.0.0.1', port: 0 }, 'socks');
    if (this.closed) {
      socket.close();
      return { host: '0.0.0.0', port: 0 };
    }
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    const bound = socket.address();
    return { host: bound.address, port: bound.port };
  }

  /** End every flow, the relay socket and the control connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.flows.values()) f.close();
    this.flows.clear();
    this.socket?.close();
    this.opts.control.destroy();
    this.emit('close');
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (plainIp(rinfo.address) !== this.clientIp) return;
    if (this.peerPort === undefined) this.peerPort = rinfo.port;
    else if (rinfo.port !== this.peerPort) return;
    const d = parseSocksDatagram(msg);
    if (!d || d.frag !== 0) return;
    const key = `${d.host.toLowerCase()}|${d.port}`;
    let flow = this.flows.get(key);
    if (!flow) {
      const { host, port } = d;
      const ctx = { ingress: 'socks udp', from: formatEndpoint(rinfo.address, rinfo.port), asked: `${host}:${port}` };
      const opener = this.opts.opener;
      const created: DatagramFlow = new DatagramFlow(
        async () => opener.open(opener.resolve(host, port, ctx), 'udp', ctx),
        (reply) => this.socket?.send(encodeSocksDatagram(host, port, reply), rinfo.port, rinfo.address),
        this.opts.idleTimeoutMs,
      );
      flow = created;
      this.flows.set(key, created);
      created.once('close', () => {
        if (this.flows.get(key) === created) this.flows.delete(key);
      });
    }
    flow.send(d.data);
  }
}
