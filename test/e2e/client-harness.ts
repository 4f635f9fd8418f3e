// Shared set-up of the client-ingress end-to-end tests: a gateway from a config file in a
// temp dir (free ports), agents and clients through the real CLI, and small SOCKS / HTTP
// helpers that return reply codes. Every process is stopped by `Stack.stop()`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { SocksClient } from 'socks';
import { runCli, type CliProcess } from '../helpers/cli';
import { freePort, freeUdpPort } from '../helpers/net';

/** The zone every e2e gateway serves. */
export const ZONE = 'tfgw.localhost';
/** Token an agent uses. */
export const AGENT_TOKEN = 'agent-token';
/** Client token that may reach any agent. */
export const CLIENT_TOKEN = 'client-token';
/** Client token that may only reach the agent named `other`. */
export const LIMITED_TOKEN = 'limited';

/** A gateway process and the things to stop afterwards. */
export interface Stack {
  /** Temp dir of the gateway config and data. */
  dir: string;
  /** `tcp://127.0.0.1:PORT` of the gateway. */
  server: string;
  /** The gateway process. */
  gateway: CliProcess;
  /** Start `tfgw agent ...` and wait until it is connected. */
  agent(name: string, flags: string[]): Promise<CliProcess>;
  /** Start `tfgw client ...` and wait until it is connected and its listeners are up. */
  client(flags: string[], token?: string): Promise<CliProcess>;
  /** Start `tfgw --config FILE` with a config object written as JSON into the temp dir. */
  config(name: string, config: Record<string, unknown>, ready: RegExp[]): Promise<CliProcess>;
  /** Stop every process started here (in reverse order) and remove the temp dir. */
  stop(): Promise<void>;
}

/** True when a built-in plugin package exports a factory (protocol plugins land in parallel). */
function pluginReady(pkg: string): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(pkg);
    return typeof (mod.default ?? mod) === 'function';
  } catch {
    return false;
  }
}

/** Waits for every regex, in order, on a process's output. */
async function ready(p: CliProcess, res: RegExp[]): Promise<void> {
  for (const re of res) await p.waitFor(re, 20000);
}

/**
 * Starts a gateway with the tokens of these tests (agent-token, client-token, limited),
 * the tcp transport on a free port, and the protocol plugins on free ports.
 */
