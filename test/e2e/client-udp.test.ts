// End to end, UDP: real `dig` through a `tfgw client --forward .../udp` to a DNS server
// behind an agent, and SOCKS5 UDP ASSOCIATE with the `socks` package (UDP echo and DNS);
// the agent side is @tfgw/protocol-udp's relay, loaded by `tfgw agent`.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { SocksClient } from 'socks';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dns2 = require('dns2');
import { freePort, freeUdpPort } from '../helpers/net';
import type { CliProcess } from '../helpers/cli';
import { ZONE, run, startStack, type Stack } from './client-harness';

const { Packet } = dns2;

/** A DNS server (dns2) answering every A question with 192.0.2.7. */
async function dnsServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = dns2.createUDPServer((request: any, send: (r: unknown) => void) => {
    const response = Packet.createResponseFromRequest(request);
    const [q] = request.questions;
    if (q && q.type === Packet.TYPE.A) response.answers.push({ name: q.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address: '192.0.2.7' });
    send(response);
  });
  const port = await freeUdpPort();
  await server.listen(port, '127.0.0.1');
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A UDP server that sends every datagram back, prefixed with `echo:`. */
async function udpEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg, rinfo) => s.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

/** A UDP socket on 127.0.0.1 for the test side. */
async function udpSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

/** Sends one datagram and resolves with the first one that comes back. */
async function exchange(s: dgram.Socket, data: Buffer, port: number): Promise<Buffer> {
  const reply = once(s, 'message') as Promise<[Buffer, dgram.RemoteInfo]>;
  s.send(data, port, '127.0.0.1');
  return (await reply)[0];
}

function dnsQuery(name: string, id: number): Buffer {
  const q = new Packet();
  q.header.id = id;
  q.header.rd = 1;
  q.questions.push({ name, type: Packet.TYPE.A, class: Packet.CLASS.IN });
  return q.toBuffer();
}

