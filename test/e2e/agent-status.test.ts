import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliProcess } from '../helpers/cli';
import { echoServer, freePort, freePortRange } from '../helpers/net';

/**
 * What people see: an agent started before its gateway logs its state (reconnecting in N s
 * with the reason) as log lines when stderr is not a TTY, then prints its public address
 * once the gateway comes up — without being restarted.
 */
describe('agent connection state', () => {
  const procs: CliProcess[] = [];
  let dir: string;
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports reconnecting with the reason, then registers when the gateway appears', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-status-'));
    const echo = await echoServer();
    try {
      const control = await freePort();
      const [from, to] = await freePortRange(2);
      const agent = runCli(['agent', '--server', `tcp://127.0.0.1:${control}`, '--token', 'dev-token', '--name', 'demo', '--tcp', `127.0.0.1:${echo.port}`]);
      procs.push(agent);
      const first = await agent.waitFor(/reconnecting in \d+(\.\d+)? s/);
      expect(first.input).toContain('TFGW_ERR_CONNECT');
      const file = path.join(dir, 'tfgw.config.js');
      fs.writeFileSync(
        file,
        `module.exports = { dataDir: ${JSON.stringify(path.join(dir, 'data'))}, gateway: { tokens: [{ token: 'dev-token', role: 'agent' }], ports: { tcp: '${from}-${to}' } },
  transports: [['tcp', { listen: '127.0.0.1:${control}' }]], plugins: [['protocol-tcp', {}]] };\n`,
      );
      const gw = runCli(['--config', file]);
      procs.push(gw);
      const m = await agent.waitFor(/^tcp\s+tcp:\/\/127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:\d+$/, 15000);
      expect(Number(m[1])).toBeGreaterThanOrEqual(from);
      // Printed once: a later reconnect does not print it again.
      expect(agent.lines.filter((l) => l.startsWith('tcp ')).length).toBe(1);
    } finally {
      await echo.close();
    }
  });
});
