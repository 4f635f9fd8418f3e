import type { Proc, Scope } from '../procs';
import { startWorkerServer } from '../workers';

/**
 * The plain Node relay rival (bench/src/workers/relay.ts): `socket.pipe` both ways in one
 * process - what tfgw would be with no multiplexing, framing or auth, i.e. the floor of
 * overhead a Node implementation can reach.
 */
export function startNodeRelay(scope: Scope, listenPort: number, targetPort: number, fdLimit?: number): Promise<Proc> {
  return startWorkerServer(scope, 'relay', `node-relay-${listenPort}`, [listenPort, '127.0.0.1', targetPort], fdLimit);
}
