import { runToEnd } from '../procs';

/** Parses `1.23ms` / `456.00us` / `1.02s` into milliseconds. */
function toMs(v: string): number {
  const m = v.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!m) return NaN;
  const x = Number(m[1]);
  return m[2] === 'us' ? x / 1000 : m[2] === 'ms' ? x : m[2] === 's' ? x * 1000 : x * 60000;
}

/** Result of one wrk run. */
export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors + non-2xx/3xx responses. */
  errors: number;
  /** Requests completed. */
  requests: number;
}

/**
 * `wrk -t2 -c50 -d<seconds>s --latency` (keep-alive HTTP/1.1) against `url`, optionally
 * with a Host header (for the tfgw ingress); requests/s and latency percentiles.
 */
export async function wrk(url: string, seconds: number, commands: string[], host?: string, connections = 50): Promise<WrkResult> {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', ...(host ? ['-H', `Host: ${host}`] : []), url];
  const r = await runToEnd('wrk', 'wrk', args, (seconds + 20) * 1000);
  commands.push(`wrk ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
  const out = r.stdout;
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const p50 = toMs(out.match(/^\s+50%\s+(\S+)/m)?.[1] ?? '');
  const p99 = toMs(out.match(/^\s+99%\s+(\S+)/m)?.[1] ?? '');
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const errors = (sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0) + non2xx;
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no Requests/sec (exit ${r.code}): ${r.lines.slice(-4).join(' | ')}`);
  const total = Number(out.match(/(\d+) requests in/)?.[1] ?? 0);
  if (total > 0 && errors > total / 2) throw new Error(`wrk: ${errors} errors for ${total} requests (path broken?)`);
  return { rps, p50Ms: p50, p99Ms: p99, errors, requests: total };
}
