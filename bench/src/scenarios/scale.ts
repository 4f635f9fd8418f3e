import { tcpRivals } from '../rivals/tcp-relays';
import { addressPort, tfgwSystems } from '../tfgw';
import type { Scenario } from '../types';
import { startWorkerServer, workerPath } from '../workers';
import { freePort } from '../ports';
import { startProcess } from '../procs';
import { treeRssBytes } from '../proc-stats';

/** Idle connections held open at once. */
const COUNT = 10_000;
/** Open files for every process on the path: each connection costs up to 2 descriptors. */
const FD_LIMIT = 65536;

/** RSS of the relay side (`gateway` role) and the far side (`agent` role) of a column, in bytes. */
function rss(procs: Record<string, number>): { gateway: number; agent: number } {
  const pids = Object.values(procs);
  return { gateway: pids[0] ? treeRssBytes(pids[0]) : NaN, agent: pids[1] ? treeRssBytes(pids[1]) : NaN };
}

/** 10 000 concurrent idle visitor connections through one agent: memory, and that all still echo. */
export const scale: Scenario = {
  name: 'scale',
  title: 'Scale: 10 000 idle connections',
  description:
    `${COUNT.toLocaleString('en-US')} concurrent idle visitor connections (200 connecting at a time) through one public TCP port to an echo server ` +
    '(bench/src/workers/scale.ts). After all are open, every connection sends one byte and must get its echo. RSS (VmRSS, including child processes) ' +
    'of the relay side (tfgw gateway, sshd, Node relay) and of the far side (tfgw agent, ssh client) with all connections open, the growth per connection, ' +
    'and the RSS each side adds per connection from 5 000 to 10 000 open connections (the cost of one more idle stream, without one-off growth). ' +
    'socat is left out: it would fork 10 000 processes.',
  tools: ['sshd', 'ssh', 'ssh-keygen'],
  freshPerRep: true,
  measurements: [
    {
      key: 'scale',
      label: '10k connections',
      figures: [
        { key: 'open', label: 'connections open', better: 'higher', noRatio: true },
        { key: 'echoed', label: 'echoed afterwards (within 30 s)', better: 'higher', noRatio: true },
        { key: 'openRate', label: 'open rate, conn/s', better: 'higher' },
        { key: 'gwMB', label: 'relay-side RSS (gateway), MB', better: 'lower' },
        { key: 'agentMB', label: 'far-side RSS (agent), MB', better: 'lower' },
        { key: 'kbPerConn', label: 'RSS growth per connection, KB', better: 'lower' },
        { key: 'gwMarginalKB', label: 'relay side, added RSS per connection 5k -> 10k, KB', better: 'lower' },
        { key: 'agentMarginalKB', label: 'far side, added RSS per connection 5k -> 10k, KB', better: 'lower' },
      ],
    },
  ],
  async setup(ctx) {
    const echoPort = await freePort();
    await startWorkerServer(ctx.scope, 'echo-server', 'echo-server', [echoPort], FD_LIMIT);
    const tfgw = await tfgwSystems(ctx, {
      plugins: ['protocol-tcp'],
      serviceFlags: () => ['--tcp', `echo=127.0.0.1:${echoPort}`],
      expect: 1,
      toData: (agent) => ({ port: addressPort(agent.addresses[0]) }),
      fdLimit: FD_LIMIT,
      gatewayPerTransport: true,
    });
    return [...tfgw, ...(await tcpRivals(ctx, ['direct', 'node relay', 'ssh -R'], async () => echoPort, FD_LIMIT))];
  },
  async measure(ctx, sys, _m, commands) {
    const before = rss(sys.procs);
    const args = [workerPath('scale'), '127.0.0.1', String(sys.data.port), String(COUNT), '200'];
    commands.push(`node bench/dist/workers/scale.js 127.0.0.1 <port> ${COUNT} 200`);
    const p = startProcess('scale', process.execPath, args, { fdLimit: FD_LIMIT, stdin: true });
    try {
      const half = JSON.parse((await p.waitFor(/^half (.*)$/, 180_000))[1]) as { open: number };
      // As below: let the far side finish dialing before memory is read.
      await new Promise((r) => setTimeout(r, 1500));
      const middle = rss(sys.procs);
      p.child.stdin!.write('continue\n');
      const opened = JSON.parse((await p.waitFor(/^opened (.*)$/, 180_000))[1]) as { open: number; errors: number; firstError?: string; ms: number };
      if (opened.open === 0) throw new Error(`no connection opened: ${opened.firstError}`);
      // Let the far side finish dialing the target for the last connections.
      await new Promise((r) => setTimeout(r, 1500));
      p.child.stdin!.write('check\n');
      const checked = JSON.parse((await p.waitFor(/^checked (.*)$/, 120_000))[1]) as { ok: number; closedBefore: number };
      if (checked.ok < opened.open) ctx.log(`${sys.name}: ${opened.open - checked.ok} connection(s) did not echo (${checked.closedBefore} closed by the path before the check; open errors: ${opened.errors} ${opened.firstError ?? ''})`);
      // Measured after the check: by then every stream surely exists end to end.
      const after = rss(sys.procs);
      // Columns without a relay process (direct) have no memory figures.
      const grow = Object.keys(sys.procs).length ? (after.gateway - before.gateway || 0) + (after.agent - before.agent || 0) : NaN;
      return {
        open: opened.open,
        echoed: checked.ok,
        openRate: opened.open / (opened.ms / 1000),
        gwMB: after.gateway / 2 ** 20,
        agentMB: after.agent / 2 ** 20,
        kbPerConn: grow / 1024 / opened.open,
        // What one more idle connection costs once the processes are warm: the first half
        // also pays one-off growth (V8's young generation grows to its maximum, ~25 MB).
        gwMarginalKB: (after.gateway - middle.gateway) / 1024 / (opened.open - half.open),
        agentMarginalKB: (after.agent - middle.agent) / 1024 / (opened.open - half.open),
      };
    } finally {
      p.child.stdin!.end('close\n');
      await Promise.race([p.exited(), new Promise((r) => setTimeout(r, 5000))]);
      await p.stop(1000);
      // Let the path tear the connections down before the next column runs.
      await new Promise((r) => setTimeout(r, 2000));
    }
  },
};
