import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { runCli, type CliProcess } from '../helpers/cli';
import { echoServer, echoTransfer, freePort, freePortRange } from '../helpers/net';

/**
 * The first end-to-end proof of the core (issue: core): the real CLI as gateway and agents,
 * 100 MB through a public TCP port over each byte transport, and a gateway SIGKILL + restart
 * after which the agent is back on the same public port.
 */

const MB = 1024 * 1024;

/** 100 MB through an echo service must come back byte for byte. */
async function expectEcho(port: number, total: number): Promise<void> {
  const r = await echoTransfer(port, total);
  expect(r.bytes).toBe(total);
  expect(r.received).toBe(r.sent);
}

describe('core tunnel end to end (real CLI)', () => {
  let dir: string;
  let configFile: string;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  const procs: CliProcess[] = [];
  let ports: { tcp: number; tls: number; ws: number };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-core-e2e-'));
    echo = await echoServer();
    ports = { tcp: await freePort(), tls: await freePort(), ws: await freePort() };
    const [from, to] = await freePortRange(8);
    configFile = path.join(dir, 'tfgw.config.js');
    fs.writeFileSync(
      configFile,
      `module.exports = {
  zone: 'tfgw.localhost',
  dataDir: ${JSON.stringify(path.join(dir, 'data'))},
  log: { level: 'info' },
  gateway: { tokens: [{ token: 'dev-token', role: 'agent' }], ports: { tcp: '${from}-${to}' } },
  transports: [
    ['tcp', { listen: '127.0.0.1:${ports.tcp}' }],
    ['tls', { listen: '127.0.0.1:${ports.tls}' }],
    ['ws', { listen: '127.0.0.1:${ports.ws}', path: '/_tfgw' }],
  ],
  plugins: [['protocol-tcp', {}]],
};\n`,
    );
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await echo.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function startGateway(): Promise<{ gw: CliProcess; tlsUrl: string }> {
    const gw = runCli(['--config', configFile]);
    procs.push(gw);
    const m = await gw.waitFor(/"url":"(tls:\/\/[^"]+)"/);
    await gw.waitFor(/"url":"ws:\/\//);
    await gw.waitFor(/"url":"tcp:\/\//);
    return { gw, tlsUrl: m[1] };
  }

  function agent(server: string, name: string): CliProcess {
    const a = runCli(['agent', '--server', server, '--token', 'dev-token', '--name', name, '--tcp', `127.0.0.1:${echo.port}`]);
    procs.push(a);
    return a;
  }

  it('carries 100 MB byte-identical over tcp, ws and tls, and survives a gateway SIGKILL + restart', async () => {
    const { gw, tlsUrl } = await startGateway();
    const servers = { tcp: `tcp://127.0.0.1:${ports.tcp}`, ws: `ws://127.0.0.1:${ports.ws}/_tfgw`, tls: tlsUrl };
    const publicPorts: Record<string, number> = {};
    const agents: Record<string, CliProcess> = {};
    for (const [transport, url] of Object.entries(servers)) {
      agents[transport] = agent(url, `demo-${transport}`);
      const m = await agents[transport].waitFor(/^tcp\s+tcp:\/\/127\.0\.0\.1:(\d+)/);
      publicPorts[transport] = Number(m[1]);
    }
    for (const transport of Object.keys(servers)) await expectEcho(publicPorts[transport], 100 * MB);

    // SIGKILL: no goodbye, the agents only notice the dead connection.
    gw.child.kill('SIGKILL');
    await once(gw.child, 'exit');
    const mark = agents.tcp.lines.length;
    const restarted = await startGateway();
    // The tcp agent reconnects with backoff (capped at 3 s) and re-registers its old port.
    await agents.tcp.waitFor(/agent connected/, 10000, mark);
    await restarted.gw.waitFor(new RegExp(`tcp://127\\.0\\.0\\.1:${publicPorts.tcp}".*route added`), 10000);
    await expectEcho(publicPorts.tcp, 1 * MB);
  });
});
