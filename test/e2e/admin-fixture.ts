import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { runCli, type CliProcess } from '../helpers/cli';
import { freePort, freePortRange, freeUdpPort } from '../helpers/net';

/** Zone of every admin fixture gateway. */
export const ZONE = 'tfgw.localhost';
/** The admin token of every fixture gateway. */
export const ADMIN_TOKEN = 'test-admin-token-1';
/** The agent token. */
export const AGENT_TOKEN = 'dev-token';

/** A gateway with protocol-tcp, protocol-http, optionally DNS, and the admin plugin, run by the CLI. */
export interface AdminGateway {
  /** The `tfgw --config` process. */
  proc: CliProcess;
  /** Temp folder with the config and the data dir. */
  dir: string;
  /** Config file path. */
  file: string;
  /** The config object written (write it again with changes to test reloads). */
  config: Record<string, unknown>;
  /** Raw TCP transport port. */
  control: number;
  /** HTTP ingress port. */
  http: number;
  /** Admin listener port. */
  admin: number;
  /** DNS port (UDP and TCP), when DNS is on. */
  dns?: number;
  /** protocol-tcp's SNI port, when `sni` was asked for. */
  sni?: number;
  /** Public TCP port range. */
  tcpRange: [number, number];
  /** `tcp://127.0.0.1:control`. */
  server: string;
  /** Start it again (same ports and folder) after `proc` exited. */
  restart(): Promise<void>;
  /** Stop the gateway and remove the folder. */
  stop(): Promise<void>;
}

/** Options of {@link startAdminGateway}. */
export interface AdminGatewayOptions {
  /** Add dns-memory and dns-dns2. @default false */
  dns?: boolean;
  /** dns-dns2 options besides `listen`. */
  dnsOptions?: Record<string, unknown>;
  /** Extra admin options. */
  adminOptions?: Record<string, unknown>;
  /** Extra `gateway` config keys. */
  gateway?: Record<string, unknown>;
  /** Add an SNI listener to protocol-tcp (`sni` port in the result). @default false */
  sni?: boolean;
}

/** Writes a config with free ports into a temp folder and starts the gateway; resolves once admin and the ingress listen. */
export async function startAdminGateway(opts: AdminGatewayOptions = {}): Promise<AdminGateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-admin-e2e-'));
  const control = await freePort();
  const httpPort = await freePort();
  const adminPort = await freePort();
  const tcpRange = await freePortRange(4);
  const sniPort = opts.sni ? await freePort() : undefined;
  let dnsPort: number | undefined;
  if (opts.dns) {
    // One port free for both UDP and TCP.
    for (let i = 0; i < 20 && dnsPort === undefined; i++) {
      const p = await freeUdpPort();
      if (await tcpFree(p)) dnsPort = p;
    }
    if (dnsPort === undefined) throw new Error('no port free for DNS on both UDP and TCP');
  }
  const config: Record<string, unknown> = {
    zone: ZONE,
    dataDir: path.join(dir, 'data'),
    log: { level: 'info' },
    gateway: {
      publicAddresses: ['127.0.0.1'],
      tokens: [{ token: AGENT_TOKEN, role: 'agent', names: ['*'] }],
      ports: { tcp: `${tcpRange[0]}-${tcpRange[1]}` },
      graceMs: 30000,
      ...opts.gateway,
    },
    transports: [['tcp', { listen: `127.0.0.1:${control}` }]],
    plugins: [
      ['protocol-tcp', sniPort ? { sni: `127.0.0.1:${sniPort}` } : {}],
      ['protocol-http', { listen: `127.0.0.1:${httpPort}` }],
      ...(opts.dns ? [['dns-memory', {}], ['dns-dns2', { listen: `127.0.0.1:${dnsPort}`, ...opts.dnsOptions }]] : []),
      ['admin', { listen: `127.0.0.1:${adminPort}`, token: ADMIN_TOKEN, ...opts.adminOptions }],
    ],
  };
  const file = path.join(dir, 'tfgw.config.js');
  writeConfig(file, config);
  const start = async () => {
    const proc = runCli(['--config', file]);
    try {
      await proc.waitFor(/"msg":"admin listening"/);
      await proc.waitFor(/"msg":"HTTP ingress listening"/);
      await proc.waitFor(/"msg":"gateway listening"/);
    } catch (err) {
      await proc.stop();
      throw err;
    }
    return proc;
  };
  const gw: AdminGateway = {
    proc: await start().catch((err) => {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }),
    dir,
    file,
    config,
    control,
    http: httpPort,
    admin: adminPort,
    ...(dnsPort ? { dns: dnsPort } : {}),
    ...(sniPort ? { sni: sniPort } : {}),
    tcpRange,
    server: `tcp://127.0.0.1:${control}`,
    async restart() {
      gw.proc = await start();
    },
    async stop() {
      await gw.proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return gw;
}

/** Writes `config` as a CommonJS config file. */
export function writeConfig(file: string, config: Record<string, unknown>): void {
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(config, null, 2)};\n`);
}

async function tcpFree(port: number): Promise<boolean> {
  const srv = http.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Escapes text for a RegExp. */
export function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Starts `tfgw agent` with `--http` / `--tcp` flags; resolves once it printed every public address. */
export async function startAgent(gw: AdminGateway, name: string, flags: { http?: string[]; tcp?: string[]; token?: string }): Promise<CliProcess> {
  const args = ['agent', '--server', gw.server, '--token', flags.token ?? AGENT_TOKEN, '--name', name];
  for (const h of flags.http ?? []) args.push('--http', h);
  for (const t of flags.tcp ?? []) args.push('--tcp', t);
  const proc = runCli(args);
  try {
    for (const h of flags.http ?? []) {
      const svc = h.includes('=') ? h.slice(0, h.indexOf('=')) : '';
      const host = svc ? `${svc}.${name}.${ZONE}` : `${name}.${ZONE}`;
      await proc.waitFor(new RegExp(`^http\\s+http://${esc(host)}:${gw.http}/ -> `));
    }
    for (let i = 0; i < (flags.tcp ?? []).length; i++) await proc.waitFor(/^tcp\s+tcp:\/\/127\.0\.0\.1:\d+/);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/**
 * Starts an agent from a config file (for services the agent flags cannot express, like
 * `tls`); resolves once the gateway logged `route added` for every `protocol:hostname` in `routes`.
 */
