import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { runCli, type CliProcess } from '../helpers/cli';
import { freePort } from '../helpers/net';

/** How long to wait for a process to be ready: generous, the machine may be loaded. */
const READY_MS = 40000;

/** Zone of every fixture gateway. */
export const ZONE = 'tfgw.localhost';

/** A gateway with the HTTP ingress, started from a config file in a temp folder. */
export interface HttpGateway {
  /** The `tfgw --config` process. */
  proc: CliProcess;
  /** Temp folder with the config (and anything else a test writes there). */
  dir: string;
  /** Raw TCP transport port agents dial. */
  control: number;
  /** Plain HTTP ingress port. */
  http: number;
  /** HTTPS ingress port, when configured. */
  https?: number;
  /** `tcp://127.0.0.1:control`. */
  server: string;
  /** The config file. */
  configFile: string;
  /** The config written to it (change it and call `rewrite` to reload with SIGHUP). */
  config: { plugins: unknown[][] } & Record<string, unknown>;
  /** Writes `config` to the file again. */
  rewrite(): void;
  /** Stop the gateway and remove the folder. */
  stop(): Promise<void>;
}

/** Options for {@link startHttpGateway}. */
export interface HttpGatewayOptions {
  /** Load protocol-ws too. @default true */
  ws?: boolean;
  /** protocol-ws options. */
  wsOptions?: Record<string, unknown>;
  /** Extra protocol-http options (besides `listen`). */
  httpOptions?: Record<string, unknown>;
  /** Extra plugin entries, e.g. `['./hook-plugin.js', {}]` (files written by `files`). */
  plugins?: unknown[];
  /** Files to write into the folder first: name -> content. */
  files?: Record<string, string>;
  /** HTTPS ingress with this certificate and key (file names in the folder). */
  https?: { cert: string; key: string };
  /** `gateway.graceMs`. @default 30000 */
  graceMs?: number;
}

