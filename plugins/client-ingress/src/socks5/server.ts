import type net from 'node:net';
import { ErrorCodes, TfgwError, asTfgwError, readFramed, startSplice, type Endpoint, type FrameParse, type Logger } from '@tfgw/core';
import { credentialsMatch } from '../credentials';
import type { IngressCredentials } from '../options';
import type { StreamOpener } from '../opener';
import { refusalFor, SocksReply } from '../refusal';
import { listenTcp, type TcpIngressListener } from '../tcp-listener';
import { SocksUdpAssociation } from './udp-association';
import { AuthMethod, Command, encodeMethodChoice, encodeReply, encodeUserPassStatus, parseGreeting, parseRequest, parseUserPass } from './wire';

/** What the SOCKS5 server needs. */
export interface Socks5ServerOptions {
  /** Where to listen. */
  listen: Endpoint;
  /** RFC 1929 credentials to require; none = no authentication. */
  auth?: IngressCredentials;
  /** Opens streams and logs refusals. */
  opener: StreamOpener;
  /** Logger. */
  log: Logger;
  /** Time for greeting, authentication and request. */
  handshakeTimeoutMs: number;
  /** Idle time of a UDP association's per-destination stream. */
  udpIdleTimeoutMs: number;
}

function read<T>(socket: net.Socket, parse: (buf: Buffer) => FrameParse<T>): Promise<T> {
  return readFramed(
    socket,
    parse,
    () => new TfgwError(ErrorCodes.BAD_MESSAGE, 'SOCKS5: peer closed during the handshake'),
    (err) => asTfgwError(err, ErrorCodes.CONNECTION_RESET),
  );
}

/**
 * A SOCKS5 server (RFC 1928) for the client role: no authentication or RFC 1929
 * username/password, CONNECT (TCP streams) and UDP ASSOCIATE (framed datagrams over
 * streams); BIND is answered with 0x07. Hostnames follow the addressing scheme of
 * {@link resolveIngressAddress}; refusals get the reply of the table in `refusal.ts`.
 */
export class Socks5Server {
  private listener?: TcpIngressListener;
  private readonly associations = new Set<SocksUdpAssociation>();

  constructor(private readonly opts: Socks5ServerOptions) {}

  /** Start listening; resolves with the bound address. */
  async listen(): Promise<Endpoint> {
    this.listener = await listenTcp(this.opts.listen, 'socks', (s) => void this.handle(s));
    return this.listener.address;
  }

  /** Stop accepting new connections; open ones go on. */
  stopAccepting(): void {
    this.listener?.stopAccepting();
  }

  /** Stop listening and end every connection and association. */
  async close(): Promise<void> {
    for (const a of this.associations) a.close();
    await this.listener?.close();
  }

  private async handle(socket: net.Socket): Promise<void> {
    const from = `${socket.remoteAddress}:${socket.remotePort}`;
    const log = this.opts.log;
    let negotiated = false;
    socket.setTimeout(this.opts.handshakeTimeoutMs, () => {
      log.debug({ ingress: 'socks', from }, 'socks: handshake timed out');
      socket.destroy();
    });
    try {
      const greeting = await read(socket, parseGreeting);
      const method = this.opts.auth ? AuthMethod.USERPASS : AuthMethod.NONE;
      if (!greeting.methods.includes(method)) {
        log.warn({ ingress: 'socks', from, offered: greeting.methods }, `socks: ${from} offers no acceptable authentication method (this server requires ${this.opts.auth ? 'username/password' : 'none'})`);
        socket.end(encodeMethodChoice(AuthMethod.NO_ACCEPTABLE));
        return;
      }
      socket.write(encodeMethodChoice(method));
      if (this.opts.auth) {
        const cred = await read(socket, parseUserPass);
        const ok = credentialsMatch(cred, this.opts.auth);
        socket.write(encodeUserPassStatus(ok));
        if (!ok) {
          log.warn({ ingress: 'socks', from, code: ErrorCodes.AUTH }, `socks: ${from} authentication failed [${ErrorCodes.AUTH}]`);
          socket.end();
          return;
        }
      }
      negotiated = true;
      const request = await read(socket, parseRequest);
      socket.setTimeout(0);
      if (request.command === Command.CONNECT) await this.connect(socket, request.host, request.port, from);
      else if (request.command === Command.UDP_ASSOCIATE) this.associate(socket, request.host, request.port, from);
      else {
        log.warn({ ingress: 'socks', from, command: request.command }, `socks: ${from} asked for command ${request.command}, only CONNECT and UDP ASSOCIATE are supported`);
        socket.end(encodeReply(SocksReply.COMMAND_NOT_SUPPORTED));
      }
    } catch (err) {
      const e = asTfgwError(err, ErrorCodes.BAD_MESSAGE);
      log.debug({ ingress: 'socks', from, code: e.code }, `socks: ${from} handshake failed: ${e.message}`);
      const reply = e.details?.socksReply;
      if (negotiated && typeof reply === 'number' && socket.writable) socket.end(encodeReply(reply));
      else socket.destroy();
    }
  }

  private async connect(socket: net.Socket, host: string, port: number, from: string): Promise<void> {
    const ctx = { ingress: 'socks', from, asked: `${host}:${port}` };
    let stream;
    try {
      const target = this.opts.opener.resolve(host, port, ctx);
      stream = await this.opts.opener.open(target, 'tcp', ctx);
    } catch (err) {
      if (socket.writable) socket.end(encodeReply(refusalFor(asTfgwError(err).code).socks));
      return;
    }
    if (socket.destroyed) {
      stream.destroy();
      return;
    }
    socket.write(encodeReply(SocksReply.SUCCEEDED, socket.localAddress, socket.localPort));
    startSplice(socket, stream);
  }

  private associate(socket: net.Socket, host: string, port: number, from: string): void {
    const assoc = new SocksUdpAssociation({
      control: socket,
      expectedPeer: { host, port },
      opener: this.opts.opener,
      log: this.opts.log,
      idleTimeoutMs: this.opts.udpIdleTimeoutMs,
    });
    this.associations.add(assoc);
    assoc.once('close', () => this.associations.delete(assoc));
    assoc.start().then(
      (bound) => {
        if (socket.writable) socket.write(encodeReply(SocksReply.SUCCEEDED, bound.host, bound.port));
        this.opts.log.debug({ ingress: 'socks', from, relay: bound }, `socks: ${from} UDP ASSOCIATE relay on ${bound.host}:${bound.port}`);
      },
      (err) => {
        this.opts.opener.refused(err, { ingress: 'socks udp', from, asked: `${host}:${port}` });
        if (socket.writable) socket.end(encodeReply(SocksReply.GENERAL_FAILURE));
      },
    );
  }
}
