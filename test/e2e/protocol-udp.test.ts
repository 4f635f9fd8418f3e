import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { runCli, type CliProcess } from '../helpers/cli';
import { startGateway, waitForLog, type GatewayFixture } from './protocol-tcp-fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dns2 = require('dns2');

const run = promisify(execFile);

/** A DNS server (dns2) answering every A question with 10.1.2.3, counting the source addresses it sees. */
async function dnsServer(): Promise<{ port: number; sources: Set<string>; close(): Promise<void> }> {
  const sources = new Set<string>();
  const server = dns2.createUDPServer((request: { questions: Array<{ name: string }> }, send: (r: unknown) => void, rinfo: dgram.RemoteInfo) => {
    sources.add(`${rinfo.address}:${rinfo.port}`);
    const response = dns2.Packet.createResponseFromRequest(request);
    const [q] = request.questions;
    response.answers.push({ name: q.name, type: dns2.Packet.TYPE.A, class: dns2.Packet.CLASS.IN, ttl: 60, address: '10.1.2.3' });
    send(response);
  });
  await server.listen(0, '127.0.0.1');
  return { port: server.address().port, sources, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A UDP echo service. */
async function udpEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

/** A visitor socket. */
async function visitor(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

/** Sends `msg` to the public port and resolves with the next datagram that comes back. */
async function roundTrip(s: dgram.Socket, port: number, msg: Buffer): Promise<Buffer> {
  const reply = once(s, 'message') as Promise<[Buffer]>;
  s.send(msg, port, '127.0.0.1');
  return (await reply)[0];
}

/** Sends `msg` again each time `everyMs` passes without a reply (UDP is lossy by design: a capped association drops). */
async function roundTripRetrying(s: dgram.Socket, port: number, msg: Buffer, everyMs = 200): Promise<Buffer> {
  return new Promise((resolve) => {
    const timer = setInterval(() => s.send(msg, port, '127.0.0.1'), everyMs);
    s.once('message', (m: Buffer) => {
      clearInterval(timer);
      resolve(m);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

function startAgent(gw: GatewayFixture, name: string, dns: number, echo?: number): CliProcess {
  return runCli(['agent', '--server', `tcp://127.0.0.1:${gw.control}`, '--token', 'dev-token', '--name', name, '--udp', `127.0.0.1:${dns}`, ...(echo ? ['--udp', `echo=127.0.0.1:${echo}`] : [])]);
}

async function publicUdpPort(agent: CliProcess, target: number): Promise<number> {
  const m = await agent.waitFor(new RegExp(`^udp\\s+udp://127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:${target}$`));
  return Number(m[1]);
}

async function dig(port: number, name: string): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), name, 'A', '+short', '+tries=1', '+time=5']);
  return stdout.trim();
}

describe('protocol-udp: UDP services through the real CLI', () => {
  let gw: GatewayFixture;
  let agent: CliProcess;
  let dns: Awaited<ReturnType<typeof dnsServer>>;
  let echo: Awaited<ReturnType<typeof udpEcho>>;
  let dnsPort: number;
  let echoPort: number;

  beforeAll(async () => {
    dns = await dnsServer();
    echo = await udpEcho();
    gw = await startGateway();
    agent = startAgent(gw, 'demo', dns.port, echo.port);
    dnsPort = await publicUdpPort(agent, dns.port);
    echoPort = await publicUdpPort(agent, echo.port);
  });

  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await dns?.close();
    await echo?.close();
  });

  it('prints udp://<publicHost>:<port> from the UDP pool', () => {
    const [from, to] = gw.pools.udp;
    for (const p of [dnsPort, echoPort]) {
      expect(p).toBeGreaterThanOrEqual(from);
      expect(p).toBeLessThanOrEqual(to);
    }
  });

  it('answers dig through the tunnel', async () => {
    expect(await dig(dnsPort, 'something.example')).toBe('10.1.2.3');
  });

  it('keeps one association per visitor address: 20 digs at once, each its own socket on the agent', async () => {
    const before = dns.sources.size;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => dig(dnsPort, `host${i}.example`)));
    expect(answers).toEqual(Array.from({ length: 20 }, () => '10.1.2.3'));
    expect(dns.sources.size - before).toBe(20);
  });

  it('routes replies back to the right visitor across many associations', async () => {
    const sockets = await Promise.all(Array.from({ length: 50 }, () => visitor()));
    try {
      for (let round = 0; round < 3; round++) {
        const replies = await Promise.all(sockets.map((s, i) => roundTrip(s, echoPort, Buffer.from(`v${i}-r${round}-${s.address().port}`))));
        replies.forEach((r, i) => expect(r.toString()).toBe(`v${i}-r${round}-${sockets[i].address().port}`));
      }
    } finally {
      for (const s of sockets) s.close();
    }
  });

  it('carries empty and maximum-size datagrams intact', async () => {
    const s = await visitor();
    try {
      for (const size of [0, 1, 1400, 9000, 65507]) {
        const msg = Buffer.alloc(size, size % 251);
        const back = await roundTrip(s, echoPort, msg);
        expect(back.length).toBe(size);
        expect(back.equals(msg)).toBe(true);
      }
    } finally {
      s.close();
    }
  });

  it('keeps the public port for a reconnecting agent and serves DNS again', async () => {
    agent.child.kill('SIGKILL');
    await agent.stop();
    await waitForLog(gw.proc, { msg: 'agent disconnected', agent: 'demo' });
    agent = startAgent(gw, 'demo', dns.port, echo.port);
    expect(await publicUdpPort(agent, dns.port)).toBe(dnsPort);
    expect(await publicUdpPort(agent, echo.port)).toBe(echoPort);
    expect(await dig(dnsPort, 'after-reconnect.example')).toBe('10.1.2.3');
  });
});

