import net from 'node:net';
import { once } from 'node:events';
import {
  TfgwNode,
  ErrorCodes,
  createSession,
  encodeFrame,
  type Agent,
  type Client,
  type TfgwPlugin,
  type Route,
  type Exposure,
} from '@tfgw/core';
import tcpTransport from '@tfgw/transport-tcp';
import { echoServer, freePort } from '../../test/helpers/net';

/**
 * Library-level tests of the roles: gateway, agent and client nodes in one process over the
 * real tcp transport. The test plugin below exposes "tcp" routes on a
 * fresh loopback port, standing in for protocol-tcp so these tests only exercise the core.
 */
function pipeProtocol(): TfgwPlugin {
  return {
    name: 'test-pipe-protocol',
    apply(node) {
      node.hooks.expose.for('tcp').tapPromise('test-pipe-protocol', async (route: Route): Promise<Exposure> => {
        const server = net.createServer({ allowHalfOpen: true }, async (socket) => {
          try {
            const stream = await route.connect({ address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, protocol: 'tcp', route });
            await node.gateway!.pipeVisitor(route, socket, stream);
          } catch {
            socket.destroy();
          }
        });
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const port = (server.address() as net.AddressInfo).port;
        return { port, url: `tcp://127.0.0.1:${port}`, release: () => new Promise<void>((r) => server.close(() => r())) };
      });
    },
  };
}

const nodes: TfgwNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop(0)));
});

async function gateway(extra: Partial<NonNullable<ConstructorParameters<typeof TfgwNode>[0]>['config']> = {}) {
  const port = await freePort();
  const node = new TfgwNode({
    config: {
      zone: 'test.localhost',
      gateway: {
        tokens: [
          { token: 'agent-token', role: 'agent', names: ['demo', 'other', 'a*'] },
          { token: 'second-agent', role: 'agent', names: ['*'] },
          { token: 'client-token', role: 'client', agents: ['demo'] },
        ],
        graceMs: 60000,
        ...(extra.gateway ?? {}),
      },
      ...extra,
    },
    plugins: [tcpTransport({ listen: `127.0.0.1:${port}` }), pipeProtocol()],
  });
  nodes.push(node);
  await node.start();
  return { node, server: `tcp://127.0.0.1:${port}`, port };
}

async function agent(server: string, opts: { token?: string; name?: string; target?: number; allow?: string[] } = {}) {
  const node = new TfgwNode({
    config: {
      agent: {
        server,
        token: opts.token ?? 'agent-token',
        name: opts.name ?? 'demo',
        services: opts.target ? [{ name: 'echo', protocol: 'tcp', target: `127.0.0.1:${opts.target}` }] : [],
        allow: opts.allow,
        reconnect: { minDelayMs: 20, maxDelayMs: 100 },
      },
    },
    plugins: [tcpTransport({})],
  });
  nodes.push(node);
  const a = () => node.agent as unknown as Agent;
  return { node, a, start: () => node.start() };
}

async function roundTrip(port: number, payload: string): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  s.end(payload);
  let out = '';
  for await (const c of s) out += c;
  return out;
}

describe('gateway + agent', () => {
  it('registers a service and carries bytes to it', async () => {
    const echo = await echoServer();
    try {
      const gw = await gateway();
      const ag = await agent(gw.server, { target: echo.port });
      const published = ag.a;
      await ag.start();
      const msg = await published().whenPublished();
      expect(msg.errors).toEqual([]);
      expect(msg.routes[0]).toMatchObject({ service: 'echo', protocol: 'tcp', hostname: 'echo.demo.test.localhost' });
      expect(await roundTrip(msg.routes[0].port!, 'hello through the tunnel')).toBe('hello through the tunnel');
      const route = gw.node.gateway!.routes()[0];
      expect(route.stats.bytesIn).toBe('hello through the tunnel'.length);
      expect(gw.node.gateway!.names().map((n) => n.fqdn)).toEqual(['demo.test.localhost']);
    } finally {
      await echo.close();
    }
  });

  it('refuses a wrong token with TFGW_ERR_AUTH (fatal, no retry loop)', async () => {
    const gw = await gateway();
    const ag = await agent(gw.server, { token: 'wrong' });
    const fatal = new Promise((resolve) => ag.node.hooks.start.tap('t', () => void ag.a().once('fatal', resolve)));
    await ag.start();
    expect(await fatal).toMatchObject({ code: ErrorCodes.AUTH });
  });

  it('refuses a name outside the token\'s patterns with TFGW_ERR_FORBIDDEN', async () => {
    const gw = await gateway();
    const ag = await agent(gw.server, { name: 'zzz' });
    const fatal = new Promise((resolve) => ag.node.hooks.start.tap('t', () => void ag.a().once('fatal', resolve)));
    await ag.start();
    expect(await fatal).toMatchObject({ code: ErrorCodes.FORBIDDEN });
  });

  it('keeps a name for its owner: another token gets TFGW_ERR_NAME_TAKEN', async () => {
    const gw = await gateway();
    const first = await agent(gw.server, { name: 'demo' });
    await first.start();
    await first.a().whenPublished();
    const second = await agent(gw.server, { name: 'demo', token: 'second-agent' });
    const fatal = new Promise((resolve) => second.node.hooks.start.tap('t', () => void second.a().once('fatal', resolve)));
    await second.start();
    expect(await fatal).toMatchObject({ code: ErrorCodes.NAME_TAKEN });
  });

  it('refuses an unknown protocol per service with TFGW_ERR_UNKNOWN_PROTOCOL', async () => {
    const gw = await gateway();
    const node = new TfgwNode({
      config: { agent: { server: gw.server, token: 'agent-token', name: 'demo', services: [{ name: 'x', protocol: 'gopher', target: '127.0.0.1:1' }] } },
      plugins: [tcpTransport({})],
    });
    nodes.push(node);
    await node.start();
    const msg = await (node.agent as unknown as Agent).whenPublished();
    expect(msg.errors).toEqual([expect.objectContaining({ code: ErrorCodes.UNKNOWN_PROTOCOL })]);
  });

  it('gives a reconnecting agent its port back (grace period)', async () => {
    const echo = await echoServer();
    try {
      const gw = await gateway();
      const ag = await agent(gw.server, { target: echo.port });
      await ag.start();
      const first = await ag.a().whenPublished();
      const port = first.routes[0].port;
      const again = ag.a().whenPublished();
      // Kill the session from the gateway side; the agent reconnects and re-registers.
      for (const s of gw.node.gateway!.sessions()) gw.node.gateway!.kick(s.id);
      const second = await again;
      expect(second.routes[0].port).toBe(port);
      expect(await roundTrip(port!, 'back')).toBe('back');
    } finally {
      await echo.close();
    }
  });
});