/** Writes a gateway config (TCP transport, protocol-http [+ protocol-ws]) with free ports and starts it. */
export async function startHttpGateway(opts: HttpGatewayOptions = {}): Promise<HttpGateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-http-e2e-'));
  for (const [name, content] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(dir, name), content);
  const control = await freePort();
  const httpPort = await freePort();
  const httpsPort = opts.https ? await freePort() : undefined;
  const httpOptions: Record<string, unknown> = { listen: `127.0.0.1:${httpPort}`, ...opts.httpOptions };
  if (opts.https) httpOptions.https = { listen: `127.0.0.1:${httpsPort}`, cert: opts.https.cert, key: opts.https.key };
  const config = {
    zone: ZONE,
    dataDir: path.join(dir, '.tfgw'),
    log: { level: 'info' },
    gateway: {
      publicAddresses: ['127.0.0.1'],
      tokens: [{ token: 'dev-token', role: 'agent', names: ['*'] }],
      graceMs: opts.graceMs ?? 30000,
    },
    transports: [['tcp', { listen: `127.0.0.1:${control}` }]],
    plugins: [['protocol-http', httpOptions], ...(opts.ws === false ? [] : [['protocol-ws', opts.wsOptions ?? {}]]), ...(opts.plugins ?? [])],
  };
  const file = path.join(dir, 'tfgw.config.js');
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(config, null, 2)};\n`);
  const proc = runCli(['--config', file]);
  try {
    await proc.waitFor(/"msg":"gateway listening"/, READY_MS);
    await proc.waitFor(/"msg":"HTTP ingress listening"/, READY_MS);
    if (opts.https) await proc.waitFor(/"msg":"HTTPS ingress listening"/, READY_MS);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    proc,
    dir,
    control,
    http: httpPort,
    ...(httpsPort ? { https: httpsPort } : {}),
    server: `tcp://127.0.0.1:${control}`,
    configFile: file,
    config: config as HttpGateway['config'],
    rewrite() {
      fs.writeFileSync(file, `module.exports = ${JSON.stringify(config, null, 2)};\n`);
    },
    async stop() {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Escapes text for a RegExp. */
export function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Starts `tfgw agent --http …` and resolves once it printed the URL of `waitHost`. */
export async function startCliAgent(gw: HttpGateway, name: string, http: string[], waitHost: string): Promise<CliProcess> {
  const proc = runCli(['agent', '--server', gw.server, '--token', 'dev-token', '--name', name, ...http.flatMap((h) => ['--http', h])]);
  try {
    await proc.waitFor(new RegExp(`^http\\s+http://${esc(waitHost)}:${gw.http}/ -> `), READY_MS);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** Writes an agent config with services (and their options) and starts it; resolves once `waitHost` is published. */
export async function startConfigAgent(gw: HttpGateway, name: string, services: Array<Record<string, unknown>>, waitHost: string): Promise<CliProcess> {
  const config = { log: { level: 'info' }, agent: { server: gw.server, token: 'dev-token', name, services }, transports: ['tcp'] };
  const file = path.join(gw.dir, `agent-${name}.config.js`);
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(config, null, 2)};\n`);
  const proc = runCli(['--config', file]);
  try {
    await proc.waitFor(new RegExp(`^http\\s+http://${esc(waitHost)}:${gw.http}/`), READY_MS);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** Result of {@link curl}. */
export interface CurlResult {
  /** HTTP status (0 when curl got none). */
  status: number;
  /** Response headers, lower-case names (last value wins). */
  headers: Record<string, string>;
  /** Response body. */
  body: string;
  /** curl's exit code. */
  exit: number;
}

/**
 * Runs curl against `host` on the ingress (`--resolve host:port:127.0.0.1`, so the URL and
 * the Host header carry the tunnel name). `args` go before the URL.
 */
export function curl(port: number, host: string, urlPath: string, args: string[] = [], scheme = 'http'): Promise<CurlResult> {
  const url = `${scheme}://${host}:${port}${urlPath}`;
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '-D', '-', '--resolve', `${host}:${port}:127.0.0.1`, ...args, url], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout) => {
      const exit = err ? Number((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0;
      resolve({ ...parseCurlOutput(stdout), exit });
    });
  });
}

/** Splits `curl -D -` output (the last header block, after any 100 Continue) from the body. */
export function parseCurlOutput(out: string): { status: number; headers: Record<string, string>; body: string } {
  let rest = out;
  let status = 0;
  let headers: Record<string, string> = {};
  while (/^HTTP\/[\d.]+ \d{3}/.test(rest)) {
    const end = rest.indexOf('\r\n\r\n');
    const block = end >= 0 ? rest.slice(0, end) : rest;
    rest = end >= 0 ? rest.slice(end + 4) : '';
    const lines = block.split('\r\n');
    status = Number(lines[0].split(' ')[1]);
    headers = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
  }
  return { status, headers, body: rest };
}

/** Spawns curl with stdin/stdout as pipes (for streamed uploads and downloads). */
export function spawnCurl(port: number, host: string, urlPath: string, args: string[]) {
  return spawn('curl', ['-sS', '--resolve', `${host}:${port}:127.0.0.1`, ...args, `http://${host}:${port}${urlPath}`], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A response read whole by Node's HTTP client. */
export interface NodeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** True when the socket of the request was a reused keep-alive one. */
  reused: boolean;
}

/** One request with Node's HTTP client to 127.0.0.1:port with the given Host header. */
export function request(port: number, host: string, urlPath: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders; agent?: http.Agent; body?: Buffer } = {}): Promise<NodeResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: opts.method ?? 'GET', headers: { host, ...opts.headers }, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** An origin HTTP server on 127.0.0.1:0 that tracks its sockets, so `close()` ends everything. */
export async function origin(handler: http.RequestListener, setup?: (srv: http.Server) => void): Promise<{ port: number; server: http.Server; close(): Promise<void> }> {
  const server = http.createServer(handler);
  setup?.(server);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port nothing listens on (bound, then closed). */
export async function deadPort(): Promise<number> {
  return freePort();
}