export async function startConfigAgent(gw: AdminGateway, name: string, services: Array<Record<string, unknown>>, routes: string[]): Promise<CliProcess> {
  const file = path.join(gw.dir, `agent-${name}.config.js`);
  writeConfig(file, { log: { level: 'info' }, agent: { server: gw.server, token: AGENT_TOKEN, name, services }, transports: ['tcp'] });
  const mark = gw.proc.lines.length;
  const proc = runCli(['--config', file]);
  try {
    for (const id of routes) await gw.proc.waitFor(new RegExp(`"route":"${esc(id)}".*"msg":"route added"`), 20000, mark);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** A response read whole. */
export interface ApiResponse {
  /** HTTP status. */
  status: number;
  /** Headers. */
  headers: http.IncomingHttpHeaders;
  /** Body text. */
  text: string;
  /** Body parsed as JSON (undefined when it is not JSON). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Options of {@link api}. */
export interface ApiOptions {
  /** Bearer token; `null` sends no Authorization header. @default ADMIN_TOKEN */
  token?: string | null;
  /** JSON body. */
  body?: unknown;
  /** Raw body (with its own content type). */
  raw?: { data: Buffer | string; type: string };
  /** Extra headers. */
  headers?: http.OutgoingHttpHeaders;
}

/** One request to the admin listener with Node's HTTP client. */
export function api(port: number, method: string, urlPath: string, opts: ApiOptions = {}): Promise<ApiResponse> {
  const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
  const headers: http.OutgoingHttpHeaders = { ...(token !== null ? { Authorization: `Bearer ${token}` } : {}), ...opts.headers };
  let data: Buffer | undefined;
  if (opts.body !== undefined) {
    data = Buffer.from(JSON.stringify(opts.body));
    headers['Content-Type'] = 'application/json';
  } else if (opts.raw) {
    data = Buffer.from(opts.raw.data);
    headers['Content-Type'] = opts.raw.type;
  }
  if (data) headers['Content-Length'] = data.length;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Result of {@link run}. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Runs a command (curl, dig) and collects its output. */
export function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? Number((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0;
      resolve({ code: Number.isFinite(code) ? code : 1, stdout, stderr });
    });
  });
}

/** `curl` against the admin listener; returns status and body. */
export async function curlAdmin(port: number, method: string, urlPath: string, args: string[] = []): Promise<{ status: number; body: string }> {
  const r = await run('curl', ['-sS', '-X', method, '-o', '-', '-w', '\n%{http_code}', ...args, `http://127.0.0.1:${port}${urlPath}`]);
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}

/** `curl` through the HTTP ingress with a Host header. */
export async function curlIngress(port: number, host: string, urlPath = '/', args: string[] = []): Promise<{ status: number; body: string }> {
  const r = await run('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', '-H', `Host: ${host}`, ...args, `http://127.0.0.1:${port}${urlPath}`]);
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}

/** `dig @127.0.0.1 -p PORT NAME TYPE +short` lines, plus the status from a full query. */
export async function dig(port: number, name: string, type: string): Promise<{ status: string; answers: string[] }> {
  const r = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', '+norecurse', name, type]);
  const status = /status: ([A-Z]+)/.exec(r.stdout)?.[1] ?? 'NONE';
  const answers: string[] = [];
  let inAnswer = false;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith(';; ANSWER SECTION')) inAnswer = true;
    else if (line.startsWith(';;') || line.trim() === '') inAnswer = false;
    else if (inAnswer) answers.push(line.split(/\s+/).slice(4).join(' '));
  }
  return { status, answers };
}

/** A small HTTP service (what an agent exposes) answering `<label> <path>`. */
export async function webService(label: string): Promise<{ port: number; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(`${label} ${req.url}`);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

/** Polls `check` (an API read, a scrape) until it returns a value other than undefined; for state that has no event to await. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
