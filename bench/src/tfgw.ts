import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { NODE_FLAGS } from '@tfgw/core';
import { whileAlive, type Proc } from './procs';
import { portBlock, waitForPort } from './ports';
import type { ScenarioContext, System } from './types';

/** Repository root (bench/dist/.. /..). */
export const ROOT = path.resolve(__dirname, '../..');
/** The tfgw CLI the bench drives, as a user would (`tfgw` = `node core/dist/cli.js`). */
export const CLI = path.join(ROOT, 'core/dist/cli.js');
/** Where `--profile` puts V8 CPU profiles. */
export const PROFILE_DIR = path.join(ROOT, 'bench/results/profiles');
/** Transports in column order. */
export const TRANSPORTS = ['tcp', 'tls', 'ws', 'quic'] as const;
/** One transport name. */
export type TransportName = (typeof TRANSPORTS)[number];
/** Tokens written into the bench's gateway config. */
export const AGENT_TOKEN = 'bench-token';
/** Client token of the bench config. */
export const CLIENT_TOKEN = 'bench-client';
/** Zone of the bench config. */
export const ZONE = 'tfgw.localhost';

const builtCache = new Map<string, string | undefined>();

/**
 * Why a workspace package cannot be used (undefined when it can): its dist must exist and
 * export a factory function. Placeholder packages (`export {}`) count as not built yet.
 * Checked in a child process so a broken package cannot take the harness down.
 */
export function packageProblem(rel: string): string | undefined {
  if (builtCache.has(rel)) return builtCache.get(rel);
  const file = path.join(ROOT, rel, 'dist/index.js');
  let problem: string | undefined;
  if (!fs.existsSync(file)) problem = `${rel} is not built (no dist/index.js)`;
  else {
    const r = spawnSync(process.execPath, ['-e', `const m=require(${JSON.stringify(file)});process.exit(typeof (m.default??m)==='function'?0:3)`], { encoding: 'utf8', timeout: 20000 });
    if (r.status === 3) problem = `${rel} has no implementation yet (no default export)`;
    else if (r.status !== 0) problem = `${rel} fails to load: ${(r.stderr || '').trim().split('\n').slice(-1)[0] ?? r.status}`;
  }
  builtCache.set(rel, problem);
  return problem;
}

let cliProblemCache: string | undefined | null = null;

/** Why the tfgw CLI cannot be used (undefined when `node core/dist/cli.js --version` works). */
export function cliProblem(): string | undefined {
  if (cliProblemCache !== null) return cliProblemCache;
  if (!fs.existsSync(CLI)) cliProblemCache = 'core/dist/cli.js is not built yet';
  else {
    const r = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', timeout: 20000 });
    cliProblemCache = r.status === 0 ? undefined : `\`tfgw --version\` failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-1)[0]}`;
  }
  return cliProblemCache;
}

/** A running gateway started from a config the bench wrote. */
export interface Gateway {
  proc: Proc;
  configFile: string;
  /** The gateway's data dir (identity certificate, DNS store). */
  dataDir: string;
  /** Transport name -> listen port (only the transports whose package is built). */
  transports: Partial<Record<TransportName, number>>;
  /** Transport name -> why it is not in the config. */
  missingTransports: Partial<Record<TransportName, string>>;
  /** HTTP ingress port (when protocol-http is configured). */
  httpPort: number;
  /** DNS port (when dns-dns2 is configured). */
  dnsPort: number;
  /** First port of the TCP and of the UDP public pools. */
  tcpPool: number;
  udpPool: number;
}

/**
 * Node arguments in front of the CLI: the V8 flags the `tfgw` command starts Node with
 * (NODE_FLAGS, so the bench runs tfgw as users do), and under `--profile`, `--cpu-prof` into bench/results/profiles
 * with a file name that says which scenario and role it is (the latest run overwrites).
 */
