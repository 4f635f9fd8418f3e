import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCodes, TfgwError, type Logger, type Route, type TfgwNode, type VisitorInfo } from '@tfgw/core';
import type { ErrorPage } from './error-pages';

/**
 * One `Upgrade` request the ingress accepted: routed by Host, visitor admitted, basic auth
 * and the `httpRequest` hook passed. The handler owns `socket` from here on.
 */
export interface HttpUpgradeContext {
  /** The visitor's request; `req.url` is the origin-form path. */
  readonly req: IncomingMessage;
  /** The visitor's connection. */
  readonly socket: Duplex;
  /** Bytes the visitor sent after the request head. */
  readonly head: Buffer;
  /** The route the Host names. */
  readonly route: Route;
  /** Who is asking. */
  readonly visitor: VisitorInfo;
  /** Request headers for the service: hop-by-hop removed (Connection/Upgrade kept), forwarding headers added, the route's changes applied. */
  readonly headers: OutgoingHttpHeaders;
  /** The route's response header changes, for the handler to apply to the service's answer. */
  readonly responseHeaders: ReadonlyArray<{ name: string; value: string | null }>;
  /** Logger of the ingress. */
  readonly log: Logger;
  /** Opens a stream to the service (rejects with the route's coded error). The stream has socket methods for Node's HTTP client. */
  connect(): Promise<Duplex>;
  /** Answers the visitor with the ingress page for an error (by its code: 502 agent offline / service unreachable, ...) and closes. */
  fail(err: unknown): void;
  /** Answers the visitor with a page and closes. */
  respond(page: ErrorPage): void;
  /** Tells the ingress the exchange ended: it logs the request line and counts the bytes on the route. Call once. */
  done(result: { status: number; bytesIn: number; bytesOut: number }): void;
}

/** Serves one `Upgrade` protocol (e.g. `websocket`) on the HTTP ingress. */
export interface HttpUpgradeHandler {
  /** Name of the plugin, for errors and logs. */
  readonly owner: string;
  /** Take over an upgrade request. Errors it throws are answered with {@link HttpUpgradeContext.fail}. */
  handle(ctx: HttpUpgradeContext): Promise<void>;
}

/**
 * How protocol-http and upgrade plugins cooperate: protocol-http owns the listeners and
 * routing; a plugin such as protocol-ws registers a handler for an `Upgrade` token in its
 * `apply` and unregisters it in its `shutdown` tap. Both reach the node's one registry with
 * {@link httpUpgradeRegistry}, so plugin order in config does not matter, and a config
 * reload of either plugin keeps the other's state. An upgrade with no handler gets 501.
 */
export class HttpUpgradeRegistry {
  private readonly handlers = new Map<string, HttpUpgradeHandler>();

  /** Registers the handler of an Upgrade token (case-insensitive); a second one is TFGW_ERR_PLUGIN_DUPLICATE. */
  register(token: string, handler: HttpUpgradeHandler): void {
    const key = token.toLowerCase();
    const existing = this.handlers.get(key);
    if (existing) {
      throw new TfgwError(ErrorCodes.PLUGIN_DUPLICATE, `"Upgrade: ${key}" is already handled by plugin "${existing.owner}"`, { details: { token: key, plugin: handler.owner } });
    }
    this.handlers.set(key, handler);
  }

  /** Removes a token's handler if it is `handler` (a plugin shutting down or reloading). */
  unregister(token: string, handler: HttpUpgradeHandler): void {
    const key = token.toLowerCase();
    if (this.handlers.get(key) === handler) this.handlers.delete(key);
  }

  /** The handler of a token, if any. */
  get(token: string): HttpUpgradeHandler | undefined {
    return this.handlers.get(token.toLowerCase());
  }

  /** Tokens with a handler. */
  tokens(): string[] {
    return [...this.handlers.keys()];
  }
}

const registries = new WeakMap<TfgwNode, HttpUpgradeRegistry>();

/**
 * The node's upgrade registry, created on first use (by protocol-http or an upgrade plugin,
 * whichever applies first) and kept as long as the node lives. It is not a `node.services`
 * value on purpose: those belong to the plugin that provided them and go away when that
 * plugin is reloaded, which would drop the other plugin's handlers.
 */
export function httpUpgradeRegistry(node: TfgwNode): HttpUpgradeRegistry {
  let registry = registries.get(node);
  if (!registry) {
    registry = new HttpUpgradeRegistry();
    registries.set(node, registry);
  }
  return registry;
}
