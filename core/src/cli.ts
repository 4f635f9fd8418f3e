#!/usr/bin/env node
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { asTfgwError, ErrorCodes, TfgwError } from './errors';
import { loadConfig } from './config/load';
import type { AgentServiceConfig, TfgwConfig } from './config/types';
import { createNode, reloadNode } from './create-node';
import { isPluginAvailable } from './loader';
import { createLogger, type Logger } from './log';
import type { PluginEntry } from './plugin';
import type { TfgwNode } from './node';
import type { Agent } from './roles/agent';
import { attachAgentStatus } from './cli/agent-status';
import { parseForwardFlag, parseServiceFlag } from './cli/service-flags';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

/** Exit codes of the contract: 2 usage/config, 1 anything else. */
const CONFIG_CODES = new Set<string>([ErrorCodes.CONFIG, ErrorCodes.PLUGIN_NOT_FOUND, ErrorCodes.PLUGIN_DUPLICATE, ErrorCodes.PLUGIN_DEPENDENCY, ErrorCodes.PLUGIN_INVALID, ErrorCodes.UNKNOWN_TRANSPORT]);

const collect = (v: string, prev: string[] = []) => [...prev, v];

function fail(err: unknown): never {
  const e = asTfgwError(err, 'TFGW_ERR_FATAL');
  process.stderr.write(`tfgw: ${e.message} [${e.code}]\n`);
  const cause = e.cause as { message?: string } | undefined;
  if (cause?.message && !e.message.includes(cause.message) && process.env.TFGW_DEBUG) process.stderr.write(`  caused by: ${cause.message}\n`);
  process.exit(CONFIG_CODES.has(e.code) ? 2 : 1);
}

/** Runs a node until SIGINT/SIGTERM, then drains (GOAWAY) and exits 0. */
async function runNode(node: TfgwNode, log: Logger, drainMs: number): Promise<void> {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn('second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, drainMs }, 'stopping: no new connections, draining');
    await node.stop(drainMs);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await node.start();
}

/** Built-in transports the agent / client CLI can dial with; optional ones are skipped when absent. */
function dialTransports(baseDir: string): PluginEntry[] {
  return ['tcp', 'tls', 'ws', 'quic'].filter((t) => isPluginAvailable(t, baseDir));
}

function logger(level: string | undefined, cfg?: TfgwConfig): Logger {
  return createLogger({ level: level ?? cfg?.log?.level, pretty: cfg?.log?.pretty });
}

/**
 * A config with an agent or client role and no `transports` (or, for an agent, no
 * `plugins`) gets what `tfgw agent` / `tfgw client` would load: every built-in transport to
 * dial with, and the agent-side stream handlers. Lists that are given are left alone.
 */
function withRoleDefaults(config: TfgwConfig, baseDir: string): TfgwConfig {
  if (!config.agent && !config.client) return config;
  return {
    ...config,
    ...(config.transports === undefined ? { transports: dialTransports(baseDir) } : {}),
    ...(config.agent && config.plugins === undefined ? { plugins: AGENT_PLUGINS.filter((x) => isPluginAvailable(x, baseDir)) } : {}),
  };
}

/** Agent-side stream handlers: UDP associations, PROXY protocol toward TCP/TLS services. */
const AGENT_PLUGINS = ['protocol-tcp', 'protocol-udp'];

async function runConfig(opts: { config?: string; logLevel?: string }): Promise<void> {
  const found = await loadConfig(opts.config);
  const loaded = { ...found, config: withRoleDefaults(found.config, found.baseDir) };
  const log = logger(opts.logLevel, loaded.config);
  const { node } = createNode(loaded.config, { baseDir: loaded.baseDir, logger: log });
  log.info({ config: loaded.filepath, plugins: node.pluginNames() }, `tfgw ${VERSION} starting`);
  // Reload on SIGHUP and through the admin API (service key `config.reload`): the file is
  // read and checked first; an invalid one is rejected and the running config stays.
  const reload = async () => {
    const next = await loadConfig(loaded.filepath);
    return reloadNode(node, withRoleDefaults(next.config, next.baseDir), next.baseDir);
  };
  node.services.provide('config.reload', reload);
  process.on('SIGHUP', () => {
    reload().catch((err) => {
      const e = asTfgwError(err);
      log.error({ code: e.code }, `reload rejected, the running config stays: ${e.message}`);
    });
  });
  // Roles exist once `start` runs; attach the agent's display before it dials.
  node.hooks.start.tap('cli', () => {
    if (node.agent) attachAgentStatus(node.agent as Agent, log, targetsOf(loaded.config.agent?.services ?? []));
    for (const role of [node.agent, node.client]) (role as unknown as NodeJS.EventEmitter | undefined)?.on('fatal', (err: TfgwError) => fail(err));
  });
  await runNode(node, log, loaded.config.gateway?.drainMs ?? 5000);
}

function targetsOf(services: AgentServiceConfig[]): Map<string, string> {
  return new Map(services.map((s) => [`${s.name ?? ''}/${s.protocol}`, s.target]));
}

function transportOptions(o: { fingerprint?: string; ca?: string; proxy?: string }): Record<string, unknown> {
  return { ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}), ...(o.ca ? { ca: path.resolve(o.ca) } : {}), ...(o.proxy ? { proxy: o.proxy } : {}) };
}

