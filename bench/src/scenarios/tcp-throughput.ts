import { streamsOf, throughputMeasurement } from '../measurements';
import { tcpRivals } from '../rivals/tcp-relays';
import { iperf, startIperfServer } from '../tools/iperf3';
import { addressPort, tfgwSystems } from '../tfgw';
import type { Scenario } from '../types';

/** iperf3 through a tfgw TCP service over each transport vs direct, socat, a Node relay and ssh -R. */
export const tcpThroughput: Scenario = {
  name: 'tcp-throughput',
  title: 'TCP throughput (iperf3)',
  description:
    'iperf3 upload through a public TCP port, 1 stream and 8 parallel streams (`-P 8`), 1 s warm-up omitted. ' +
    'tfgw: visitor -> gateway public port -> session over the transport -> agent -> iperf3 server. ' +
    'Rivals: direct to iperf3; socat relay; a plain Node `socket.pipe` relay; OpenSSH reverse tunnel (`ssh -R`, aes128-gcm). ' +
    'Each column has its own iperf3 server.',
  tools: ['iperf3', 'socat', 'sshd', 'ssh', 'ssh-keygen'],
  measurements: [throughputMeasurement(1), throughputMeasurement(8)],
  async setup(ctx) {
    const target = async (label: string): Promise<number> => (await startIperfServer(ctx.scope, label)).port;
    const tfgw = await tfgwSystems(ctx, {
      plugins: ['protocol-tcp'],
      serviceFlags: async (t) => ['--tcp', `iperf=127.0.0.1:${await target(`tfgw-${t}`)}`],
      expect: 1,
      toData: (agent) => ({ port: addressPort(agent.addresses[0]) }),
    });
    return [...tfgw, ...(await tcpRivals(ctx, ['direct', 'socat', 'node relay', 'ssh -R'], target))];
  },
  async measure(ctx, sys, m, commands): Promise<Record<string, number>> {
    const port = sys.data.port as number;
    const streams = streamsOf(m);
    const r = await iperf(port, ctx.seconds, streams, commands);
    return { [`gbps${streams}`]: r.gbps, work: r.bytes };
  },
};
