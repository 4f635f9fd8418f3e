import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { which } from './debian-tools';

/** What the figures were measured on. */
export interface MachineInfo {
  cores: number;
  cpu: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  date: string;
  tools: Record<string, string>;
}

/** First line of a version command's output (stdout or stderr), or 'missing'. */
function version(cmd: string, args: string[], re?: RegExp): string {
  if (!which(cmd)) return 'missing';
  const r = spawnSync(which(cmd)!, args, { encoding: 'utf8', timeout: 5000 });
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const m = re ? out.match(re) : null;
  return (m ? m[1] : out.trim().split('\n')[0] ?? '').trim();
}

/** Collects cores, CPU model, memory, kernel, Node version, date and tool versions. */
export function machineInfo(): MachineInfo {
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    tools: {
      iperf3: version('iperf3', ['--version'], /iperf (\S+)/),
      socat: version('socat', ['-V'], /socat version (\S+)/),
      OpenSSH: version('ssh', ['-V'], /OpenSSH_([^\s,]+)/),
      wrk: version('wrk', ['-v'], /wrk (\S+)/),
      nginx: version('nginx', ['-v'], /nginx\/(\S+)/),
      dnsperf: version('dnsperf', ['-h'], /Version (\S+)/i),
      BIND: version('named', ['-v'], /BIND (\S+)/),
    },
  };
}

/** One-line summary for the console header. */
export function machineLine(m: MachineInfo): string {
  return `${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}, ${m.date}`;
}
