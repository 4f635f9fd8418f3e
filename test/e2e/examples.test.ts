import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { once } from 'node:events';
import { runCli, type CliProcess } from '../helpers/cli';
import { echoServer, freePort, freePortRange } from '../helpers/net';

/**
 * The examples run as they are: the third-party plugin package loaded by name from a config,
 * and the custom gateway composed in code.
 */
describe('examples', () => {
  const procs: CliProcess[] = [];
  let dir: string;
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-examples-'));
  });

  it('third-party plugin: loaded by package name, refuses visitors over the limit', async () => {
    const echo = await echoServer();
    try {
      const control = await freePort();
      const [from, to] = await freePortRange(3);
      const file = path.join(dir, 'tfgw.config.js');
      fs.writeFileSync(
        file,
        `module.exports = {
  dataDir: ${JSON.stringify(path.join(dir, 'data'))},
  gateway: { tokens: [{ token: 'dev-token', role: 'agent' }], ports: { tcp: '${from}-${to}' } },
  transports: [['tcp', { listen: '127.0.0.1:${control}' }]],
  plugins: [['protocol-tcp', {}], ['tfgw-plugin-visitor-limit', { perMinute: 2, burst: 2 }]],
};\n`,
      );
      const check = runCli(['check', '--config', file]);
      await check.waitFor(/visitor-limit/);
      expect(await check.exited).toBe(0);
      const gw = runCli(['--config', file]);
      procs.push(gw);
      await gw.waitFor(/gateway listening/);
      const agent = runCli(['agent', '--server', `tcp://127.0.0.1:${control}`, '--token', 'dev-token', '--name', 'demo', '--tcp', `127.0.0.1:${echo.port}`]);
      procs.push(agent);
      const port = Number((await agent.waitFor(/^tcp\s+tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const attempt = async () => {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        s.end('x');
        let out = '';
        for await (const c of s) out += c;
        return out;
      };
      expect(await attempt()).toBe('x');
      expect(await attempt()).toBe('x');
      // The third one in the same minute is refused: closed without an echo.
      expect(await attempt()).toBe('');
      await gw.waitFor(/visitor-limit/);
    } finally {
      await echo.close();
    }
  });

  it('custom gateway: composed in code, serves an agent over HTTP with its inline hook', async () => {
    const origin = http.createServer((req, res) => res.end(`stamp=${req.headers['x-custom-gateway']}`));
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    try {
      const control = await freePort();
      const httpPort = await freePort();
      const [from, to] = await freePortRange(2);
      const child = spawn(process.execPath, [path.resolve(__dirname, '../../examples/custom-gateway/index.js')], {
        env: { ...process.env, GW_CONTROL: `127.0.0.1:${control}`, GW_HTTP: `127.0.0.1:${httpPort}`, GW_TCP_PORTS: `${from}-${to}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = once(child, 'exit');
      const lines: string[] = [];
      const ready = new Promise<void>((resolve, reject) => {
        const onLine = (l: string) => {
          lines.push(l);
          if (l.includes('custom gateway ready')) resolve();
        };
        readline.createInterface({ input: child.stdout! }).on('line', onLine);
        readline.createInterface({ input: child.stderr! }).on('line', onLine);
        child.once('exit', () => reject(new Error(`custom gateway exited:\n${lines.join('\n')}`)));
      });
      try {
        await ready;
        const agent = runCli(['agent', '--server', `tcp://127.0.0.1:${control}`, '--token', 'dev-token', '--name', 'demo', '--http', String((origin.address() as net.AddressInfo).port)]);
        procs.push(agent);
        await agent.waitFor(/^http\s+http:\/\/demo\.custom\.localhost/);
        const body = await new Promise<string>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port: httpPort, path: '/', headers: { host: 'demo.custom.localhost' } }, (res) => {
              let b = '';
              res.on('data', (c) => (b += c));
              res.on('end', () => resolve(b));
            })
            .on('error', reject);
        });
        expect(body).toBe('stamp=yes');
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    } finally {
      origin.close();
    }
  });
});
