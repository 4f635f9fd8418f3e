import { EventEmitter } from 'node:events';
import type { ClientConfig } from '../config/types';
import { DEFAULT_ZONE, resolveLimits } from '../config/defaults';
import type { MuxedStream } from '../muxer';
import type { RoleLifecycle, TfgwNode } from '../node';
import { openDataStream } from '../protocol/data-stream';
import type { StreamHeader } from '../session-info';
import type { ClientApi } from './api';
import { Reconnector } from './reconnector';

/**
 * The client role: keeps a session to the gateway and opens streams to agents' services or
 * allowed targets. Local ingresses (SOCKS5, HTTP CONNECT, forwards) are plugins using `connect`.
 */
export class Client extends EventEmitter implements ClientApi, RoleLifecycle {
  zone: string;
  private readonly reconnector: Reconnector;
  private readonly maxHeaderBytes: number;

  constructor(private readonly node: TfgwNode, cfg: ClientConfig) {
    super();
    this.zone = node.config.zone ?? DEFAULT_ZONE;
    this.maxHeaderBytes = resolveLimits(node.config.gateway?.limits).controlMessageBytes;
    this.reconnector = new Reconnector(node, {
      server: cfg.server,
      token: cfg.token ?? process.env.TFGW_CLIENT_TOKEN ?? '',
      role: 'client',
      transport: cfg.transport,
      minDelayMs: cfg.reconnect?.minDelayMs,
      maxDelayMs: cfg.reconnect?.maxDelayMs,
    });
    for (const ev of ['connecting', 'retry', 'fatal', 'disconnected']) this.reconnector.on(ev, (a) => this.emit(ev, a));
    this.reconnector.on('connected', (c) => {
      if (c.welcome.zone) this.zone = c.welcome.zone;
      this.node.log.info({ session: c.welcome.sessionId }, 'client connected');
      this.emit('connected', c);
    });
    node.addLifecycle(this);
  }

  async start(): Promise<void> {
    this.reconnector.start();
  }

  async stop(drainMs: number): Promise<void> {
    await this.reconnector.stop(drainMs);
  }

  /** Resolves once connected to the gateway. */
  async whenConnected(timeoutMs = 10000): Promise<void> {
    await this.reconnector.ready(timeoutMs);
  }

  async connect(header: StreamHeader, signal?: AbortSignal): Promise<MuxedStream> {
    const conn = await this.reconnector.ready(10000);
    return openDataStream(conn.session, header, this.maxHeaderBytes, signal);
  }
}
