import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import type { Logger } from '@tfgw/core';
import type { DnsEngine, EngineReply } from './engine';
import type { ListenAddress } from './listen-address';

/** A bound UDP socket serving DNS. */
export interface UdpListener {
  /** Bound address. */
  address(): net.AddressInfo;
  /** Stop receiving and close. */
  close(): Promise<void>;
}

/** Socket buffer size asked for (the kernel may cap it), so bursts are not dropped. */
const SOCKET_BUFFER = 4 * 1024 * 1024;

/** Binds a UDP socket and answers each datagram with the engine's reply (or nothing). */
export async function listenUdp(at: ListenAddress, engine: DnsEngine, log: Logger): Promise<UdpListener> {
  const family = net.isIPv6(at.host) ? 6 : 4;
  const socket = dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    recvBufferSize: SOCKET_BUFFER,
    sendBufferSize: SOCKET_BUFFER,
    // replies go to the IP literal the datagram came from: skip the async resolver
    lookup: (address: string, _family: unknown, cb: (err: Error | null, address: string, family: number) => void) => cb(null, address, family),
  } as dgram.SocketOptions);
  const send = (reply: EngineReply, port: number, address: string) => {
    if (reply === null) return;
    const b = Array.isArray(reply) ? reply[0] : reply;
    if (!b) return;
    try {
      socket.send(b, port, address);
    } catch (err) {
      // the socket closed while the answer was being computed (shutdown): nothing to send on
      log.debug({ err }, 'dns: udp reply not sent');
    }
  };
  socket.on('message', (msg, rinfo) => {
    const r = engine.handle(msg, rinfo.address, 'udp');
    if (r instanceof Promise) void r.then((reply) => send(reply, rinfo.port, rinfo.address));
    else send(r, rinfo.port, rinfo.address);
  });
  socket.on('error', (err) => log.warn({ err }, 'dns: udp socket error'));
  // listen for the outcome before binding: with a synchronous lookup, 'listening' may fire inside bind()
  const bound = Promise.race([
    once(socket, 'listening'),
    once(socket, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  socket.bind(at.port, at.host);
  await bound;
  return {
    address: () => socket.address(),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