export async function startStack(): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-client-e2e-'));
  const tcpPort = await freePort();
  const plugins: unknown[] = [];
  if (pluginReady('@tfgw/protocol-tcp')) plugins.push(['protocol-tcp', {}]);
  if (pluginReady('@tfgw/protocol-udp')) plugins.push(['protocol-udp', {}]);
  if (pluginReady('@tfgw/protocol-http')) plugins.push(['protocol-http', { listen: `127.0.0.1:${await freePort()}` }]);
  const tcpPool = await freePort();
  const udpPool = await freeUdpPort();
  const config = {
    zone: ZONE,
    dataDir: path.join(dir, 'data'),
    gateway: {
      publicAddresses: ['127.0.0.1'],
      tokens: [
        { token: AGENT_TOKEN, role: 'agent', names: ['*'] },
        { token: CLIENT_TOKEN, role: 'client', agents: ['*'] },
        { token: LIMITED_TOKEN, role: 'client', agents: ['other'] },
      ],
      ports: { tcp: `${tcpPool}-${tcpPool + 9}`, udp: `${udpPool}-${udpPool + 9}` },
      graceMs: 600000,
      drainMs: 500,
    },
    transports: [['tcp', { listen: `127.0.0.1:${tcpPort}` }]],
    plugins,
  };
  const file = path.join(dir, 'tfgw.config.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  const procs: CliProcess[] = [];
  const gateway = runCli(['--config', file]);
  procs.push(gateway);
  await gateway.waitFor(/gateway listening/, 20000);
  const server = `tcp://127.0.0.1:${tcpPort}`;
  return {
    dir,
    server,
    gateway,
    async agent(name, flags) {
      const p = runCli(['agent', '--server', server, '--token', AGENT_TOKEN, '--name', name, ...flags]);
      procs.push(p);
      await ready(p, [/agent connected/]);
      return p;
    },
    async client(flags, token = CLIENT_TOKEN) {
      const p = runCli(['client', '--server', server, '--token', token, ...flags]);
      procs.push(p);
      const listeners = flags.filter((f) => f === '--socks' || f === '--http-proxy' || f === '--forward').length;
      await ready(p, [/client connected/]);
      await waitForLines(p, /listening on /, listeners);
      return p;
    },
    async config(name, cfg, res) {
      const f = path.join(dir, `${name}.config.json`);
      fs.writeFileSync(f, JSON.stringify(cfg, null, 2));
      const p = runCli(['--config', f]);
      procs.push(p);
      await ready(p, res);
      return p;
    },
    async stop() {
      for (const p of procs.reverse()) await p.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `count` lines of a process match `re`. */
export async function waitForLines(p: CliProcess, re: RegExp, count: number): Promise<void> {
  if (count === 0) return;
  for (;;) {
    if (p.lines.filter((l) => re.test(l)).length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const onLine = () => {
        p.child.stdout!.off('data', onLine);
        p.child.stderr!.off('data', onLine);
        p.child.off('exit', onExit);
        setImmediate(resolve);
      };
      const onExit = () => reject(new Error(`tfgw exited; output:\n${p.lines.join('\n')}`));
      p.child.stdout!.on('data', onLine);
      p.child.stderr!.on('data', onLine);
      p.child.once('exit', onExit);
    });
  }
}

/** Reply names the `socks` package puts in its errors (its Socks5Response enum) -> RFC 1928 codes. */
const SOCKS5_REPLY_NAMES: Record<string, number> = {
  Failure: 1,
  NotAllowed: 2,
  NetworkUnreachable: 3,
  HostUnreachable: 4,
  ConnectionRefused: 5,
  TTLExpired: 6,
  CommandNotSupported: 7,
  AddressNotSupported: 8,
};

/** What a SOCKS5 CONNECT through the `socks` package gave: a socket, or the reply code. */
export type SocksOutcome = { socket: net.Socket; reply?: undefined } | { socket?: undefined; reply: number; message: string };

/** CONNECT through a SOCKS5 server with the `socks` package; a refusal resolves with its reply code. */
export async function socksConnect(proxyPort: number, host: string, port: number, auth?: { userId: string; password: string }): Promise<SocksOutcome> {
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: { host: '127.0.0.1', port: proxyPort, type: 5, ...(auth ?? {}) },
      command: 'connect',
      destination: { host, port },
      timeout: 20000,
    });
    return { socket };
  } catch (err) {
    const message = (err as Error).message;
    const name = / - (\w+)$/.exec(message)?.[1];
    const reply = name !== undefined ? SOCKS5_REPLY_NAMES[name] : undefined;
    return { reply: reply ?? -1, message };
  }
}

/** Sends `data` over a socket, half-closes, and collects everything until the peer ends. */
export async function roundTrip(socket: net.Socket, data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.end(data);
  await once(socket, 'end');
  socket.destroy();
  return Buffer.concat(chunks);
}

/** Result of running a command to completion. */
export interface CommandResult {
  /** Exit code. */
  code: number | null;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Runs a command (curl, dig) to completion. */
export async function run(cmd: string, args: string[]): Promise<CommandResult> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * `curl` with the status appended: resolves `{ status, body, code, stderr }`. `status` is the
 * response's status, or the proxy's answer to CONNECT when the tunnel failed, or 0.
 */
export async function curl(args: string[]): Promise<{ status: number; body: string; code: number | null; stderr: string }> {
  const r = await run('curl', ['-sS', '--max-time', '30', '-w', '\n%{http_code} %{http_connect}', ...args]);
  const at = r.stdout.lastIndexOf('\n');
  const [httpCode, connectCode] = r.stdout.slice(at + 1).split(' ').map(Number);
  return { status: httpCode || connectCode || 0, body: r.stdout.slice(0, at), code: r.code, stderr: r.stderr };
}

/** A local HTTP service answering `hello from www` (and the Host header at /host). */
export async function helloServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const http = await import('node:http');
  const srv = http.createServer((req, res) => {
    if (req.url === '/host') res.end(`host=${req.headers.host}`);
    else if (req.method === 'POST') {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`got ${n} bytes`));
    } else res.end('hello from www');
  });
  // `Upgrade: echo` on /echo: 101, then every byte comes back (an upgraded protocol in miniature).
  const upgraded = new Set<import('node:stream').Duplex>();
  srv.on('upgrade', (req, socket, head) => {
    if (req.url !== '/echo' || req.headers.upgrade !== 'echo') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of upgraded) s.destroy();
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}
