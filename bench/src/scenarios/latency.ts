import { tcpRivals } from '../rivals/tcp-relays';
import { addressPort, tfgwSystems } from '../tfgw';
import type { Scenario } from '../types';
import { runWorkerJson, startWorkerServer } from '../workers';
import { freePort } from '../ports';

/** Sequential 64-byte ping-pongs on one connection: the per-message cost of each path. */
export const latency: Scenario = {
  name: 'latency',
  title: 'TCP round-trip latency (64-byte ping-pong)',
  description:
    '10 000 sequential 64-byte ping-pongs on one connection (2 000 with --quick) after a warm-up, through a public TCP port to a Node echo server ' +
    '(bench/src/workers/ping.ts, echo-server.ts); percentiles of the round trip in microseconds. Same rivals as tcp-throughput, plus `node relay ×2`: two Node relay processes in a row, as many processes and hops as gateway + agent.',
  tools: ['socat', 'sshd', 'ssh', 'ssh-keygen'],
  measurements: [
    {
      key: 'rtt',
      label: 'ping-pong',
      figures: [
        { key: 'p50', label: 'p50, µs', better: 'lower' },
        { key: 'p99', label: 'p99, µs', better: 'lower' },
        { key: 'p999', label: 'p99.9, µs', better: 'lower' },
      ],
      cost: { label: 'CPU per round trip, µs', scale: 1e6 },
    },
  ],
  async setup(ctx) {
    // One echo server for every column: it is idle between runs and cheap.
    const echoPort = await freePort();
    await startWorkerServer(ctx.scope, 'echo-server', 'echo-server', [echoPort]);
    const target = async (): Promise<number> => echoPort;
    const tfgw = await tfgwSystems(ctx, {
      plugins: ['protocol-tcp'],
      serviceFlags: () => ['--tcp', `echo=127.0.0.1:${echoPort}`],
      expect: 1,
      toData: (agent) => ({ port: addressPort(agent.addresses[0]) }),
    });
    return [...tfgw, ...(await tcpRivals(ctx, ['direct', 'socat', 'node relay', 'node relay ×2', 'ssh -R'], target))];
  },
  async measure(ctx, sys, _m, commands) {
    const count = ctx.opts.quick ? 2000 : 10000;
    const r = await runWorkerJson<{ p50: number; p99: number; p999: number; total: number }>('ping', ['127.0.0.1', sys.data.port as number, count, 64], 180_000, commands);
    return { p50: r.p50, p99: r.p99, p999: r.p999, work: r.total };
  },
};
