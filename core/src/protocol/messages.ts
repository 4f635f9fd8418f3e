import type { ServiceSpec } from '../route';
import type { StreamHeader } from '../session-info';

/** Control-protocol versions this build speaks, newest last. */
export const PROTOCOL_VERSIONS = [1] as const;

/** Agent/client -> gateway: first message on the control stream. */
export interface HelloMessage {
  t: 'hello';
  /** Versions the peer speaks. */
  versions: number[];
  /** Role asked for. */
  role: 'agent' | 'client';
  /** Bearer token. */
  token: string;
  /** Agent name (agents). */
  name?: string;
  /** Free-form software id, for logs. */
  software?: string;
}

/** Gateway -> peer: hello accepted. */
export interface WelcomeMessage {
  t: 'welcome';
  /** Version chosen. */
  version: number;
  /** Session id on the gateway. */
  sessionId: string;
  /** Zone the agent's name lives in. */
  zone: string;
  /** The agent's fully qualified name. */
  fqdn?: string;
}

/** Agent -> gateway: expose these services. */
export interface RegisterMessage {
  t: 'register';
  /** Request id, echoed in the answer. */
  id: number;
  /** Services. */
  services: ServiceSpec[];
}

/** One registered service in a `registered` answer. */
export interface RegisteredRoute {
  /** Service name. */
  service: string;
  /** Protocol. */
  protocol: string;
  /** Public hostname. */
  hostname: string;
  /** Public port, when port based. */
  port?: number;
  /** URL or host:port to print. */
  url: string;
}

/** Gateway -> agent: result of a `register`. */
export interface RegisteredMessage {
  t: 'registered';
  /** Request id. */
  id: number;
  /** Routes that are up. */
  routes: RegisteredRoute[];
  /** Services that were refused, with coded errors. */
  errors: Array<{ service: string; protocol: string; code: string; message: string }>;
}

/** Agent -> gateway: take these services down (a reload removed or changed them). */
export interface UnregisterMessage {
  t: 'unregister';
  /** Request id, echoed in the answer. */
  id: number;
  /** Services by name and protocol. */
  services: Array<{ name: string; protocol: string }>;
}

/** Gateway -> agent: result of an `unregister`. */
export interface UnregisteredMessage {
  t: 'unregistered';
  /** Request id. */
  id: number;
  /** Services whose routes were removed (others were not registered by this session). */
  removed: Array<{ service: string; protocol: string }>;
}

/** Either side: a coded error; closes the session when sent in answer to hello. */
export interface ErrorMessage {
  t: 'error';
  /** Error code. */
  code: string;
  /** Human-readable reason. */
  message: string;
}

/** Any control message. */
export type ControlMessage = HelloMessage | WelcomeMessage | RegisterMessage | RegisteredMessage | UnregisterMessage | UnregisteredMessage | ErrorMessage;

/** Stream reply: the acceptor of a data stream says whether it reached the target. */
export type StreamReply = { ok: true } | { ok: false; code: string; message: string };

/** Validates an untrusted stream header. Returns undefined if it is malformed. */
export function parseStreamHeader(raw: Record<string, unknown>): StreamHeader | undefined {
  const str = (k: string) => (raw[k] === undefined ? undefined : typeof raw[k] === 'string' ? (raw[k] as string) : null);
  const protocol = str('protocol');
  if (typeof protocol !== 'string' || protocol.length === 0 || protocol.length > 32) return undefined;
  const out: StreamHeader = { protocol };
  for (const k of ['service', 'agent', 'target', 'visitor', 'hostname'] as const) {
    const v = str(k);
    if (v === null || (v !== undefined && v.length > 512)) return undefined;
    if (v !== undefined) out[k] = v;
  }
  return out;
}