function program(): Command {
  const p = new Command('tfgw')
    .description('Gateway that makes services in private networks reachable by name: authoritative DNS + tunnels')
    .version(VERSION, '-v, --version')
    .option('-c, --config <file>', 'config file (default: search tfgw.config.js, .tfgwrc*, package.json#tfgw)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .showHelpAfterError()
    .exitOverride()
    .action(async (opts) => runConfig(opts));

  p.command('agent')
    .description('expose local services through a gateway (like `ngrok http 3000`)')
    .requiredOption('--server <url>', 'gateway URL: tcp://, tls://, ws://, wss://, quic://host:port[#FINGERPRINT]')
    .option('--token <token>', 'agent token (default: $TFGW_TOKEN)')
    .requiredOption('--name <name>', 'agent name: owns NAME.<zone>')
    .option('--http <[svc=]addr>', 'expose an HTTP service (repeatable)', collect, [])
    .option('--tcp <[svc=]addr[@port]>', 'expose a TCP service, optionally on a public port (repeatable)', collect, [])
    .option('--udp <[svc=]addr[@port]>', 'expose a UDP service (repeatable)', collect, [])
    .option('--tls <[svc=]addr>', 'expose a TLS service routed by SNI on the gateway\'s shared TLS port, not terminated (repeatable)', collect, [])
    .option('--allow <host:port>', 'let clients reach this target through the agent (repeatable; host:from-to, cidr:port)', collect, [])
    .option('--fingerprint <sha256>', 'pin the gateway identity (tls/wss/quic)')
    .option('--ca <file>', 'CA certificate to verify the gateway (tls/wss)')
    .option('--proxy <url>', 'reach the gateway through socks5://[user:pass@]host:port or http://host:port')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .exitOverride()
    .action(async (o) => {
      const token = o.token ?? process.env.TFGW_TOKEN;
      if (!token) throw new TfgwError(ErrorCodes.CONFIG, '--token: required (or set TFGW_TOKEN)', { details: { path: '--token' } });
      const services: AgentServiceConfig[] = [
        ...o.http.map((v: string) => parseServiceFlag('http', v)),
        ...o.tcp.map((v: string) => parseServiceFlag('tcp', v)),
        ...o.udp.map((v: string) => parseServiceFlag('udp', v)),
        ...o.tls.map((v: string) => parseServiceFlag('tls', v)),
      ];
      const seen = new Set<string>();
      for (const s of services) {
        const key = `${s.name}/${s.protocol}`;
        if (seen.has(key)) throw new TfgwError(ErrorCodes.CONFIG, `--${s.protocol}: two ${s.protocol} services named "${s.name || '(agent name)'}"; give each a name with SVC=ADDR`, { details: { path: `--${s.protocol}` } });
        seen.add(key);
      }
      const baseDir = process.cwd();
      const config: TfgwConfig = {
        log: { level: o.logLevel ?? p.opts().logLevel },
        agent: { server: o.server, token, name: String(o.name), services, allow: o.allow, transport: transportOptions(o) },
        transports: dialTransports(baseDir),
        plugins: AGENT_PLUGINS.filter((x) => isPluginAvailable(x, baseDir)),
      };
      const log = logger(o.logLevel ?? p.opts().logLevel);
      const { node } = createNode(config, { baseDir, logger: log });
      node.hooks.start.tap('cli', () => {
        const agent = node.agent as Agent;
        attachAgentStatus(agent, log, targetsOf(services));
        agent.on('fatal', (err: TfgwError) => fail(err));
      });
      await runNode(node, log, 5000);
    });

  p.command('client')
    .description('reach unexposed services behind agents via SOCKS5, HTTP CONNECT or port forwards')
    .requiredOption('--server <url>', 'gateway URL')
    .option('--token <token>', 'client token (default: $TFGW_CLIENT_TOKEN)')
    .option('--socks <addr>', 'local SOCKS5 server address, e.g. 127.0.0.1:1080')
    .option('--http-proxy <addr>', 'local HTTP proxy (CONNECT) address, e.g. 127.0.0.1:8118')
    .option('--forward <local=agent/svc>', 'fixed local port forward, LOCAL=AGENT/SVC[/udp] (repeatable)', collect, [])
    .option('--fingerprint <sha256>', 'pin the gateway identity (tls/wss/quic)')
    .option('--ca <file>', 'CA certificate to verify the gateway (tls/wss)')
    .option('--proxy <url>', 'reach the gateway through socks5://… or http://…')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .exitOverride()
    .action(async (o) => {
      const token = o.token ?? process.env.TFGW_CLIENT_TOKEN;
      if (!token) throw new TfgwError(ErrorCodes.CONFIG, '--token: required (or set TFGW_CLIENT_TOKEN)', { details: { path: '--token' } });
      const forwards = o.forward.map((v: string) => parseForwardFlag(v));
      const baseDir = process.cwd();
      const ingress: Record<string, unknown> = { ...(o.socks ? { socks: o.socks } : {}), ...(o.httpProxy ? { httpProxy: o.httpProxy } : {}), forwards };
      const config: TfgwConfig = {
        log: { level: o.logLevel ?? p.opts().logLevel },
        client: { server: o.server, token, transport: transportOptions(o) },
        transports: dialTransports(baseDir),
        plugins: [['client-ingress', ingress]],
      };
      const log = logger(o.logLevel ?? p.opts().logLevel);
      const { node } = createNode(config, { baseDir, logger: log });
      node.hooks.start.tap('cli', () => (node.client as unknown as NodeJS.EventEmitter).on('fatal', (err: TfgwError) => fail(err)));
      await runNode(node, log, 5000);
    });

  p.command('check')
    .description('validate a config and print the resolved plugins')
    .option('-c, --config <file>', 'config file')
    .exitOverride()
    .action(async (o) => {
      const found = await loadConfig(o.config ?? p.opts().config);
      const loaded = { ...found, config: withRoleDefaults(found.config, found.baseDir) };
      const { node, plugins } = createNode(loaded.config, { baseDir: loaded.baseDir });
      const roles = ['gateway', 'agent', 'client'].filter((r) => (loaded.config as Record<string, unknown>)[r]);
      process.stdout.write(`config: ${loaded.filepath}\nroles: ${roles.join(', ') || 'none'}\nplugins:\n`);
      for (const r of plugins) process.stdout.write(`  ${r.plugin.name.padEnd(20)} ${r.spec === r.plugin.name ? '' : `${r.spec} `}(${r.from})\n`);
      // Dependencies are checked without starting anything.
      const names = new Set(node.pluginNames());
      for (const r of plugins) for (const d of r.plugin.dependencies ?? []) if (!names.has(d)) throw new TfgwError(ErrorCodes.PLUGIN_DEPENDENCY, `plugin "${r.plugin.name}" needs plugin "${d}", which is not loaded`);
      process.stdout.write('ok\n');
    });
  return p;
}

async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
      process.exit(2);
    }
    fail(err);
  }
}

void main(process.argv);
