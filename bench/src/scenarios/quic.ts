import { PING_MEASUREMENT, streamsOf, throughputMeasurement } from '../measurements';
import { freePort } from '../ports';
import { iperf, startIperfServer } from '../tools/iperf3';
import { packageProblem, tfgwName, tfgwSystems, type Agent } from '../tfgw';
import type { Measurement, Scenario, ScenarioContext, System } from '../types';
import { threadCpuSeconds } from '../proc-stats';
import { runWorkerJson, startWorkerServer } from '../workers';
import { startQuicRawPair, type QuicRawPair } from '../quic-raw';

/** Column of the QUIC library on its own. */
const RAW = 'quic raw';

/** Name of the QUIC library's runtime threads (tokio's), where quinn does its work. */
const LIBRARY_THREAD = 'tokio-rt-worker';

/**
 * Throughput plus what the library's own threads used over the run, for the quic columns:
 * their CPU per GB (the library's work per byte: equal in both columns means the transport
 * adds none) and their share of a core (what they got of the machine).
 */
function quicThroughput(streams: number): Measurement {
  const m = throughputMeasurement(streams);
  return {
    ...m,
    figures: [
      ...m.figures,
      { key: `lib${streams}`, label: `library threads' CPU per GB, s (${m.label})`, better: 'lower' },
      { key: `libcore${streams}`, label: `library threads, % of a core (${m.label})`, better: 'higher', noRatio: true },
    ],
  };
}

/** CPU seconds so far of the library's threads in the column's processes. */
function librarySeconds(sys: System): number {
  return Object.values(sys.procs).reduce((sum, pid) => sum + threadCpuSeconds(pid, LIBRARY_THREAD), 0);
}

/** Public port the agent printed for the service that forwards to 127.0.0.1:`target`. */
function publicPort(agent: Agent, target: number): number {
  const to = new RegExp(`-> 127\\.0\\.0\\.1:${target}\\b`);
  const m = agent.proc.lines.find((l) => to.test(l))?.match(/tcp:\/\/127\.0\.0\.1:(\d+)/);
  if (!m) throw new Error(`the agent printed no public address for 127.0.0.1:${target}`);
  return Number(m[1]);
}

/** The two processes of the raw column (quinn through the native layer, no tfgw code). */
async function rawSystem(ctx: ScenarioContext): Promise<System> {
  const sys: System = { name: RAW, tfgw: false, procs: {}, data: {} };
  const problem = packageProblem('transports/quic');
  if (problem) return { ...sys, unavailable: problem };
  try {
    const pair = await startQuicRawPair(ctx.scope);
    sys.procs = { listener: pair.listener.pid, dialer: pair.dialer.pid };
    sys.data = { pair };
    sys.setupCommands = ['node bench/dist/workers/quic-raw.js listen', `node bench/dist/workers/quic-raw.js dial <port>`];
  } catch (e) {
    sys.unavailable = (e as Error).message.split('\n')[0];
  }
  return sys;
}

/** One command to the raw listener, noted for the report; resolves with its JSON answer. */
function rawCommand<T>(sys: System, cmd: string, args: Array<string | number>, timeoutMs: number, commands: string[]): Promise<T> {
  commands.push(`node bench/dist/workers/quic-raw.js listen  # stdin: ${cmd} <id> ${args.join(' ')}`);
  return (sys.data.pair as QuicRawPair).command<T>(cmd, args, timeoutMs);
}

/**
 * The tunnel over quic next to tcp and ws, and next to the QUIC library's own streams (the
 * ceiling of the quic column: the first target is 70 % of it).
 */
export const quic: Scenario = {
  name: 'quic',
  title: 'QUIC: the tunnel vs the library',
  description:
    'The tunnel over quic, tcp and ws side by side with the QUIC library on its own. tfgw columns: iperf3 upload through a public TCP port ' +
    '(visitor -> gateway -> session -> agent -> iperf3 server), 1 stream and 16 parallel streams (`-P 16`), 1 s warm-up omitted, and 64-byte ' +
    'ping-pongs through the same path to an echo server (bench/src/workers/ping.ts). `quic raw`: the native (quinn) layer of ' +
    '@chainsafe/libp2p-quic that the quic transport uses, with no tfgw code, one process per endpoint like gateway and agent ' +
    '(bench/src/workers/quic-raw.ts): the listener writes 128 KiB chunks on 1 or 16 streams to the dialer, which reads 256 KiB at a time, ' +
    'for the same duration and warm-up; its ping is a 64-byte echo on one QUIC stream. Same windows and socket buffers as the transport. ' +
    'The ratio "tfgw quic ÷ quic raw" is what the transport and the tunnel keep of the library (first target: ≥ 0.7× for throughput). ' +
    "For the quic columns, the library's runtime threads (tokio-rt-worker, where quinn encrypts, packs and does UDP I/O) are counted " +
    'apart: their CPU per GB is the library\'s work per byte, and their % of a core (summed over both processes) is what they got of the machine.',
  tools: ['iperf3'],
  measurements: [quicThroughput(1), quicThroughput(16), PING_MEASUREMENT],
  async setup(ctx) {
    const echoPort = await freePort();
    await startWorkerServer(ctx.scope, 'echo-server', 'echo-server', [echoPort]);
    const iperfPorts = new Map<string, number>();
    const tfgw = await tfgwSystems(ctx, {
      plugins: ['protocol-tcp'],
      transports: ['quic', 'tcp', 'ws'],
      serviceFlags: async (t) => {
        const port = (await startIperfServer(ctx.scope, `tfgw-${t}`)).port;
        iperfPorts.set(t, port);
        return ['--tcp', `iperf=127.0.0.1:${port}`, '--tcp', `echo=127.0.0.1:${echoPort}`];
      },
      expect: 2,
      toData: (agent, _gw, t) => ({ iperf: publicPort(agent, iperfPorts.get(t)!), echo: publicPort(agent, echoPort) }),
    });
    return [...tfgw, await rawSystem(ctx)];
  },
  async measure(ctx, sys, m, commands): Promise<Record<string, number>> {
    const raw = sys.name === RAW;
    if (m.key !== 'rtt') {
      const streams = streamsOf(m);
      // The tcp and ws columns share the gateway, whose idle quic listener has these threads too.
      const quicColumn = raw || sys.name === tfgwName('quic');
      const lib0 = librarySeconds(sys);
      const t0 = process.hrtime.bigint();
      const r = raw
        ? await rawCommand<{ gbps: number; bytes: number }>(sys, 'tput', [ctx.seconds, streams], (ctx.seconds + 30) * 1000, commands)
        : await iperf(sys.data.iperf as number, ctx.seconds, streams, commands);
      const out: Record<string, number> = { [`gbps${streams}`]: r.gbps, work: r.bytes };
      const lib = librarySeconds(sys) - lib0;
      if (quicColumn && lib > 0) {
        out[`lib${streams}`] = lib / (r.bytes / 1e9);
        out[`libcore${streams}`] = (lib / (Number(process.hrtime.bigint() - t0) / 1e9)) * 100;
      }
      return out;
    }
    const count = ctx.opts.quick ? 2000 : 10000;
    const r = raw
      ? await rawCommand<{ p50: number; p99: number; total: number }>(sys, 'ping', [count, 64], 180_000, commands)
      : await runWorkerJson<{ p50: number; p99: number; total: number }>('ping', ['127.0.0.1', sys.data.echo as number, count, 64], 180_000, commands);
    return { p50: r.p50, p99: r.p99, work: r.total };
  },
};
