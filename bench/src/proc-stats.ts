import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second of /proc/<pid>/stat times (almost always 100). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat we need; `comm` may contain spaces and parentheses, so split after the last ')'. */
function readStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // After comm: [0]=state [1]=ppid ... [11]=utime [12]=stime [13]=cutime [14]=cstime
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

/** `pid` and all its descendants (sshd session processes, socat forks, nginx workers). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * CPU seconds used so far by `pid` and its descendants, including reaped children
 * (cutime/cstime), so per-connection forks that already ended still count.
 */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) ticks += readStat(p)?.ticks ?? 0;
  return ticks / CLK_TCK;
}

/** Each thread of `pid`: its id, name (`comm`) and CPU ticks so far; empty when the process is gone. */
function threadTicks(pid: number): Array<{ tid: number; name: string; ticks: number }> {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: Array<{ tid: number; name: string; ticks: number }> = [];
  for (const tid of tasks) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.push({ tid: Number(tid), name: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * CPU seconds used so far by the threads of `pid` whose name (`comm`) is `thread`, e.g.
 * `tokio-rt-worker` for the QUIC library's runtime; 0 when the process is gone.
 */
export function threadCpuSeconds(pid: number, thread: string): number {
  return threadTicks(pid).reduce((sum, t) => sum + (t.name === thread ? t.ticks : 0), 0) / CLK_TCK;
}

/**
 * CPU seconds used so far by `pid`'s main thread, by its threads named `library` and by the
 * rest (V8's helpers, libuv's pool); all 0 when the process is gone.
 */
export function cpuSecondsByThreadKind(pid: number, library: string): { main: number; library: number; other: number } {
  const out = { main: 0, library: 0, other: 0 };
  for (const t of threadTicks(pid)) out[t.tid === pid ? 'main' : t.name === library ? 'library' : 'other'] += t.ticks / CLK_TCK;
  return out;
}

/** Resident set size of `pid` alone, in bytes (VmRSS of /proc/<pid>/status), or NaN when gone. */
export function rssBytes(pid: number): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Sum of VmRSS over `pid` and its descendants (nginx workers, sshd sessions). */
export function treeRssBytes(pid: number): number {
  return processTree(pid).reduce((s, p) => s + (rssBytes(p) || 0), 0);
}

/** A CPU meter over a set of named processes: start, then read % of one core per name. */
export class CpuMeter {
  private readonly start: Map<string, number>;
  private readonly t0 = process.hrtime.bigint();

  /** @param procs role name -> pid (e.g. `{ gateway: 123, agent: 456 }`) */
  constructor(private readonly procs: Record<string, number>) {
    this.start = new Map(Object.entries(procs).map(([k, pid]) => [k, cpuSeconds(pid)]));
  }

  /**
   * CPU used per role since construction: as a percentage of one core (`pct`) and in
   * seconds summed over all roles (`totalSeconds`, for the cost per unit of work).
   */
  read(): { pct: Record<string, number>; totalSeconds: number } {
    const wall = Number(process.hrtime.bigint() - this.t0) / 1e9;
    const pct: Record<string, number> = {};
    let totalSeconds = 0;
    for (const [k, pid] of Object.entries(this.procs)) {
      const used = cpuSeconds(pid) - this.start.get(k)!;
      totalSeconds += used;
      pct[k] = wall > 0 ? (used / wall) * 100 : NaN;
    }
    return { pct, totalSeconds };
  }
}
