import { tcpRivals } from '../rivals/tcp-relays';
import { addressPort, tfgwSystems } from '../tfgw';
import type { Scenario } from '../types';
import { runWorkerJson, startWorkerServer } from '../workers';
import { freePort } from '../ports';

/** New visitor connections per second: connect, 1-byte echo, close, 8 at a time. */
export const churn: Scenario = {
  name: 'churn',
  title: 'Connection churn',
  description:
    'New visitor TCP connections per second, each carried end to end: 8 loops of connect, send 1 byte, wait for the echo, close ' +
    '(bench/src/workers/churn.ts). Through tfgw every connection is a new stream to the agent and a new dial of the echo server; ' +
    'socat forks a process per connection; ssh -R opens a channel per connection.',
  tools: ['socat', 'sshd', 'ssh', 'ssh-keygen'],
  measurements: [
    {
      key: 'churn',
      label: 'churn',
      figures: [
        { key: 'cps', label: 'connections/s', better: 'higher' },
        { key: 'errors', label: 'failed connections', better: 'lower', noRatio: true },
      ],
      cost: { label: 'CPU per connection, µs', scale: 1e6 },
    },
  ],
  async setup(ctx) {
    const echoPort = await freePort();
    await startWorkerServer(ctx.scope, 'echo-server', 'echo-server', [echoPort], 65536);
    const tfgw = await tfgwSystems(ctx, {
      plugins: ['protocol-tcp'],
      serviceFlags: () => ['--tcp', `echo=127.0.0.1:${echoPort}`],
      expect: 1,
      toData: (agent) => ({ port: addressPort(agent.addresses[0]) }),
      fdLimit: 65536,
    });
    return [...tfgw, ...(await tcpRivals(ctx, ['direct', 'socat', 'node relay', 'ssh -R'], async () => echoPort, 65536))];
  },
  async measure(ctx, sys, _m, commands) {
    const r = await runWorkerJson<{ perSecond: number; errors: number; firstError?: string; done: number }>('churn', ['127.0.0.1', sys.data.port as number, ctx.seconds, 8], (ctx.seconds + 30) * 1000, commands);
    if (r.perSecond === 0) throw new Error(`no connection completed: ${r.firstError ?? 'unknown'}`);
    return { cps: r.perSecond, errors: r.errors, work: r.done };
  },
};
