import http from 'node:http';
import type { CliProcess } from '../helpers/cli';
import { origin, request, startCliAgent, startHttpGateway, type HttpGateway } from './protocol-http-fixture';

/**
 * 200 concurrent HTTP requests across 20 agents (real CLI processes), each agent's service
 * answering its own identity: every response must match the host it was sent to.
 */

const AGENTS = 20;
const PER_AGENT = 10;

describe('protocol-http under concurrency (20 agents, 200 requests)', () => {
  let gw: HttpGateway;
  const origins: Array<Awaited<ReturnType<typeof origin>>> = [];
  const agents: CliProcess[] = [];

  beforeAll(async () => {
    gw = await startHttpGateway();
    for (let i = 0; i < AGENTS; i++) {
      origins.push(
        await origin((req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ identity: `c${i}`, url: req.url, host: req.headers.host }));
        }),
      );
    }
    const started = await Promise.allSettled(origins.map((o, i) => startCliAgent(gw, `c${i}`, [`www=127.0.0.1:${o.port}`], `www.c${i}.tfgw.localhost`)));
    for (const s of started) if (s.status === 'fulfilled') agents.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    // Twenty node processes starting at once: roomy on a loaded machine (about 25 s on an idle 2-core one).
  }, 90_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await gw?.stop();
    await Promise.all(origins.map((o) => o.close()));
  });

  test('every response comes from the service its Host names', async () => {
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });
    try {
      const jobs: Array<Promise<{ i: number; k: number; status: number; body: { identity: string; url: string; host: string } }>> = [];
      for (let k = 0; k < PER_AGENT; k++) {
        for (let i = 0; i < AGENTS; i++) {
          const host = `www.c${i}.tfgw.localhost`;
          // Half on fresh connections, half on a shared keep-alive pool (requests for many hosts share sockets).
          const r = request(gw.http, host, `/r/${i}/${k}`, k % 2 === 0 ? {} : { agent: keepAlive });
          jobs.push(r.then((res) => ({ i, k, status: res.status, body: JSON.parse(res.body.toString()) })));
        }
      }
      const results = await Promise.all(jobs);
      expect(results).toHaveLength(AGENTS * PER_AGENT);
      for (const { i, k, status, body } of results) {
        expect({ i, k, status, identity: body.identity, url: body.url, host: body.host }).toEqual({
          i,
          k,
          status: 200,
          identity: `c${i}`,
          url: `/r/${i}/${k}`,
          host: `www.c${i}.tfgw.localhost`,
        });
      }
    } finally {
      keepAlive.destroy();
    }
  });
});
