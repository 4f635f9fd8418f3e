import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { ErrorCodes, TfgwError, acceptStream, type AgentApi, type Logger, type MuxedStream, type StreamHeader } from '@tfgw/core';
import { DatagramBatcher } from './datagram-batcher';
import { DatagramDecoder } from './datagram-framer';

async function connectedSocket(host: string, port: number): Promise<dgram.Socket> {
  let address = host;
  let family = net.isIP(host);
  if (family === 0) {
    try {
      const r = await dns.lookup(host);
      address = r.address;
      family = r.family;
    } catch (err) {
      throw new TfgwError(ErrorCodes.SERVICE_UNREACHABLE, `cannot resolve udp service host "${host}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  }
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      socket.close();
      reject(new TfgwError(ErrorCodes.SERVICE_UNREACHABLE, `cannot reach udp service ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.connect(port, address, () => {
      socket.removeListener('error', onError);
      resolve();
    });
  });
  return socket;
}

/**
 * Serves one UDP association on the agent: a `dgram` socket connected to the service (so
 * only its replies come back, and they come back to this association), datagrams decoded
 * from the stream and sent, replies framed onto the stream. The socket closes with the
 * stream. `live` (optional) holds a finisher per relay while it runs. Throws TFGW_ERR_UNKNOWN_SERVICE / TFGW_ERR_TARGET_NOT_ALLOWED /
 * TFGW_ERR_SERVICE_UNREACHABLE before accepting (the core refuses the stream with it).
 */
export async function relayUdpStream(agent: AgentApi, stream: MuxedStream, header: StreamHeader, log: Logger, maxBufferedBytes: number, live?: Set<() => void>): Promise<true> {
  const target = agent.resolveTarget(header);
  const socket = await connectedSocket(target.host, target.port);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    live?.delete(finish);
    socket.close();
  };
  /** Stop relaying and half-close the stream (the node is stopping). */
  const finish = () => {
    close();
    stream.end();
  };
  live?.add(finish);
  const decoder = new DatagramDecoder((d) => {
    if (!closed) socket.send(d);
  });
  stream.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk);
    } catch (err) {
      log.warn({ code: (err as TfgwError).code, service: header.service }, `udp stream broke framing: ${(err as Error).message}`);
      stream.destroy();
    }
  });
  const batcher = new DatagramBatcher(stream, maxBufferedBytes);
  socket.on('message', (msg) => batcher.push(msg));
  // ICMP "port unreachable" surfaces as ECONNREFUSED on a connected socket: a UDP service
  // that is down loses datagrams, as UDP would; the association stays.
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ECONNREFUSED') log.warn({ err, service: header.service }, 'udp service socket error');
  });
  stream.on('end', () => {
    close();
    stream.end();
  });
  stream.on('error', () => undefined);
  stream.once('close', close);
  acceptStream(stream);
  return true;
}
