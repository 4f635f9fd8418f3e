import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { whileAlive, type Proc, type Scope } from '../procs';
import { freePort, waitForPort } from '../ports';
import { which } from '../debian-tools';

/** The cipher both ends use: AES-GCM is what OpenSSH picks on CPUs with AES-NI and the fastest it has. */
export const SSH_CIPHER = 'aes128-gcm@openssh.com';

/**
 * A throwaway OpenSSH server on a high loopback port: its own host key, user key,
 * authorized_keys and sshd_config in a temp dir. Used by the `ssh -R` (reverse tunnel,
 * what people use instead of tfgw's agent) and `ssh -L` (instead of tfgw's client) rivals.
 */
export class Sshd {
  private constructor(
    /** The sshd process (its session children are in its process group). */
    readonly proc: Proc,
    /** Port sshd listens on. */
    readonly port: number,
    /** Private key of the throwaway user key. */
    readonly userKey: string,
    /** Login name (the user running the bench: sshd can only log in as itself unless root). */
    readonly user: string,
  ) {}

  /** Writes keys and config into `dir/ssh` and starts `sshd -D -e -f <config>`. */
  static async start(scope: Scope, dir: string, fdLimit?: number): Promise<Sshd> {
    const d = path.join(dir, 'ssh');
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    const hostKey = path.join(d, 'host_ed25519');
    const userKey = path.join(d, 'user_ed25519');
    for (const k of [hostKey, userKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tfgw-bench', '-f', k]);
    fs.copyFileSync(`${userKey}.pub`, path.join(d, 'authorized_keys'));
    const port = await freePort();
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(d, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(d, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `Ciphers ${SSH_CIPHER}`,
      'AllowTcpForwarding yes',
      'GatewayPorts no',
      'PermitTTY no',
      'X11Forwarding no',
      'UseDNS no',
      'MaxStartups 100:30:200',
      'LogLevel ERROR',
      '',
    ].join('\n');
    const configFile = path.join(d, 'sshd_config');
    fs.writeFileSync(configFile, config);
    // As root, sshd insists on its privilege-separation directory.
    if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const sshd = which('sshd') ?? '/usr/sbin/sshd';
    const proc = scope.start('sshd', sshd, ['-D', '-e', '-f', configFile], { fdLimit });
    await whileAlive(proc, waitForPort(port, 10000), 'listening');
    return new Sshd(proc, port, userKey, os.userInfo().username);
  }

  /** Common client arguments: no user config, throwaway key, no host-key prompts, same cipher. */
  private clientArgs(): string[] {
    return [
      '-N',
      '-F', '/dev/null',
      '-i', this.userKey,
      '-o', 'IdentitiesOnly=yes',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'ExitOnForwardFailure=yes',
      '-o', `Ciphers=${SSH_CIPHER}`,
      '-o', 'LogLevel=ERROR',
      '-p', String(this.port),
    ];
  }

  /**
   * `ssh -N -R 127.0.0.1:PUBLIC:127.0.0.1:TARGET`: sshd listens on PUBLIC and carries each
   * connection to the ssh client, which dials TARGET - the same shape as gateway -> agent.
   */
  async reverse(scope: Scope, publicPort: number, targetPort: number, fdLimit?: number): Promise<Proc> {
    const p = scope.start(`ssh-R-${publicPort}`, 'ssh', [...this.clientArgs(), '-R', `127.0.0.1:${publicPort}:127.0.0.1:${targetPort}`, `${this.user}@127.0.0.1`], { fdLimit });
    await whileAlive(p, waitForPort(publicPort, 15000), 'the -R port listened');
    return p;
  }

  /** `ssh -N -L 127.0.0.1:LOCAL:127.0.0.1:TARGET ...` (one client, one -L per pair): the client-side forward rival. */
  async forward(scope: Scope, pairs: Array<{ local: number; target: number }>): Promise<Proc> {
    const fwd = pairs.flatMap((x) => ['-L', `127.0.0.1:${x.local}:127.0.0.1:${x.target}`]);
    const p = scope.start(`ssh-L-${pairs[0].local}`, 'ssh', [...this.clientArgs(), ...fwd, `${this.user}@127.0.0.1`]);
    const ready = Promise.all(pairs.map((x) => waitForPort(x.local, 15000)));
    await whileAlive(p, ready, 'the -L ports listened');
    return p;
  }
}
