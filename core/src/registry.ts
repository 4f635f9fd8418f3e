import { ErrorCodes, TfgwError } from './errors';
import type { Transport } from './transport';

/** A transport registered by a plugin, with where the gateway should listen on it. */
export interface TransportEntry {
  /** The transport. */
  transport: Transport;
  /** Listen addresses (URLs) for the gateway role; empty on agents and clients. */
  listen: URL[];
  /** Transport options from config. */
  options: Record<string, unknown>;
}

/** Transports known to a node, looked up by URL scheme, never by name in the core. */
export class TransportRegistry {
  private readonly entries: TransportEntry[] = [];
  private readonly owners = new Map<TransportEntry, string | undefined>();

  /** `owner` names the plugin whose `apply` is running, so a reload can remove its entries. */
  constructor(private readonly owner: () => string | undefined = () => undefined) {}

  /** Add a transport (called from a plugin's `apply`). */
  add(entry: TransportEntry): void {
    this.entries.push(entry);
    this.owners.set(entry, this.owner());
  }

  /** Remove the entries a plugin added (config reload). */
  removeOwnedBy(plugin: string): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.owners.get(this.entries[i]) === plugin) {
        this.owners.delete(this.entries[i]);
        this.entries.splice(i, 1);
      }
    }
  }

  /** All registered transports. */
  list(): readonly TransportEntry[] {
    return this.entries;
  }

  /** The transport serving this URL's scheme, or a TFGW_ERR_UNKNOWN_TRANSPORT error. */
  forUrl(url: URL): TransportEntry {
    const scheme = url.protocol.replace(/:$/, '');
    const found = this.entries.find((e) => e.transport.schemes.includes(scheme));
    if (!found) {
      const known = this.entries.flatMap((e) => e.transport.schemes).join(', ') || 'none';
      throw new TfgwError(ErrorCodes.UNKNOWN_TRANSPORT, `no transport for "${scheme}://" (loaded: ${known})`, { details: { scheme } });
    }
    return found;
  }
}

/**
 * Named values plugins share without knowing each other's packages, e.g. a DNS record
 * store provided by one plugin and served by another. Keys are documented by providers.
 */
export class ServiceRegistry {
  private readonly values = new Map<string, unknown>();
  private readonly owners = new Map<string, string | undefined>();

  /** `owner` names the plugin whose `apply` is running, so a reload can remove its values. */
  constructor(private readonly owner: () => string | undefined = () => undefined) {}

  /** Provide a value under a key; a second provider for the same key is an error. */
  provide<T>(key: string, value: T): void {
    if (this.values.has(key)) {
      throw new TfgwError(ErrorCodes.PLUGIN_DUPLICATE, `"${key}" is already provided by another plugin`, { details: { key } });
    }
    this.values.set(key, value);
    this.owners.set(key, this.owner());
  }

  /** Remove the values a plugin provided (config reload). */
  removeOwnedBy(plugin: string): void {
    for (const [key, owner] of this.owners) {
      if (owner === plugin) {
        this.owners.delete(key);
        this.values.delete(key);
      }
    }
  }

  /** The value under a key, or undefined. */
  lookup<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
}
