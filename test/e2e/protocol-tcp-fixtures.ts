import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { runCli, type CliProcess } from '../helpers/cli';
import { freePort, freeUdpPort } from '../helpers/net';

/** A gateway process started from a config file in a temp folder. */
export interface GatewayFixture {
  /** The `tfgw --config` process. */
  proc: CliProcess;
  /** Temp folder holding the config (and the data dir). */
  dir: string;
  /** Raw TCP transport port agents dial. */
  control: number;
  /** Shared SNI port. */
  sni: number;
  /** Public port pools, inclusive. */
  pools: { tcp: [number, number]; udp: [number, number] };
  /** Stop the process and remove the folder. */
  stop(): Promise<void>;
}

/** Options for {@link startGateway}. */
export interface GatewayFixtureOptions {
  /** Options of protocol-tcp besides `sni`. */
  tcp?: Record<string, unknown>;
  /** Options of protocol-udp. */
  udp?: Record<string, unknown>;
  /** `gateway.visitors`. */
  visitors?: { allow?: string[]; deny?: string[] };
  /** `gateway.graceMs`. @default 30000 */
  graceMs?: number;
}

/** A pool range of `size` ports starting at a port that was free a moment ago. */
async function range(size: number, udp = false): Promise<[number, number]> {
  const base = Math.min(udp ? await freeUdpPort() : await freePort(), 65535 - size);
  return [base, base + size - 1];
}

/**
 * Writes a gateway config (raw TCP transport, protocol-tcp with SNI, protocol-udp) with free
 * ports into a temp folder and starts `tfgw --config` on it; resolves once it listens.
 */
export async function startGateway(opts: GatewayFixtureOptions = {}): Promise<GatewayFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-e2e-'));
  const control = await freePort();
  const sni = await freePort();
  const pools = { tcp: await range(40), udp: await range(40, true) };
  const config = {
    zone: 'tfgw.localhost',
    dataDir: path.join(dir, '.tfgw'),
    log: { level: 'info' },
    gateway: {
      publicAddresses: ['127.0.0.1'],
      tokens: [{ token: 'dev-token', role: 'agent', names: ['*'] }],
      ports: { tcp: pools.tcp.join('-'), udp: pools.udp.join('-') },
      graceMs: opts.graceMs ?? 30000,
      ...(opts.visitors ? { visitors: opts.visitors } : {}),
    },
    transports: [['tcp', { listen: `127.0.0.1:${control}` }]],
    plugins: [
      ['protocol-tcp', { sni: `127.0.0.1:${sni}`, ...opts.tcp }],
      ['protocol-udp', { ...opts.udp }],
    ],
  };
  const file = path.join(dir, 'tfgw.config.js');
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(config, null, 2)};\n`);
  const proc = runCli(['--config', file]);
  try {
    await proc.waitFor(/"msg":"gateway listening"/);
    await proc.waitFor(/tls by SNI listening/);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    proc,
    dir,
    control,
    sni,
    pools,
    async stop() {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes an agent config file (services with options, protocol-tcp for PROXY protocol) and starts it. */
export function startConfigAgent(gw: GatewayFixture, name: string, services: Array<Record<string, unknown>>, file = `agent-${name}.config.js`): CliProcess {
  const config = {
    log: { level: 'info' },
    agent: { server: `tcp://127.0.0.1:${gw.control}`, token: 'dev-token', name, services },
    transports: ['tcp'],
    plugins: ['protocol-tcp', 'protocol-udp'],
  };
  const p = path.join(gw.dir, file);
  fs.writeFileSync(p, `module.exports = ${JSON.stringify(config, null, 2)};\n`);
  return runCli(['--config', p]);
}

/** Connects to 127.0.0.1:port with half-close allowed. */
export async function connectTcp(port: number): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(s, 'connect');
  return s;
}

/** Everything a socket sends until it closes (our side ends when the peer's does), and how it ended. */
export function readAll(s: net.Socket): Promise<{ data: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => s.end());
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.once('close', () => resolve({ data: Buffer.concat(chunks), ...(error ? { error } : {}) }));
  });
}

/** A TCP server on 127.0.0.1:0 whose sockets are all destroyed by `close()`. */
export async function tcpServer(onSocket: (s: net.Socket) => void, opts: net.ServerOpts = {}): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer(opts, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as net.AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** The first JSON log line of `proc` with all these field values (in any order). */
export async function waitForLog(proc: CliProcess, fields: Record<string, string | number>, timeoutMs = 20000): Promise<Record<string, unknown>> {
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp('^\\{' + Object.entries(fields).map(([k, v]) => `(?=.*"${esc(k)}":${esc(JSON.stringify(v))}[,}])`).join(''));
  const m = await proc.waitFor(re, timeoutMs);
  return JSON.parse(m.input!) as Record<string, unknown>;
}
