import { freePort } from '../ports';
import type { ScenarioContext, System } from '../types';
import { directSystem } from './direct';
import { startNodeRelay } from './node-relay';
import { startSocat } from './socat';
import { Sshd } from './ssh';

/** Names of the TCP rivals, in column order. */
export type TcpRival = 'direct' | 'socat' | 'node relay' | 'node relay ×2' | 'ssh -R';

/**
 * Sets up the TCP rival columns, each in front of its own target from `makeTarget`
 * (a port). The visitor-facing port of each is `data.port`. Failures become the column's
 * `unavailable` reason instead of aborting the scenario.
 */
export async function tcpRivals(ctx: ScenarioContext, which: TcpRival[], makeTarget: (label: string) => Promise<number>, fdLimit?: number): Promise<System[]> {
  const out: System[] = [];
  let sshd: Sshd | undefined;
  for (const name of which) {
    const sys: System = { name, tfgw: false, procs: {}, data: {} };
    out.push(sys);
    try {
      const target = await makeTarget(name.replace(/\W+/g, '-'));
      if (name === 'direct') {
        Object.assign(sys, directSystem({ port: target }));
      } else if (name === 'socat') {
        const port = await freePort();
        const p = await startSocat(ctx.scope, port, target, fdLimit);
        sys.procs = { socat: p.pid };
        sys.data = { port };
        sys.setupCommands = [p.commandLine];
      } else if (name === 'node relay') {
        const port = await freePort();
        const p = await startNodeRelay(ctx.scope, port, target, fdLimit);
        sys.procs = { relay: p.pid };
        sys.data = { port };
        sys.setupCommands = ['node bench/dist/workers/relay.js <port> 127.0.0.1 <target>'];
      } else if (name === 'node relay ×2') {
        // Two Node relay processes in a row: the same number of processes and hops as
        // gateway + agent, so the floor a Node tunnel could reach on this path.
        const [port, middle] = [await freePort(), await freePort()];
        const second = await startNodeRelay(ctx.scope, middle, target, fdLimit);
        const first = await startNodeRelay(ctx.scope, port, middle, fdLimit);
        sys.procs = { relay: first.pid, relay2: second.pid };
        sys.data = { port };
        sys.setupCommands = ['node bench/dist/workers/relay.js <middle> 127.0.0.1 <target>', 'node bench/dist/workers/relay.js <port> 127.0.0.1 <middle>'];
      } else {
        sshd ??= await Sshd.start(ctx.scope, ctx.dir, fdLimit);
        const port = await freePort();
        const p = await sshd.reverse(ctx.scope, port, target, fdLimit);
        sys.procs = { sshd: sshd.proc.pid, ssh: p.pid };
        sys.data = { port };
        sys.setupCommands = [`${sshd.proc.commandLine.replace(ctx.dir, '<tmp>')}`, p.commandLine.replaceAll(ctx.dir, '<tmp>')];
      }
    } catch (e) {
      sys.unavailable = (e as Error).message.split('\n')[0];
    }
  }
  return out;
}
