import { runToEnd } from '../procs';

/** Result of one dnsperf run. */
export interface DnsperfResult {
  qps: number;
  /** Mean latency, ms. */
  avgMs: number;
  /** Lost queries in %. */
  lostPct: number;
  /** Queries answered. */
  completed: number;
}

/** `dnsperf -s 127.0.0.1 -p PORT -d QUERYFILE -l SECONDS`: queries/s against one server. */
export async function dnsperf(port: number, queryFile: string, seconds: number, commands: string[]): Promise<DnsperfResult> {
  // -c 4 clients (source ports) and -q 100 outstanding: enough to saturate one core on loopback.
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds), '-c', '4', '-q', '100', '-t', '2'];
  const r = await runToEnd('dnsperf', 'dnsperf', args, (seconds + 20) * 1000);
  commands.push(`dnsperf ${args.join(' ').replace(queryFile, '<tmp>/queries.txt')}`);
  const out = r.stdout;
  const qps = Number(out.match(/Queries per second:\s+([\d.]+)/)?.[1]);
  const avg = Number(out.match(/Average Latency \(s\):\s+([\d.]+)/)?.[1]) * 1000;
  const sent = Number(out.match(/Queries sent:\s+(\d+)/)?.[1] ?? 0);
  const lost = Number(out.match(/Queries lost:\s+(\d+)/)?.[1] ?? 0);
  const completed = Number(out.match(/Queries completed:\s+(\d+)/)?.[1] ?? 0);
  if (!Number.isFinite(qps) || completed === 0) throw new Error(`dnsperf completed no queries (exit ${r.code}): ${r.lines.slice(-4).join(' | ')}`);
  const noerror = out.match(/Response codes:\s+NOERROR (\d+)/);
  if (!noerror || Number(noerror[1]) < completed / 2) throw new Error(`dnsperf: most answers are not NOERROR (${out.match(/Response codes:.*$/m)?.[0] ?? 'no response codes'})`);
  return { qps, avgMs: avg, lostPct: sent ? (lost / sent) * 100 : 0, completed };
}
