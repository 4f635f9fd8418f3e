import { spawnSync } from 'node:child_process';

/** Command -> Debian package that provides it. */
export const TOOL_PACKAGES: Record<string, string> = {
  iperf3: 'iperf3',
  socat: 'socat',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  wrk: 'wrk',
  nginx: 'nginx',
  dnsperf: 'dnsperf',
  named: 'bind9',
  'named-checkconf': 'bind9-utils',
  'named-checkzone': 'bind9-utils',
};

/** Absolute path of a command (sbin included: sshd, nginx and named live there), or undefined. */
export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin" command -v ${cmd}`], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : undefined;
}

/** The exact command that installs the packages for `tools`. */
export function installCommand(tools: string[]): string {
  const pkgs = [...new Set(tools.map((t) => TOOL_PACKAGES[t] ?? t))];
  return `apt-get install -y ${pkgs.join(' ')}`;
}

/**
 * Makes sure `tools` exist: installs missing ones with apt-get when running as root
 * (serialised with other installers through /tmp/apt.lock), otherwise prints the command.
 * Returns the tools still missing.
 */
export function ensureTools(tools: string[], allowInstall: boolean, log: (m: string) => void): string[] {
  const missing = [...new Set(tools)].filter((t) => !which(t));
  if (missing.length === 0) return [];
  const cmd = installCommand(missing);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (allowInstall && isRoot) {
    log(`installing missing tools: ${cmd}`);
    const r = spawnSync('flock', ['/tmp/apt.lock', 'sh', '-c', `DEBIAN_FRONTEND=noninteractive ${cmd} -q`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    });
    if (r.status !== 0) log(`apt-get failed (exit ${r.status}); try: apt-get update && ${cmd}`);
  } else {
    log(`missing tools: ${missing.join(', ')}; install them with: sudo ${cmd}`);
  }
  return missing.filter((t) => !which(t));
}