function nodeArgs(ctx: ScenarioContext, role: string): string[] {
  if (!ctx.profile) return [...NODE_FLAGS];
  fs.mkdirSync(PROFILE_DIR, { recursive: true });
  return [...NODE_FLAGS, '--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${path.basename(ctx.dir).replace(/-[^-]+$/, '')}-${role}.cpuprofile`];
}

/** The tfgw command line for the report, with `tfgw` in place of `node core/dist/cli.js`. */
export function displayCommand(p: Proc): string {
  return p.commandLine.replace(/^\S+ (?:--[a-z-]+=\S+ )*(?:--cpu-prof --cpu-prof-dir \S+ --cpu-prof-name \S+ )?\S*core\/dist\/cli\.js/, 'tfgw').replace(/\/tmp\/[^\s/]+\/[^\s]*\/(\S+)/g, '<tmp>/$1');
}

/** Plugin short name -> workspace folder. */
const PLUGIN_DIRS: Record<string, string> = {
  'protocol-tcp': 'plugins/protocol-tcp',
  'protocol-udp': 'plugins/protocol-udp',
  'protocol-http': 'plugins/protocol-http',
  'dns-memory': 'plugins/dns-memory',
  'dns-dns2': 'plugins/dns-dns2',
};

/**
 * Why the gateway for these plugins cannot run (CLI or a plugin missing), or undefined.
 * Transports are checked one by one in {@link startGateway}.
 */
export function gatewayProblem(plugins: string[]): string | undefined {
  const cli = cliProblem();
  if (cli) return cli;
  for (const p of plugins) {
    const prob = packageProblem(PLUGIN_DIRS[p] ?? `plugins/${p}`);
    if (prob) return prob;
  }
  return undefined;
}

/**
 * Writes a gateway config into the scenario's temp dir (modelled on the example config,
 * with its own ports) and starts `tfgw --config <file>`; resolves once every TCP-based
 * listener accepts connections.
 */
export async function startGateway(ctx: ScenarioContext, plugins: string[], fdLimit?: number, label = ''): Promise<Gateway> {
  const suffix = label ? `-${label}` : '';
  const base = await portBlock(8);
  const tcpPool = await portBlock(40);
  const udpPool = await portBlock(40);
  const ports = { tcp: base, tls: base + 1, ws: base + 2, quic: base + 3, http: base + 4, dns: base + 5 };
  const transports: Partial<Record<TransportName, number>> = {};
  const missingTransports: Partial<Record<TransportName, string>> = {};
  for (const t of TRANSPORTS) {
    const prob = packageProblem(`transports/${t}`);
    if (prob) missingTransports[t] = prob;
    else transports[t] = ports[t];
  }
  const dataDir = path.join(ctx.dir, `tfgw-data${suffix}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const transportEntries = Object.entries(transports).map(([t, p]) =>
    t === 'ws' ? [t, { listen: `127.0.0.1:${p}`, path: '/_tfgw' }] : [t, { listen: `127.0.0.1:${p}` }],
  );
  const pluginEntries = plugins.map((p) => {
    if (p === 'protocol-http') return [p, { listen: `127.0.0.1:${ports.http}` }];
    if (p === 'dns-dns2') return [p, { listen: `127.0.0.1:${ports.dns}` }];
    return [p, {}];
  });
  const config = {
    zone: ZONE,
    dataDir,
    log: { level: 'warn' },
    gateway: {
      publicAddresses: ['127.0.0.1'],
      tokens: [
        { token: AGENT_TOKEN, role: 'agent' },
        { token: CLIENT_TOKEN, role: 'client' },
      ],
      ports: { tcp: `${tcpPool}-${tcpPool + 39}`, udp: `${udpPool}-${udpPool + 39}` },
      // Keep shutdown short between scenarios; the bench ends all streams itself first.
      drainMs: 1000,
    },
    transports: transportEntries,
    plugins: pluginEntries,
  };
  const configFile = path.join(ctx.dir, `tfgw${suffix}.config.js`);
  fs.writeFileSync(configFile, `// written by the tfgw bench\nmodule.exports = ${JSON.stringify(config, null, 2)};\n`);
  const proc = ctx.scope.start(`tfgw-gateway${suffix}`, process.execPath, [...nodeArgs(ctx, `gateway${suffix}`), CLI, '--config', configFile], { fdLimit, cwd: ctx.dir });
  const tcpListeners = [
    ...Object.entries(transports).filter(([t]) => t !== 'quic').map(([, p]) => p as number),
    ...(plugins.includes('protocol-http') ? [ports.http] : []),
    ...(plugins.includes('dns-dns2') ? [ports.dns] : []),
  ];
  await whileAlive(proc, Promise.all(tcpListeners.map((p) => waitForPort(p, 20000))), 'its listeners accepted connections');
  return { proc, configFile, dataDir, transports, missingTransports, httpPort: ports.http, dnsPort: ports.dns, tcpPool, udpPool };
}

/** The URL an agent or client dials for one transport. */
export function serverUrl(gw: Gateway, t: TransportName): string {
  const p = gw.transports[t];
  return t === 'ws' ? `ws://127.0.0.1:${p}/_tfgw` : `${t}://127.0.0.1:${p}`;
}

/**
 * SHA-256 fingerprint of the gateway's identity, as an agent pins it. The gateway makes a
 * self-signed certificate in its data dir on first start (and logs the fingerprint at
 * info level, which the bench keeps off); reading the file is exact and needs no log parsing.
 */
function gatewayFingerprint(gw: Gateway): string {
  const file = path.join(gw.dataDir, 'tls-cert.pem');
  if (!fs.existsSync(file)) throw new Error(`the gateway wrote no certificate to pin (${file})`);
  return new crypto.X509Certificate(fs.readFileSync(file)).fingerprint256.replace(/:/g, '').toLowerCase();
}

/**
 * Fingerprint of the gateway's QUIC identity: SHA-256 of the raw Ed25519 public key in
 * `quic-identity.key` (what `tfgw-quic-fingerprint` prints).
 */
function quicFingerprint(gw: Gateway): string {
  const file = path.join(gw.dataDir, 'quic-identity.key');
  if (!fs.existsSync(file)) throw new Error(`the gateway wrote no QUIC identity to pin (${file})`);
  const spki = crypto.createPublicKey(crypto.createPrivateKey(fs.readFileSync(file))).export({ format: 'der', type: 'spki' });
  return crypto.createHash('sha256').update(spki.subarray(spki.length - 32)).digest('hex');
}

/** Extra CLI flags a transport needs: TLS pins the gateway's certificate, QUIC its identity key. */
function transportFlags(gw: Gateway, t: TransportName): string[] {
  if (t === 'tls') return ['--fingerprint', gatewayFingerprint(gw)];
  if (t === 'quic') return ['--fingerprint', quicFingerprint(gw)];
  return [];
}

/** Matches a public address an agent prints for a registered service. */
const ADDRESS_RE = /((?:tcp|udp):\/\/127\.0\.0\.1:\d+|https?:\/\/[^\s"']+)/;

/** A running agent and the public addresses it printed, in the order printed. */
export interface Agent {
  proc: Proc;
  name: string;
  addresses: string[];
}

/**
 * Starts `tfgw agent --server URL --token bench-token --name NAME <flags>` and waits until
 * it has printed `expect` public addresses (lines mentioning the server URL are log lines,
 * not addresses).
 */
export async function startAgent(ctx: ScenarioContext, gw: Gateway, t: TransportName, name: string, serviceFlags: string[], expect: number, fdLimit?: number): Promise<Agent> {
  const url = serverUrl(gw, t);
  const args = [...nodeArgs(ctx, `agent-${t}`), CLI, 'agent', '--server', url, '--token', AGENT_TOKEN, '--name', name, '--log-level', 'warn', ...transportFlags(gw, t), ...serviceFlags];
  const proc = ctx.scope.start(`tfgw-agent-${t}`, process.execPath, args, { fdLimit, cwd: ctx.dir });
  const deadline = Date.now() + 30000;
  for (;;) {
    // JSON log lines and lines naming the server URL are logs, not published addresses.
    const found = proc.lines.filter((l) => !l.includes(url) && !/^\s*\{/.test(l)).map((l) => l.match(ADDRESS_RE)?.[1]);
    const addresses = [...new Set(found.filter((x): x is string => !!x))];
    if (addresses.length >= expect) return { proc, name, addresses };
    // The agent prints `error PROTO:SVC CODE: message` for a refused registration.
    const refused = proc.lines.find((l) => /^error \S+ TFGW_ERR_/.test(l));
    if (refused) throw new Error(`registration refused: ${refused}`);
    const code = proc.exitCode();
    if (code !== undefined) throw new Error(`agent exited (${code}); output:\n${proc.lines.slice(-10).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`agent printed ${addresses.length}/${expect} public addresses within 30 s; output:\n${proc.lines.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Port of a `tcp://` / `udp://` address. */
export function addressPort(a: string): number {
  const m = a.match(/:(\d+)\/?$/);
  if (!m) throw new Error(`no port in ${a}`);
  return Number(m[1]);
}

/**
 * Starts `tfgw client --server URL --token bench-client --forward L=AGENT/SVC...` and waits
 * until every local forward port accepts connections.
 */
export async function startClient(ctx: ScenarioContext, gw: Gateway, t: TransportName, forwards: Array<{ local: number; target: string }>): Promise<Proc> {
  const args = [...nodeArgs(ctx, `client-${t}`), CLI, 'client', '--server', serverUrl(gw, t), '--token', CLIENT_TOKEN, '--log-level', 'warn', ...transportFlags(gw, t)];
  for (const f of forwards) args.push('--forward', `127.0.0.1:${f.local}=${f.target}`);
  const proc = ctx.scope.start(`tfgw-client-${t}`, process.execPath, args, { cwd: ctx.dir });
  await whileAlive(proc, Promise.all(forwards.map((f) => waitForPort(f.local, 20000))), 'its forward ports listened');
  return proc;
}

/** An error message with its output lines folded into one line, for table footnotes. */
export function oneLine(msg: string, max = 400): string {
  const s = msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' | ');
  return s.length > max ? s.slice(0, max) + '…' : s;
}

/** Column name of tfgw over one transport. */
export function tfgwName(t: TransportName): string {
  return `tfgw ${t}`;
}

/** Placeholder columns for every transport when tfgw cannot run at all. */
export function unavailableTfgw(reason: string): System[] {
  return TRANSPORTS.map((t) => ({ name: tfgwName(t), tfgw: true, procs: {}, unavailable: reason, data: {} }));
}

/**
 * The usual tfgw setup of a scenario: one gateway with `plugins`, one agent per available
 * transport (named `bench-<transport>`) exposing `serviceFlags`, and one column per
 * transport. `toData` turns the agent's printed addresses into the scenario's data.
 * Never throws: failures become the columns' `unavailable` reason.
 */
export async function tfgwSystems(
  ctx: ScenarioContext,
  opts: {
    plugins: string[];
    serviceFlags: (t: TransportName) => Promise<string[]> | string[];
    expect: number;
    toData: (agent: Agent, gw: Gateway, t: TransportName) => Record<string, unknown> | Promise<Record<string, unknown>>;
    fdLimit?: number;
    transports?: readonly TransportName[];
    /** One gateway per transport column, so one column's load cannot show in another's memory. */
    gatewayPerTransport?: boolean;
  },
): Promise<System[]> {
  const problem = gatewayProblem(opts.plugins);
  if (problem) return unavailableTfgw(problem);
  let shared: Gateway | undefined;
  if (!opts.gatewayPerTransport) {
    try {
      shared = await startGateway(ctx, opts.plugins, opts.fdLimit);
    } catch (e) {
      return unavailableTfgw(`gateway did not start: ${oneLine((e as Error).message)}`);
    }
  }
  const out: System[] = [];
  for (const t of opts.transports ?? TRANSPORTS) {
    const sys: System = { name: tfgwName(t), tfgw: true, procs: {}, data: {} };
    out.push(sys);
    let gw: Gateway;
    try {
      gw = shared ?? (await startGateway(ctx, opts.plugins, opts.fdLimit, t));
    } catch (e) {
      sys.unavailable = `gateway did not start: ${oneLine((e as Error).message)}`;
      continue;
    }
    if (gw.missingTransports[t]) {
      sys.unavailable = gw.missingTransports[t];
      continue;
    }
    try {
      const agent = await startAgent(ctx, gw, t, `bench-${t}`, await opts.serviceFlags(t), opts.expect, opts.fdLimit);
      sys.procs = { gateway: gw.proc.pid, agent: agent.proc.pid };
      sys.data = { ...(await opts.toData(agent, gw, t)), gateway: gw, agent };
      sys.setupCommands = [displayCommand(gw.proc), displayCommand(agent.proc)];
    } catch (e) {
      sys.unavailable = `agent over ${t} did not register: ${oneLine((e as Error).message)}`;
      ctx.log(`tfgw ${t}: ${(e as Error).message}`);
    }
  }
  return out;
}