describe('tfgw client: UDP forwards and SOCKS5 UDP ASSOCIATE', () => {
  let stack: Stack;
  let dns: { port: number; close: () => Promise<void> };
  let echo: { port: number; close: () => Promise<void> };
  let client: CliProcess;
  const ports = { socks: 0, dnsFwd: 0, echoFwd: 0, nosuchFwd: 0 };

  beforeAll(async () => {
    dns = await dnsServer();
    echo = await udpEcho();
    ports.socks = await freePort();
    ports.dnsFwd = await freeUdpPort();
    ports.echoFwd = await freeUdpPort();
    ports.nosuchFwd = await freeUdpPort();
    stack = await startStack();
    await stack.agent('demo', ['--udp', `dns=127.0.0.1:${dns.port}`, '--udp', `uecho=127.0.0.1:${echo.port}`, '--allow', `127.0.0.1:${echo.port}`]);
    client = await stack.client([
      '--socks', `127.0.0.1:${ports.socks}`,
      '--forward', `127.0.0.1:${ports.dnsFwd}=demo/dns/udp`,
      '--forward', `127.0.0.1:${ports.echoFwd}=demo/127.0.0.1:${echo.port}/udp`,
      '--forward', `127.0.0.1:${ports.nosuchFwd}=demo/nosuch/udp`,
    ]);
  });

  afterAll(async () => {
    await stack?.stop();
    await dns?.close();
    await echo?.close();
  });

  it('dig through a UDP forward gets the answer of the DNS server behind the agent', async () => {
    const r = await run('dig', ['@127.0.0.1', '-p', String(ports.dnsFwd), 'hello.example', 'A', '+short', '+tries=1', '+time=10']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('192.0.2.7');
    const again = await run('dig', ['@127.0.0.1', '-p', String(ports.dnsFwd), 'other.example', 'A', '+tries=1', '+time=10']);
    expect(again.stdout).toMatch(/status: NOERROR/);
    expect(again.stdout).toMatch(/other\.example\.\s+60\s+IN\s+A\s+192\.0\.2\.7/);
  });

  it('a UDP forward to an allowed raw target keeps one association per local peer', async () => {
    const a = await udpSocket();
    const b = await udpSocket();
    try {
      expect((await exchange(a, Buffer.from('from a'), ports.echoFwd)).toString()).toBe('echo:from a');
      expect((await exchange(b, Buffer.from('from b'), ports.echoFwd)).toString()).toBe('echo:from b');
      for (let i = 0; i < 20; i++) expect((await exchange(a, Buffer.from(`a${i}`), ports.echoFwd)).toString()).toBe(`echo:a${i}`);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a UDP forward to an unknown service drops datagrams and logs the code', async () => {
    const s = await udpSocket();
    try {
      s.send(Buffer.from('lost'), ports.nosuchFwd, '127.0.0.1');
      await client.waitFor(/forward udp 127\.0\.0\.1:\d+: demo\/nosuch refused \[TFGW_ERR_UNKNOWN_SERVICE\]/);
    } finally {
      s.close();
    }
  });

  describe('SOCKS5 UDP ASSOCIATE (socks package)', () => {
    let control: import('node:net').Socket;
    let relay: { host: string; port: number };
    let sock: dgram.Socket;

    beforeAll(async () => {
      const associate = new SocksClient({
        proxy: { host: '127.0.0.1', port: ports.socks, type: 5 },
        command: 'associate',
        destination: { host: '0.0.0.0', port: 0 },
        timeout: 20000,
      });
      const established = new Promise<{ socket: import('node:net').Socket; remoteHost?: { host: string; port: number } }>((resolve, reject) => {
        associate.once('established', resolve);
        associate.once('error', reject);
      });
      associate.connect();
      const info = await established;
      control = info.socket;
      relay = info.remoteHost!;
      sock = await udpSocket();
    });

    afterAll(() => {
      sock?.close();
      control?.destroy();
    });

    it('relays datagrams to a UDP service named SVC.AGENT.<zone> and labels replies with that name', async () => {
      const frame = SocksClient.createUDPFrame({ remoteHost: { host: `uecho.demo.${ZONE}`, port: 9 }, data: Buffer.from('hello udp') });
      const reply = SocksClient.parseUDPFrame(await exchange(sock, frame, relay.port));
      expect(reply.data.toString()).toBe('echo:hello udp');
      expect(reply.remoteHost).toEqual({ host: `uecho.demo.${ZONE}`, port: 9 });
    });

    it('carries DNS queries to the DNS service behind the agent', async () => {
      const frame = SocksClient.createUDPFrame({ remoteHost: { host: `dns.demo.${ZONE}`, port: 53 }, data: dnsQuery('via-socks.example', 4242) });
      const reply = SocksClient.parseUDPFrame(await exchange(sock, frame, relay.port));
      const answer = Packet.parse(reply.data);
      expect(answer.header.id).toBe(4242);
      expect(answer.answers.map((a: { address: string }) => a.address)).toEqual(['192.0.2.7']);
    });

    it('reaches an allowed raw UDP target as HOST._via.AGENT.<zone>:PORT', async () => {
      const frame = SocksClient.createUDPFrame({ remoteHost: { host: `127.0.0.1._via.demo.${ZONE}`, port: echo.port }, data: Buffer.from('raw') });
      const reply = SocksClient.parseUDPFrame(await exchange(sock, frame, relay.port));
      expect(reply.data.toString()).toBe('echo:raw');
    });

    it('drops datagrams to names outside the zone and logs the code', async () => {
      const frame = SocksClient.createUDPFrame({ remoteHost: { host: 'example.com', port: 53 }, data: dnsQuery('example.com', 1) });
      sock.send(frame, relay.port, '127.0.0.1');
      await client.waitFor(/socks udp: example\.com:53 refused \[TFGW_ERR_TARGET_NOT_ALLOWED\]/);
    });
  });
});