describe('protocol-udp: limits and the visitor hook', () => {
  let dns: Awaited<ReturnType<typeof dnsServer>>;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    dns = await dnsServer();
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await dns?.close();
  });

  it('caps associations per service with a TFGW_ERR_LIMIT log line, and frees them after the idle timeout', async () => {
    const gw = await startGateway({ udp: { maxAssociations: 3, idleTimeoutMs: 1500 } });
    cleanups.push(() => gw.stop());
    const agent = startAgent(gw, 'capped', dns.port);
    cleanups.push(() => agent.stop());
    const port = await publicUdpPort(agent, dns.port);
    const query = (id: number) => {
      const p = new dns2.Packet();
      p.header.id = id;
      p.header.rd = 1;
      p.questions.push({ name: `q${id}.example`, type: dns2.Packet.TYPE.A, class: dns2.Packet.CLASS.IN });
      return p.toBuffer();
    };
    const sockets = await Promise.all(Array.from({ length: 4 }, () => visitor()));
    cleanups.push(async () => sockets.forEach((s) => s.close()));
    // Three associations fill the cap.
    for (let i = 0; i < 3; i++) expect(dns2.Packet.parse(await roundTrip(sockets[i], port, query(i))).header.id).toBe(i);
    // All four keep talking until the gateway reports the cap, so none idles out meanwhile
    // however slow this machine is: one of the four is then over the cap.
    const talk = () => sockets.forEach((s, i) => s.send(query(i), port, '127.0.0.1'));
    talk();
    const keepTalking = setInterval(talk, 100);
    let line;
    try {
      line = await waitForLog(gw.proc, { code: 'TFGW_ERR_LIMIT', limit: 'maxAssociations' });
    } finally {
      clearInterval(keepTalking);
    }
    expect(line).toMatchObject({ plugin: 'protocol-udp', max: 3, route: 'udp:capped.tfgw.localhost' });
    // Once the first three go quiet, the idle sweep frees their slots and the fourth gets through.
    const answer = await roundTripRetrying(sockets[3], port, query(3));
    expect(dns2.Packet.parse(answer).header.id).toBe(3);
  });

  it('drops datagrams of a visitor the visitor hook rejects, with one log line', async () => {
    const gw = await startGateway({ visitors: { deny: ['127.0.0.1'] } });
    cleanups.push(() => gw.stop());
    const agent = startAgent(gw, 'denied', dns.port);
    cleanups.push(() => agent.stop());
    const port = await publicUdpPort(agent, dns.port);
    const s = await visitor();
    cleanups.push(async () => s.close());
    const before = dns.sources.size;
    for (let i = 0; i < 5; i++) s.send(Buffer.from('not a query'), port, '127.0.0.1');
    const line = await waitForLog(gw.proc, { code: 'TFGW_ERR_VISITOR_REJECTED', plugin: 'protocol-udp' });
    expect(line.route).toBe('udp:denied.tfgw.localhost');
    expect(dns.sources.size).toBe(before);
    // The rejection is remembered for the association: one line for five datagrams.
    expect(gw.proc.lines.filter((l) => l.includes('TFGW_ERR_VISITOR_REJECTED'))).toHaveLength(1);
  });
});
