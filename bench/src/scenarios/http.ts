import { startNginx } from '../rivals/nginx';
import { directSystem } from '../rivals/direct';
import { tfgwSystems } from '../tfgw';
import type { Scenario, System } from '../types';
import { startWorkerServer } from '../workers';
import { freePort } from '../ports';
import { wrk } from '../tools/wrk';
import nodeHttp from 'node:http';

/** Connection and request counters of the origin (its stats request itself opens one connection). */
function originStats(port: number): Promise<{ connections: number; requests: number }> {
  return new Promise((resolve, reject) => {
    const req = nodeHttp.get({ host: '127.0.0.1', port, path: '/__bench_stats', agent: false }, (res) => {
      let s = '';
      res.on('data', (d: Buffer) => (s += d.toString()));
      res.on('end', () => resolve(JSON.parse(s) as { connections: number; requests: number }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('origin stats timed out')));
  });
}

/** Keep-alive HTTP through the tfgw ingress vs direct and vs nginx as reverse proxy. */
export const http: Scenario = {
  name: 'http',
  title: 'HTTP through the ingress (wrk, keep-alive)',
  description:
    '`wrk -t2 -c50 --latency`, keep-alive HTTP/1.1, GET of a 28-byte body from a Node origin (bench/src/workers/http-origin.ts). ' +
    'tfgw: wrk -> HTTP ingress (Host: web.bench-<transport>.tfgw.localhost) -> session -> agent -> origin. ' +
    'nginx: one worker, proxy_pass to a keep-alive upstream pool (64).',
  tools: ['wrk', 'nginx'],
  measurements: [
    {
      key: 'wrk',
      label: 'wrk',
      figures: [
        { key: 'rps', label: 'requests/s', better: 'higher' },
        { key: 'p50', label: 'p50, ms', better: 'lower' },
        { key: 'p99', label: 'p99, ms', better: 'lower' },
        { key: 'upstream', label: 'connections the origin accepted', better: 'lower', noRatio: true },
      ],
      cost: { label: 'CPU per request, µs', scale: 1e6 },
    },
  ],
  async setup(ctx) {
    const originPort = await freePort();
    await startWorkerServer(ctx.scope, 'http-origin', 'http-origin', [originPort]);
    const tfgw = await tfgwSystems(ctx, {
      plugins: ['protocol-http'],
      serviceFlags: () => ['--http', `web=127.0.0.1:${originPort}`],
      expect: 1,
      toData: (agent, gw) => {
        const u = new URL(agent.addresses[0]);
        return { url: `http://127.0.0.1:${gw.httpPort}/`, host: u.host, originPort };
      },
    });
    const direct = directSystem({ url: `http://127.0.0.1:${originPort}/`, originPort });
    const nginx: System = { name: 'nginx', tfgw: false, procs: {}, data: {} };
    try {
      const port = await freePort();
      const p = await startNginx(ctx.scope, ctx.dir, port, originPort);
      nginx.procs = { nginx: p.pid };
      nginx.data = { url: `http://127.0.0.1:${port}/`, originPort };
      nginx.setupCommands = [p.commandLine.replaceAll(ctx.dir, '<tmp>')];
    } catch (e) {
      nginx.unavailable = (e as Error).message.split('\n')[0];
    }
    return [...tfgw, direct, nginx];
  },
  async measure(ctx, sys, _m, commands) {
    const before = await originStats(sys.data.originPort as number);
    const r = await wrk(sys.data.url as string, ctx.seconds, commands, sys.data.host as string | undefined);
    const after = await originStats(sys.data.originPort as number);
    // New origin connections during the run (minus the stats request's own): about the 50 of
    // wrk when the path keeps upstream connections alive, about the request count when not.
    const upstream = after.connections - before.connections - 1;
    return { rps: r.rps, p50: r.p50Ms, p99: r.p99Ms, upstream, work: r.requests };
  },
};
