/** Roles a peer can take when it says hello. */
export type PeerRole = 'agent' | 'client';

/** What a peer presents in its hello. */
export interface AuthRequest {
  /** Role asked for. */
  role: PeerRole;
  /** The bearer token. */
  token: string;
  /** Agent name asked for (agents only). */
  name?: string;
  /** Remote address of the connection. */
  remoteAddress: string;
  /** Transport name. */
  transport: string;
}

/** Who a token belongs to and what it may do; returned by `hooks.authenticate`. */
export interface Principal {
  /** Stable id of the token (never the token itself), used as owner of names. */
  id: string;
  /** Role the token grants. */
  role: PeerRole;
  /** Agent names this token may claim (glob patterns, `*` = any). Agents only. */
  names?: string[];
  /** Public ports this token may ask for, e.g. `['20000-20999']`. Agents only. */
  ports?: string[];
  /** Agents this token may reach (glob patterns). Clients only. */
  agents?: string[];
  /** Services this token may reach, `agent/service` globs. Clients only. @default ['*\/*'] */
  services?: string[];
  /** Whether this client may ask agents for allowlisted raw targets. Clients only. @default true */
  targets?: boolean;
}

/** A name owned by a token: an agent's name or an operator reservation. */
export interface NameClaim {
  /** Fully-qualified name, lower case, no trailing dot. */
  fqdn: string;
  /** The zone it lives in. */
  zone: string;
  /** Owner token id. */
  owner: string;
  /** Why it exists: an agent session or a reservation. */
  kind: 'agent' | 'reservation';
  /** Epoch ms when it lapses, if it does. */
  expiresAt?: number;
}
