import { runToEnd, whileAlive, type Proc, type Scope } from '../procs';
import { freePort, waitForPort } from '../ports';

/** Starts an iperf3 server on a fresh loopback port; returns the process and port. */
export async function startIperfServer(scope: Scope, label: string): Promise<{ proc: Proc; port: number }> {
  const port = await freePort();
  const proc = scope.start(`iperf3-server-${label}`, 'iperf3', ['-s', '-B', '127.0.0.1', '-p', String(port)]);
  await whileAlive(proc, waitForPort(port, 10000), 'listening');
  return { proc, port };
}

/**
 * One iperf3 client run (`-J` for parseable output) of `seconds` after a 1 s warm-up that
 * is left out of the figures (`-O 1`: TCP slow start and tunnel window growth); returns
 * Gbit/s as received by the server, and the bytes sent in the whole run, warm-up included
 * (the CPU meter covers the whole run too).
 */
export async function iperf(port: number, seconds: number, streams: number, commands: string[]): Promise<{ gbps: number; bytes: number }> {
  const args = ['-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-O', '1', '-P', String(streams), '-J', '--connect-timeout', '5000'];
  const r = await runToEnd('iperf3-client', 'iperf3', args, (seconds + 25) * 1000);
  commands.push(`iperf3 ${args.join(' ')}`);
  let j: { error?: string; end?: { sum_received?: { bits_per_second?: number } }; intervals?: Array<{ sum?: { bytes?: number } }> };
  try {
    j = JSON.parse(r.stdout);
  } catch {
    throw new Error(`iperf3 gave no JSON (exit ${r.code}): ${r.lines.slice(-3).join(' | ')}`);
  }
  if (j.error) throw new Error(`iperf3: ${j.error}`);
  const bps = j.end?.sum_received?.bits_per_second;
  if (!bps) throw new Error('iperf3 reported no received bytes');
  const bytes = (j.intervals ?? []).reduce((s, i) => s + (i.sum?.bytes ?? 0), 0);
  return { gbps: bps / 1e9, bytes };
}
