// End to end: an agent and a client that reach the gateway only through an upstream SOCKS5
// proxy (`--proxy socks5://user:pass@host:port`). The proxy is a real one, Debian's
// `microsocks`, started by the test with credentials; its log shows the relayed connections.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';
import { freePort } from '../helpers/net';
import { ZONE, curl, helloServer, startStack, type Stack } from './client-harness';

/** microsocks on 127.0.0.1 with credentials; `waitFor` matches its log lines. */
async function microsocks(user: string, password: string): Promise<{ port: number; waitFor: (re: RegExp) => Promise<void>; count: (re: RegExp) => number; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(port), '-u', user, '-P', password], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const w of waiters.filter((x) => x.re.test(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  readline.createInterface({ input: child.stdout! }).on('line', onLine);
  readline.createInterface({ input: child.stderr! }).on('line', onLine);
  // microsocks prints nothing when it starts: wait until it accepts a TCP connection.
  const net = await import('node:net');
  for (;;) {
    const s = net.connect(port, '127.0.0.1');
    const ok = await new Promise<boolean>((resolve) => {
      s.once('connect', () => resolve(true));
      s.once('error', () => resolve(false));
    });
    s.destroy();
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`microsocks exited with ${child.exitCode}: ${lines.join('\n')}`);
    await new Promise((r) => setImmediate(r));
  }
  return {
    port,
    waitFor: (re) => (lines.some((l) => re.test(l)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve }))),
    count: (re) => lines.filter((l) => re.test(l)).length,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

describe('tfgw agent / client behind an upstream SOCKS5 proxy (--proxy)', () => {
  let stack: Stack;
  let www: { port: number; close: () => Promise<void> };
  let proxy: Awaited<ReturnType<typeof microsocks>>;
  let gatewayAddress: string;

  beforeAll(async () => {
    www = await helloServer();
    proxy = await microsocks('tfgw', 'proxy-secret');
    stack = await startStack();
    gatewayAddress = stack.server.replace('tcp://', '');
  });

  afterAll(async () => {
    await stack?.stop();
    await proxy?.stop();
    await www?.close();
  });

  it('an agent dials the gateway through the proxy and a client reaches its service through it too', async () => {
    const via = `socks5://tfgw:proxy-secret@127.0.0.1:${proxy.port}`;
    await stack.agent('behind', ['--proxy', via, '--http', `www=127.0.0.1:${www.port}`]);
    const escaped = gatewayAddress.replace(/\./g, '\\.');
    await proxy.waitFor(new RegExp(`connected to ${escaped}$`));
    const socks = await freePort();
    await stack.client(['--proxy', via, '--socks', `127.0.0.1:${socks}`]);
    expect(await curl(['--socks5-hostname', `127.0.0.1:${socks}`, `http://www.behind.${ZONE}/`])).toMatchObject({ status: 200, body: 'hello from www' });
    expect(proxy.count(new RegExp(`connected to ${escaped}$`))).toBe(2);
  });

  it('wrong proxy credentials are reported with TFGW_ERR_PROXY', async () => {
    const { runCli } = await import('../helpers/cli');
    const agent = runCli(['agent', '--server', stack.server, '--token', 'agent-token', '--name', 'denied', '--proxy', `socks5://tfgw:wrong@127.0.0.1:${proxy.port}`, '--http', `www=127.0.0.1:${www.port}`]);
    try {
      await agent.waitFor(/TFGW_ERR_PROXY/);
    } finally {
      await agent.stop();
    }
  });
});
