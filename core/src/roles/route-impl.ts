import type { MuxedStream } from '../muxer';
import type { Exposure, Route, RouteStats, VisitorInfo } from '../route';
import { ErrorCodes, TfgwError } from '../errors';
import { openDataStream } from '../protocol/data-stream';
import type { PeerSession } from './peer-session';

/** The gateway's Route: knows its agent's live session (if any) and its exposure. */
export class RouteImpl implements Route {
  readonly id: string;
  port?: number;
  url?: string;
  enabled = true;
  readonly stats: RouteStats = { visitors: 0, visitorsTotal: 0, bytesIn: 0, bytesOut: 0 };
  /** Set once the protocol plugin bound it. */
  exposure?: Exposure;
  /** The `expose` taps when it was bound; a reload that changes them binds it again. */
  exposedBy?: unknown[];
  /** The live agent session, undefined during grace. */
  peer?: PeerSession;

  constructor(
    readonly agent: string,
    readonly service: string,
    readonly protocol: string,
    readonly hostname: string,
    readonly owner: string,
    readonly options: Record<string, unknown>,
    readonly requestedPort: number | undefined,
    public portHint: number | undefined,
    private readonly maxHeaderBytes: number,
  ) {
    this.id = `${protocol}:${hostname}`;
  }

  /** Key that identifies "the same service" across reconnects. */
  static key(agent: string, service: string, protocol: string): string {
    return `${agent}/${service}/${protocol}`;
  }

  get online(): boolean {
    return this.peer !== undefined && !this.peer.session.closed;
  }

  async connect(visitor: VisitorInfo, signal?: AbortSignal): Promise<MuxedStream> {
    if (!this.enabled) throw new TfgwError(ErrorCodes.VISITOR_REJECTED, `route ${this.hostname} is disabled by the operator`);
    const peer = this.peer;
    if (!peer || peer.session.closed) throw new TfgwError(ErrorCodes.AGENT_OFFLINE, `agent "${this.agent}" is not connected`);
    const stream = await openDataStream(
      peer.session,
      { protocol: this.protocol, service: this.service, visitor: `${visitor.address}:${visitor.port}`, ...(visitor.hostname ? { hostname: visitor.hostname } : {}) },
      this.maxHeaderBytes,
      signal,
    );
    this.stats.visitors++;
    this.stats.visitorsTotal++;
    (stream as RouteStream)[kRoute] = this;
    stream.on('close', visitorGone);
    return stream;
  }

  /** JSON view for logs and the admin API. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      agent: this.agent,
      service: this.service,
      protocol: this.protocol,
      hostname: this.hostname,
      port: this.port,
      url: this.url,
      owner: this.owner,
      online: this.online,
      enabled: this.enabled,
      stats: { ...this.stats },
    };
  }
}

const kRoute = Symbol('tfgw.route');
type RouteStream = MuxedStream & { [kRoute]: RouteImpl };

/** Shared 'close' listener of visitor streams (no closure per idle visitor). */
function visitorGone(this: RouteStream): void {
  this[kRoute].stats.visitors--;
}
