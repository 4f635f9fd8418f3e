import dgram from 'node:dgram';
import { once } from 'node:events';
import type { MuxedSession, TransportConnection, TransportListener } from '@tfgw/core';
import { QuicTransport, type QuicOptions } from '../src';

/** A gateway-side listener and one dialed session pair. */
export interface QuicPair {
  transport: QuicTransport;
  listener: TransportListener;
  client: MuxedSession;
  server: MuxedSession;
  clientConn: TransportConnection;
  serverConn: TransportConnection;
  /** Close both sessions and the listener. */
  close(): Promise<void>;
}

/**
 * Listen on 127.0.0.1:0 and dial it (pinning the listener's fingerprint from its URL).
 * `options` are the transport's; `sides` adds options of the listen or of the dial only.
 */
export async function quicPair(
  options: QuicOptions = {},
  dialUrl?: (listenerUrl: URL) => URL,
  sides: { listen?: QuicOptions; dial?: QuicOptions } = {},
): Promise<QuicPair> {
  const transport = new QuicTransport(options);
  let accepted!: (c: TransportConnection) => void;
  const serverConn = new Promise<TransportConnection>((r) => (accepted = r));
  const all: TransportConnection[] = [];
  const listener = await transport.listen({ url: new URL('quic://127.0.0.1:0'), options: { ...sides.listen } }, (c) => {
    all.push(c);
    accepted(c);
  });
  const url = new URL(listener.address.url);
  let clientConn: TransportConnection;
  try {
    clientConn = await transport.dial({ url: dialUrl ? dialUrl(url) : url, options: { ...sides.dial } });
  } catch (err) {
    for (const c of all) c.session!.close();
    await listener.close();
    throw err;
  }
  const server = await serverConn;
  const client = clientConn.session!;
  return {
    transport,
    listener,
    client,
    server: server.session!,
    clientConn,
    serverConn: server,
    async close() {
      client.close();
      server.session!.close();
      await listener.close();
    },
  };
}

/**
 * A UDP relay between a QUIC client and server, standing in for a NAT / the network:
 * `rebind()` sends on from a new source port (a NAT rebinding), `blackhole()` drops every
 * datagram (the peer is gone).
 */
export interface UdpRelay {
  /** Port clients dial. */
  port: number;
  /** Forward from a fresh upstream socket; returns its port. */
  rebind(): Promise<number>;
  /** Drop everything from now on. */
  blackhole(): void;
  /** Close the relay's sockets. */
  close(): Promise<void>;
}

/** Relay 127.0.0.1:(returned port) <-> 127.0.0.1:targetPort. */
export async function udpRelay(targetPort: number): Promise<UdpRelay> {
  const front = dgram.createSocket('udp4');
  front.bind(0, '127.0.0.1');
  await once(front, 'listening');
  let drop = false;
  let client: dgram.RemoteInfo | undefined;
  const sockets: dgram.Socket[] = [front];
  const upstream = async (): Promise<dgram.Socket> => {
    const u = dgram.createSocket('udp4');
    u.bind(0, '127.0.0.1');
    await once(u, 'listening');
    u.on('message', (m) => {
      if (!drop && client) front.send(m, client.port, client.address);
    });
    sockets.push(u);
    return u;
  };
  let up = await upstream();
  front.on('message', (m, from) => {
    client = from;
    if (!drop) up.send(m, targetPort, '127.0.0.1');
  });
  return {
    port: front.address().port,
    async rebind() {
      up = await upstream();
      return up.address().port;
    },
    blackhole() {
      drop = true;
    },
    async close() {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

/** Resolves with the error a stream is destroyed with (or undefined on a clean close). */
export function closeError(stream: NodeJS.EventEmitter): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    stream.on('error', (e: Error) => (error = e));
    stream.once('close', () => resolve(error));
  });
}
