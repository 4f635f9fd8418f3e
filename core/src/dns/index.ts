/** DNS records: the store interface, the record model and helpers every store and server shares. */
export * from './records';
export * from './names';
export * from './validate';
export * from './store';
export * from './table-store';
export * from './atomic-write';
export * from './coalesced-writer';
export * from './data-dir';
export * from './gateway-facts';
export * from './zone-apex';
export * from './tunnel-ledger';
export * from './follow-tunnels';
export * from './store-plugin';
