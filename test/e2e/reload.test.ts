import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { once } from 'node:events';
import { runCli, type CliProcess } from '../helpers/cli';
import { echoServer, freePort, freePortRange } from '../helpers/net';

/**
 * Config reload on SIGHUP with the real CLI: a token list change leaves unrelated sessions
 * up and passing bytes, closes the sessions of removed tokens, admits new tokens; a broken
 * config file is rejected with a coded error and changes nothing.
 */
describe('config reload (SIGHUP)', () => {
  let dir: string;
  let file: string;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  const procs: CliProcess[] = [];
  let control: number;
  let range: [number, number];

  const writeConfig = (tokens: string[], extraPlugins = '') =>
    fs.writeFileSync(
      file,
      `module.exports = {
  dataDir: ${JSON.stringify(path.join(dir, 'data'))},
  gateway: { tokens: [${tokens.map((t) => `{ token: '${t}', role: 'agent' }`).join(', ')}], ports: { tcp: '${range[0]}-${range[1]}' } },
  transports: [['tcp', { listen: '127.0.0.1:${control}' }]],
  plugins: [['protocol-tcp', {}]${extraPlugins}],
};\n`,
    );

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-reload-'));
    file = path.join(dir, 'tfgw.config.js');
    echo = await echoServer();
    control = await freePort();
    range = await freePortRange(6);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await echo.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function agent(token: string, name: string): CliProcess {
    const a = runCli(['agent', '--server', `tcp://127.0.0.1:${control}`, '--token', token, '--name', name, '--tcp', `127.0.0.1:${echo.port}`]);
    procs.push(a);
    return a;
  }

  async function ping(sock: net.Socket, text: string): Promise<string> {
    sock.write(text);
    const [chunk] = (await once(sock, 'data')) as [Buffer];
    return chunk.toString();
  }

  it('applies a token change without dropping untouched sessions, and rejects a broken file', async () => {
    writeConfig(['tok-a', 'tok-b']);
    const gw = runCli(['--config', file]);
    procs.push(gw);
    await gw.waitFor(/gateway listening/);
    const a = agent('tok-a', 'alpha');
    const b = agent('tok-b', 'beta');
    const portA = Number((await a.waitFor(/^tcp\s+tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
    await b.waitFor(/^tcp\s+tcp:\/\//);

    const visitor = net.connect(portA, '127.0.0.1');
    await once(visitor, 'connect');
    expect(await ping(visitor, 'before')).toBe('before');

    // Remove tok-b, add tok-c, and add a plugin.
    writeConfig(['tok-a', 'tok-c'], ", ['tfgw-plugin-visitor-limit', { perMinute: 1000 }]");
    let mark = gw.lines.length;
    gw.child.kill('SIGHUP');
    await gw.waitFor(/config reloaded/, 10000, mark);
    expect(gw.lines.slice(mark).join('\n')).toContain('visitor-limit');

    // beta's token is gone: its session is closed and it may not come back (exit 1).
    const [bCode] = (await once(b.child, 'exit')) as [number];
    expect(bCode).toBe(1);
    expect(b.lines.join('\n')).toContain('TFGW_ERR_AUTH');
    // alpha's visitor connection never noticed.
    expect(await ping(visitor, 'after')).toBe('after');
    // The new token works.
    const c = agent('tok-c', 'gamma');
    await c.waitFor(/^tcp\s+tcp:\/\//);

    // A broken file: rejected with a coded error; everything keeps running on the old config.
    fs.writeFileSync(file, 'module.exports = { gateway: { tokens: 5 } };\n');
    mark = gw.lines.length;
    gw.child.kill('SIGHUP');
    await gw.waitFor(/reload rejected/, 10000, mark);
    expect(gw.lines.slice(mark).join('\n')).toContain('TFGW_ERR_CONFIG');
    expect(await ping(visitor, 'still')).toBe('still');
    const c2 = agent('tok-c', 'delta');
    await c2.waitFor(/^tcp\s+tcp:\/\//);
    visitor.destroy();
  });

  it('an agent reload that drops a service takes its route down on the gateway; the others keep serving', async () => {
    // A gateway of its own: the one of the test above is still running.
    control = await freePort();
    range = await freePortRange(6);
    file = path.join(dir, 'tfgw-agent-reload.config.js');
    writeConfig(['tok-r']);
    const gw = runCli(['--config', file]);
    procs.push(gw);
    await gw.waitFor(/gateway listening/);
    const echo2 = await echoServer();
    const agentFile = path.join(dir, 'agent.config.js');
    const writeAgent = (withTwo: boolean) =>
      fs.writeFileSync(
        agentFile,
        // No transports or plugins: a config with an agent section gets what `tfgw agent` loads.
        `module.exports = { dataDir: ${JSON.stringify(path.join(dir, 'agent-data'))}, agent: {
  server: 'tcp://127.0.0.1:${control}', token: 'tok-r', name: 'reloader',
  services: [{ name: 'one', protocol: 'tcp', target: '127.0.0.1:${echo.port}' }${withTwo ? `, { name: 'two', protocol: 'tcp', target: '127.0.0.1:${echo2.port}' }` : ''}],
} };\n`,
      );
    try {
      writeAgent(true);
      const ag = runCli(['--config', agentFile]);
      procs.push(ag);
      const portOne = Number((await ag.waitFor(new RegExp(`^tcp\\s+tcp://127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:${echo.port}`)))[1]);
      const portTwo = Number((await ag.waitFor(new RegExp(`^tcp\\s+tcp://127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:${echo2.port}`)))[1]);
      const two = net.connect(portTwo, '127.0.0.1');
      await once(two, 'connect');
      expect(await ping(two, 'two')).toBe('two');
      two.destroy();

      writeAgent(false);
      const mark = gw.lines.length;
      ag.child.kill('SIGHUP');
      await gw.waitFor(/"reason":"unregistered"/, 10000, mark);
      const refused = net.connect(portTwo, '127.0.0.1');
      const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
      expect(err.code).toBe('ECONNREFUSED');
      const one = net.connect(portOne, '127.0.0.1');
      await once(one, 'connect');
      expect(await ping(one, 'one')).toBe('one');
      one.destroy();
    } finally {
      await echo2.close();
    }
  });
});
