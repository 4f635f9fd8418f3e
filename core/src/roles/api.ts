import type { MuxedStream } from '../muxer';
import type { PortPool } from '../ports';
import type { Route } from '../route';
import type { SessionInfo, StreamHeader } from '../session-info';
import type { NameClaim } from '../auth';
import type { Rejection } from '../hooks';
import type { VisitorInfo } from '../route';
import type { SpliceResult } from '../pipe';
import type { Duplex } from 'node:stream';

/** What plugins on a gateway may use (`node.gateway`). */
export interface GatewayApi {
  /** Zones this gateway is authoritative for (lower case, no trailing dot): configured zones plus delegations. */
  readonly zones: readonly string[];
  /**
   * Treat a whole zone delegated to this gateway as an agent's: `www.<zone>` routes to the
   * agent's service `www`, `<zone>` to its unnamed service. Fires nameAdded (kind
   * `reservation`). TFGW_ERR_NAME_TAKEN when another owner holds the zone.
   */
  addDelegation(zone: string, agent: string, owner: string): void;
  /** Remove a delegation (fires nameRemoved). */
  removeDelegation(zone: string): boolean;
  /** Delegated zones and the agent each maps to. */
  delegations(): Array<{ zone: string; agent: string; owner: string }>;
  /** Public IPv4 / IPv6 addresses answered for tunnel names. */
  readonly publicAddresses: { readonly ipv4: readonly string[]; readonly ipv6: readonly string[] };
  /** Host printed in `host:port` addresses of TCP / UDP services. */
  readonly publicHost: string;
  /** Public port pools by protocol family (`tcp`, `udp`). */
  readonly ports: { readonly tcp: PortPool; readonly udp: PortPool };
  /** All routes (online and in grace). */
  routes(): Route[];
  /** The route serving `hostname` for one of `protocols`, matching exact names, custom domains and agent names. */
  routeForHost(hostname: string, protocols: readonly string[]): Route | undefined;
  /** Live agent and client sessions. */
  sessions(): SessionInfo[];
  /** Names owned now (agents and reservations). */
  names(): NameClaim[];
  /** Add an operator reservation of a name (TFGW_ERR_NAME_TAKEN if another owner has it). */
  reserveName(claim: NameClaim): void;
  /** Release a name (and with it the routes under it). */
  releaseName(fqdn: string): boolean;
  /** Map an extra hostname (custom domain) to a route's service. */
  addAlias(hostname: string, routeId: string): void;
  /** Remove a custom-domain alias. */
  removeAlias(hostname: string): void;
  /** Close a session by id (admin kick). */
  kick(sessionId: string): boolean;
  /** Public port for a route: its demanded port (or TFGW_ERR_PORT_UNAVAILABLE), its hint if free, else any free one. */
  allocatePort(family: 'tcp' | 'udp', route: Route): number;
  /** Run the `visitor` hook (fail-closed, with timeout). Undefined = admitted. */
  admitVisitor(visitor: VisitorInfo): Promise<Rejection | undefined>;
  /**
   * Pipe a visitor connection and a data stream into each other, counting bytes on the route
   * and firing `streamClose` once both are closed; `onClosed` then gets the byte counts.
   * Returns at once: an idle visitor costs no promise or suspended function.
   */
  pipeVisitor(route: Route, visitor: Duplex, stream: MuxedStream, onClosed?: (result: SpliceResult) => void): void;
  /** Count bytes on a route for plugins that move data themselves (UDP, HTTP), and fire `streamClose`. */
  recordStream(route: Route, bytesIn: number, bytesOut: number): void;
  /** Largest stream header / control message, from limits.controlMessageBytes. */
  readonly maxHeaderBytes: number;
  /** Timeout for blocking hook taps, from limits.hookTimeoutMs. */
  readonly hookTimeoutMs: number;
}

/** What plugins on an agent may use (`node.agent`). */
export interface AgentApi {
  /** The agent's name. */
  readonly name: string;
  /** Public URL / address per service once registered. */
  readonly published: ReadonlyMap<string, string>;
  /** Resolve a service name (or allowed `host:port` target) to the address to dial; throws TFGW_ERR_TARGET_NOT_ALLOWED. */
  resolveTarget(header: StreamHeader): { host: string; port: number; protocol: string };
}

/** What plugins on a client may use (`node.client`). */
export interface ClientApi {
  /**
   * Open a stream to an agent's service or allowed target through the gateway. Rejects with
   * TFGW_ERR_UNKNOWN_AGENT, TFGW_ERR_AGENT_OFFLINE, TFGW_ERR_FORBIDDEN, TFGW_ERR_TARGET_NOT_ALLOWED,
   * TFGW_ERR_SERVICE_UNREACHABLE, ...
   */
  connect(header: StreamHeader, signal?: AbortSignal): Promise<MuxedStream>;
  /** Zone used for `SVC.NAME.<zone>` addressing. */
  readonly zone: string;
}
