import { asTfgwError, ErrorCodes, type ClientApi, type Logger, type MuxedStream, type StreamHeader, TfgwError } from '@tfgw/core';
import { describeTarget, resolveIngressAddress, type IngressTarget } from './address';

/** Who asked for a stream, for the log line. */
export interface OpenContext {
  /** `socks`, `http-proxy`, `forward 127.0.0.1:5432`. */
  ingress: string;
  /** Local peer `ip:port`. */
  from: string;
  /** What the peer asked for, as it asked it (`www.demo.tfgw.localhost:80`). */
  asked: string;
}

/**
 * Opens streams to agents for the local ingresses: resolves hostnames with the addressing
 * scheme, applies the connect timeout, and writes exactly one log line (with the code) for
 * every refusal, so a user sees why a request failed.
 */
export class StreamOpener {
  constructor(
    private readonly client: ClientApi,
    private readonly log: Logger,
    private readonly connectTimeoutMs: number,
    private readonly zoneOverride?: string,
  ) {}

  /** The zone hostnames are resolved under. */
  get zone(): string {
    return this.zoneOverride ?? this.client.zone;
  }

  /** Maps `host:port` to a target; on refusal logs and throws the TfgwError. */
  resolve(host: string, port: number, ctx: OpenContext): IngressTarget {
    try {
      return resolveIngressAddress(host, port, this.zone);
    } catch (err) {
      throw this.refused(err, ctx);
    }
  }

  /**
   * Opens a stream of `protocol` to `target` within `connectTimeoutMs` (waiting for the
   * gateway session included); on refusal logs and throws the TfgwError (TFGW_ERR_TIMEOUT
   * when the time ran out). A stream that arrives after the deadline is closed.
   */
  async open(target: IngressTarget, protocol: 'tcp' | 'udp', ctx: OpenContext): Promise<MuxedStream> {
    const header: StreamHeader = { protocol, agent: target.agent, ...(target.target !== undefined ? { target: target.target } : { service: target.service }) };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.connectTimeoutMs);
    const opening = this.client.connect(header, abort.signal);
    const deadline = new Promise<never>((_, reject) =>
      abort.signal.addEventListener('abort', () => reject(new TfgwError(ErrorCodes.TIMEOUT, `no answer within ${this.connectTimeoutMs} ms (connectTimeoutMs)`)), { once: true }),
    );
    try {
      const stream = await Promise.race([opening, deadline]);
      this.log.debug({ ingress: ctx.ingress, from: ctx.from, to: describeTarget(target), protocol }, `${ctx.ingress}: ${ctx.from} -> ${ctx.asked} connected`);
      return stream;
    } catch (err) {
      opening.then((late) => late.destroy(), () => undefined);
      throw this.refused(err, ctx, target);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logs one line for a refused request and returns the error as a TfgwError. */
  refused(err: unknown, ctx: OpenContext, target?: IngressTarget): TfgwError {
    const e = asTfgwError(err, ErrorCodes.SERVICE_UNREACHABLE);
    this.log.warn(
      { ingress: ctx.ingress, from: ctx.from, to: ctx.asked, ...(target ? { target: describeTarget(target) } : {}), code: e.code },
      `${ctx.ingress}: ${ctx.asked} refused [${e.code}]: ${e.message}`,
    );
    return e;
  }
}