describe('gateway hardening', () => {
  it('closes a connection that sends garbage, without hurting another session', async () => {
    const echo = await echoServer();
    try {
      const gw = await gateway();
      const ag = await agent(gw.server, { target: echo.port });
      await ag.start();
      const msg = await ag.a().whenPublished();
      const junk = net.connect(gw.port, '127.0.0.1');
      junk.on('error', () => undefined);
      junk.resume();
      junk.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      await once(junk, 'close');
      expect(await roundTrip(msg.routes[0].port!, 'still fine')).toBe('still fine');
    } finally {
      await echo.close();
    }
  });

  it('refuses an unknown protocol version with TFGW_ERR_VERSION', async () => {
    const gw = await gateway();
    const sock = net.connect(gw.port, '127.0.0.1');
    await once(sock, 'connect');
    const session = createSession(sock, { client: true, keepaliveMs: 0 });
    const control = session.open();
    control.write(encodeFrame({ t: 'hello', versions: [99], role: 'agent', token: 'agent-token', name: 'demo' }));
    const chunks: Buffer[] = [];
    for await (const c of control) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).subarray(4).toString());
    expect(body).toMatchObject({ t: 'error', code: ErrorCodes.VERSION });
    session.close();
  });

  it('closes a session whose control message claims a huge length (TFGW_ERR_LIMIT)', async () => {
    const gw = await gateway();
    const errors: string[] = [];
    gw.node.hooks.error.tap('t', (e) => void errors.push((e as { code?: string }).code ?? ''));
    const sock = net.connect(gw.port, '127.0.0.1');
    await once(sock, 'connect');
    const session = createSession(sock, { client: true, keepaliveMs: 0 });
    const closed = once(session, 'close');
    const control = session.open();
    control.on('error', () => undefined);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(0x7fffffff);
    control.write(head);
    await closed;
    expect(errors).toContain(ErrorCodes.LIMIT);
  });
});

describe('agent stream dispatch', () => {
  it('refuses streams of a protocol no plugin handles (no byte-piping udp by accident)', async () => {
    const echo = await echoServer();
    try {
      const gw = await gateway();
      const ag = await agent(gw.server, { target: echo.port });
      await ag.start();
      await ag.a().whenPublished();
      const node = new TfgwNode({ config: { client: { server: gw.server, token: 'client-token' } }, plugins: [tcpTransport({})] });
      nodes.push(node);
      await node.start();
      const client = node.client as unknown as Client;
      await expect(client.connect({ protocol: 'udp', agent: 'demo', service: 'echo' })).rejects.toMatchObject({ code: ErrorCodes.UNKNOWN_PROTOCOL });
    } finally {
      await echo.close();
    }
  });
});

describe('client streams', () => {
  it('reaches a registered service, and is refused by token scope, unknown agent and allowlist', async () => {
    const echo = await echoServer();
    try {
      const gw = await gateway();
      const ag = await agent(gw.server, { target: echo.port, allow: ['127.0.0.1:1-1024'] });
      await ag.start();
      await ag.a().whenPublished();
      const node = new TfgwNode({ config: { client: { server: gw.server, token: 'client-token' } }, plugins: [tcpTransport({})] });
      nodes.push(node);
      await node.start();
      const client = node.client as unknown as Client;
      const s = await client.connect({ protocol: 'tcp', agent: 'demo', service: 'echo' });
      s.end('via client');
      let out = '';
      for await (const c of s) out += c;
      expect(out).toBe('via client');

      await expect(client.connect({ protocol: 'tcp', agent: 'other', service: 'echo' })).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN });
      await expect(client.connect({ protocol: 'tcp', agent: 'demo', service: 'nope' })).rejects.toMatchObject({ code: ErrorCodes.UNKNOWN_SERVICE });
      await expect(client.connect({ protocol: 'tcp', agent: 'demo', target: '10.1.2.3:80' })).rejects.toMatchObject({ code: ErrorCodes.TARGET_NOT_ALLOWED });
      await expect(client.connect({ protocol: 'tcp', agent: 'demo', target: `127.0.0.1:${echo.port}` })).resolves.toBeDefined();
    } finally {
      await echo.close();
    }
  });
});
