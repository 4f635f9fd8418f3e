import { whileAlive, type Proc, type Scope } from '../procs';
import { waitForPort } from '../ports';

/**
 * `socat` as a one-hop TCP relay: forks one process per connection (its normal mode),
 * so its CPU is read over the whole process tree.
 */
export async function startSocat(scope: Scope, listenPort: number, targetPort: number, fdLimit?: number): Promise<Proc> {
  const p = scope.start(`socat-${listenPort}`, 'socat', [`TCP-LISTEN:${listenPort},bind=127.0.0.1,fork,reuseaddr,backlog=4096,nodelay`, `TCP:127.0.0.1:${targetPort},nodelay`], { fdLimit });
  await whileAlive(p, waitForPort(listenPort), 'listening');
  return p;
}
