import net from 'node:net';
import { runCli, type CliProcess } from '../helpers/cli';
import { echoServer, sha256OfStream, writePattern } from '../helpers/net';
import { connectTcp, readAll, startGateway, tcpServer, waitForLog, type GatewayFixture } from './protocol-tcp-fixtures';

const MB = 1024 * 1024;

/** Spawns `tfgw agent` exposing the echo service (as the agent's own name) and `half`. */
function startAgent(gw: GatewayFixture, echo: number, half: number): CliProcess {
  return runCli(['agent', '--server', `tcp://127.0.0.1:${gw.control}`, '--token', 'dev-token', '--name', 'demo', '--tcp', `127.0.0.1:${echo}`, '--tcp', `half=127.0.0.1:${half}`]);
}

async function publicPort(agent: CliProcess, target: number): Promise<number> {
  const m = await agent.waitFor(new RegExp(`^tcp\\s+tcp://127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:${target}$`));
  return Number(m[1]);
}

describe('protocol-tcp: public TCP ports through the real CLI', () => {
  let gw: GatewayFixture;
  let agent: CliProcess;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let half: Awaited<ReturnType<typeof tcpServer>>;
  let port: number;
  let halfPort: number;

  beforeAll(async () => {
    echo = await echoServer();
    // Reads the visitor until its FIN, then answers and ends: only works if half-close survives the tunnel.
    half = await tcpServer(
      (s) => {
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => s.end(`got ${Buffer.concat(chunks).toString()} then FIN`));
      },
      { allowHalfOpen: true },
    );
    gw = await startGateway();
    agent = startAgent(gw, echo.port, half.port);
    port = await publicPort(agent, echo.port);
    halfPort = await publicPort(agent, half.port);
  });

  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await echo?.close();
    await half?.close();
  });

  it('prints tcp://<publicHost>:<port> from the pool for each service', () => {
    expect(port).not.toBe(halfPort);
    const [from, to] = gw.pools.tcp;
    for (const p of [port, halfPort]) {
      expect(p).toBeGreaterThanOrEqual(from);
      expect(p).toBeLessThanOrEqual(to);
    }
  });

  it('moves 100 MB through the public port and back, byte for byte (sha256)', async () => {
    const s = await connectTcp(port);
    const total = 100 * MB;
    const [sent, got] = await Promise.all([
      writePattern(s, total).then((h) => {
        s.end();
        return h;
      }),
      sha256OfStream(s),
    ]);
    expect(got.bytes).toBe(total);
    expect(got.hash).toBe(sent);
  });

  it('keeps half-close: the service answers after the visitor FIN, the visitor still reads it', async () => {
    const s = await connectTcp(halfPort);
    const all = readAll(s);
    s.end('ping');
    const { data, error } = await all;
    expect(error).toBeUndefined();
    expect(data.toString()).toBe('got ping then FIN');
  });

  it('serves many visitors at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const s = await connectTcp(port);
        const all = readAll(s);
        s.end(`visitor-${i}`);
        return (await all).data.toString();
      }),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => `visitor-${i}`));
  });

  it('closes visitors while the agent is away (one log line) and gives a returning agent the same port', async () => {
    agent.child.kill('SIGKILL');
    await agent.stop();
    await waitForLog(gw.proc, { msg: 'agent disconnected', agent: 'demo' });

    // During the grace period the port stays open; visitors are closed with TFGW_ERR_AGENT_OFFLINE.
    const s = await connectTcp(port);
    const closed = await readAll(s);
    expect(closed.data.length).toBe(0);
    const line = await waitForLog(gw.proc, { code: 'TFGW_ERR_AGENT_OFFLINE', plugin: 'protocol-tcp' });
    expect(line.route).toBe('tcp:demo.tfgw.localhost');

    agent = startAgent(gw, echo.port, half.port);
    expect(await publicPort(agent, echo.port)).toBe(port);
    expect(await publicPort(agent, half.port)).toBe(halfPort);
    const again = await connectTcp(port);
    const all = readAll(again);
    again.end('back again');
    expect((await all).data.toString()).toBe('back again');
  });
});

describe('protocol-tcp: visitor hook', () => {
  let gw: GatewayFixture;
  let agent: CliProcess;
  let echo: Awaited<ReturnType<typeof tcpServer>>;
  let reached = 0;

  beforeAll(async () => {
    echo = await tcpServer((s) => {
      reached++;
      s.pipe(s);
    });
    gw = await startGateway({ visitors: { deny: ['127.0.0.1'] } });
    agent = runCli(['agent', '--server', `tcp://127.0.0.1:${gw.control}`, '--token', 'dev-token', '--name', 'denied', '--tcp', `127.0.0.1:${echo.port}`]);
  });

  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await echo?.close();
  });

  it('closes a visitor the visitor hook rejects, with one log line, and never reaches the service', async () => {
    const port = await publicPort(agent, echo.port);
    let s: net.Socket | undefined = await connectTcp(port);
    const all = readAll(s);
    s.write('should not arrive');
    const { data } = await all;
    s = undefined;
    expect(data.length).toBe(0);
    const line = await waitForLog(gw.proc, { code: 'TFGW_ERR_VISITOR_REJECTED', plugin: 'protocol-tcp' });
    expect(line.route).toBe('tcp:denied.tfgw.localhost');
    expect(gw.proc.lines.filter((l) => l.includes('TFGW_ERR_VISITOR_REJECTED'))).toHaveLength(1);
    expect(reached).toBe(0);
  });
});

describe('protocol-tcp: release after the grace period', () => {
  it('closes the listener and returns the port to the pool when a departed agent\'s grace ends', async () => {
    const echo = await echoServer();
    const gw = await startGateway({ graceMs: 300 });
    let agent = runCli(['agent', '--server', `tcp://127.0.0.1:${gw.control}`, '--token', 'dev-token', '--name', 'brief', '--tcp', `127.0.0.1:${echo.port}`]);
    try {
      const port = await publicPort(agent, echo.port);
      await agent.stop();
      await waitForLog(gw.proc, { msg: 'route removed', route: 'tcp:brief.tfgw.localhost', reason: 'grace expired' });
      const refused = await new Promise<string | undefined>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('connect', () => (s.destroy(), resolve(undefined)));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
      });
      expect(refused).toBe('ECONNREFUSED');
      // A new agent gets a port from the pool again (the released one is not handed out at once).
      agent = runCli(['agent', '--server', `tcp://127.0.0.1:${gw.control}`, '--token', 'dev-token', '--name', 'brief', '--tcp', `127.0.0.1:${echo.port}`]);
      const next = await publicPort(agent, echo.port);
      expect(next).toBeGreaterThanOrEqual(gw.pools.tcp[0]);
      expect(next).toBeLessThanOrEqual(gw.pools.tcp[1]);
      const s = await connectTcp(next);
      const all = readAll(s);
      s.end('fresh');
      expect((await all).data.toString()).toBe('fresh');
    } finally {
      await agent.stop();
      await gw.stop();
      await echo.close();
    }
  });
});
