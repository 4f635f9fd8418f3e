import { PING_MEASUREMENT, streamsOf, throughputMeasurement } from '../measurements';
import { directSystem } from '../rivals/direct';
import { Sshd } from '../rivals/ssh';
import { freePort } from '../ports';
import { displayCommand, startClient, tfgwSystems } from '../tfgw';
import type { Scenario, System } from '../types';
import { iperf, startIperfServer } from '../tools/iperf3';
import { runWorkerJson, startWorkerServer } from '../workers';

/** client -> gateway -> agent -> service (tfgw client --forward) vs ssh -L. */
export const clientPath: Scenario = {
  name: 'client-path',
  title: 'Client path (tfgw client --forward vs ssh -L)',
  description:
    'A local forward to a service that has no public port: `tfgw client --forward 127.0.0.1:L=bench-<transport>/svc` ' +
    '(client -> gateway -> agent -> service, client and agent on the same transport) vs `ssh -L` to an sshd next to the service ' +
    '(one hop fewer: the ssh server is the agent). iperf3 1 and 8 streams, and 64-byte ping-pongs.',
  tools: ['iperf3', 'sshd', 'ssh', 'ssh-keygen'],
  measurements: [throughputMeasurement(1), throughputMeasurement(8), PING_MEASUREMENT],
  async setup(ctx) {
    const echoPort = await freePort();
    await startWorkerServer(ctx.scope, 'echo-server', 'echo-server', [echoPort]);
    const iperf = async (label: string): Promise<number> => (await startIperfServer(ctx.scope, label)).port;
    const tfgw = await tfgwSystems(ctx, {
      plugins: ['protocol-tcp'],
      serviceFlags: async (t) => ['--tcp', `iperf=127.0.0.1:${await iperf(`tfgw-${t}`)}`, '--tcp', `echo=127.0.0.1:${echoPort}`],
      expect: 2,
      toData: () => ({}),
    });
    for (const sys of tfgw) {
      if (sys.unavailable) continue;
      const t = sys.name.split(' ')[1] as 'tcp';
      try {
        const [iperfLocal, echoLocal] = [await freePort(), await freePort()];
        const client = await startClient(ctx, sys.data.gateway as never, t, [
          { local: iperfLocal, target: `bench-${t}/iperf` },
          { local: echoLocal, target: `bench-${t}/echo` },
        ]);
        sys.procs = { client: client.pid, ...sys.procs };
        sys.data = { ...sys.data, iperf: iperfLocal, echo: echoLocal };
        sys.setupCommands = [...(sys.setupCommands ?? []), displayCommand(client)];
      } catch (e) {
        sys.unavailable = `client over ${t}: ${(e as Error).message.split('\n')[0]}`;
      }
    }
    const direct = directSystem({ iperf: await iperf('direct'), echo: echoPort });
    const ssh: System = { name: 'ssh -L', tfgw: false, procs: {}, data: {} };
    try {
      const sshd = await Sshd.start(ctx.scope, ctx.dir);
      const [iperfLocal, echoLocal] = [await freePort(), await freePort()];
      const a = await sshd.forward(ctx.scope, [
        { local: iperfLocal, target: await iperf('ssh') },
        { local: echoLocal, target: echoPort },
      ]);
      ssh.procs = { ssh: a.pid, sshd: sshd.proc.pid };
      ssh.data = { iperf: iperfLocal, echo: echoLocal };
      ssh.setupCommands = [sshd.proc.commandLine.replaceAll(ctx.dir, '<tmp>'), a.commandLine.replaceAll(ctx.dir, '<tmp>')];
    } catch (e) {
      ssh.unavailable = (e as Error).message.split('\n')[0];
    }
    return [...tfgw, direct, ssh];
  },
  async measure(ctx, sys, m, commands): Promise<Record<string, number>> {
    if (m.key !== 'rtt') {
      const streams = streamsOf(m);
      const r = await iperf(sys.data.iperf as number, ctx.seconds, streams, commands);
      return { [`gbps${streams}`]: r.gbps, work: r.bytes };
    }
    const count = ctx.opts.quick ? 2000 : 10000;
    const r = await runWorkerJson<{ p50: number; p99: number; total: number }>('ping', ['127.0.0.1', sys.data.echo as number, count, 64], 180_000, commands);
    return { p50: r.p50, p99: r.p99, work: r.total };
  },
};
