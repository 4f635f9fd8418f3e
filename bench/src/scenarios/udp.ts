import { directSystem } from '../rivals/direct';
import { addressPort, tfgwSystems } from '../tfgw';
import type { Scenario } from '../types';
import { runWorkerJson, startWorkerServer } from '../workers';
import { freePort } from '../ports';

/** Offered load of the open-loop measurement, datagrams/s. */
const RATE = 20_000;

/** UDP datagrams through a tfgw UDP service vs straight to the echo server. */
export const udp: Scenario = {
  name: 'udp',
  title: 'UDP datagrams',
  description:
    '64-byte datagrams to a Node UDP echo server (bench/src/workers/udp-load.ts, udp-echo.ts). ' +
    'Closed loop: 32 datagrams in flight, echoed datagrams/s, a datagram not echoed within 250 ms counts as lost. ' +
    `Open loop: ${RATE.toLocaleString('en-US')} datagrams/s offered, share not echoed. ` +
    'tfgw: sender -> gateway public UDP port -> session -> agent -> echo server, and back.',
  tools: [],
  measurements: [
    {
      key: 'window',
      label: 'closed loop',
      figures: [
        { key: 'dps', label: 'echoed datagrams/s (32 in flight)', better: 'higher' },
        { key: 'wloss', label: 'loss in closed loop, %', better: 'lower', noRatio: true },
      ],
      cost: { label: 'CPU per echoed datagram, µs (closed loop)', scale: 1e6 },
    },
    {
      key: 'rate',
      label: `open loop ${RATE / 1000}k/s`,
      figures: [
        { key: 'rps', label: `echoed/s at ${RATE / 1000}k/s offered`, better: 'higher' },
        { key: 'rloss', label: `loss at ${RATE / 1000}k/s offered, %`, better: 'lower', noRatio: true },
      ],
      cost: { label: `CPU per echoed datagram, µs (${RATE / 1000}k/s)`, scale: 1e6 },
    },
  ],
  async setup(ctx) {
    const echoPort = await freePort();
    await startWorkerServer(ctx.scope, 'udp-echo', 'udp-echo', [echoPort]);
    const tfgw = await tfgwSystems(ctx, {
      plugins: ['protocol-udp'],
      serviceFlags: () => ['--udp', `echo=127.0.0.1:${echoPort}`],
      expect: 1,
      toData: (agent) => ({ port: addressPort(agent.addresses.find((a) => a.startsWith('udp://')) ?? agent.addresses[0]) }),
    });
    return [...tfgw, directSystem({ port: echoPort })];
  },
  async measure(ctx, sys, m, commands): Promise<Record<string, number>> {
    const port = sys.data.port as number;
    const timeout = (ctx.seconds + 30) * 1000;
    if (m.key === 'window') {
      const r = await runWorkerJson<{ perSecond: number; lossPct: number; received: number }>('udp-load', ['127.0.0.1', port, ctx.seconds, 'window', 32], timeout, commands);
      return { dps: r.perSecond, wloss: r.lossPct, work: r.received };
    }
    const r = await runWorkerJson<{ perSecond: number; lossPct: number; received: number }>('udp-load', ['127.0.0.1', port, ctx.seconds, 'rate', RATE], timeout, commands);
    return { rps: r.perSecond, rloss: r.lossPct, work: r.received };
  },
};
