import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/** Options for {@link startProcess}. */
export interface StartOptions {
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv;
  /** Working directory. */
  cwd?: string;
  /** Raise the open-file limit of the child to this value (via a `bash -c ulimit` wrapper). */
  fdLimit?: number;
  /** Append the child's stdout and stderr to this file (for post-mortems). */
  logFile?: string;
  /** Keep stdin open as a pipe (workers that take commands). */
  stdin?: boolean;
}

/** A child process the bench started; always ended by its PID through {@link Proc.stop} or the exit handler. */
export interface Proc {
  /** Short name used in logs and error messages. */
  readonly name: string;
  /** PID of the child (also its process-group id: children are started in their own group). */
  readonly pid: number;
  /** The Node child-process handle. */
  readonly child: ChildProcess;
  /** Every stdout/stderr line so far (bounded to the last 2000). */
  readonly lines: string[];
  /** The full command line, for the report. */
  readonly commandLine: string;
  /** Exit code once exited, `undefined` while running. */
  exitCode(): number | null | undefined;
  /** Resolves with the first line (past or future) matching `re`; rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited, with its exit code (or null when killed by a signal). */
  exited(): Promise<number | null>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Live children, so that any way out of the bench (error, Ctrl-C, exit) ends them. */
const live = new Map<number, Proc>();
let handlersInstalled = false;

/** Kill one process group by its id, falling back to the single PID (both may be gone already). */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Installs the exit / signal handlers once: the last line of defence against leaked children. */
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only thing that surely works here.
  process.on('exit', () => {
    for (const p of live.values()) killGroup(p.pid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`\n[bench] ${sig}: stopping ${live.size} child process(es)`);
      for (const p of live.values()) killGroup(p.pid, 'SIGKILL');
      process.exit(130);
    });
  }
}

/** Quote one argument for display (and for `bash -c`). */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * Starts `cmd args` in its own process group (so the whole tree - sshd sessions, socat
 * forks, nginx workers - ends with one kill by its id) and registers it for cleanup.
 */
export function startProcess(name: string, cmd: string, args: string[], opts: StartOptions = {}): Proc {
  installHandlers();
  const commandLine = [cmd, ...args].map(shellQuote).join(' ');
  let file = cmd;
  let argv = args;
  if (opts.fdLimit) {
    // `ulimit -n N` raises soft and hard limits as root; otherwise fall back to the hard limit.
    const script = `ulimit -n ${opts.fdLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
    file = 'bash';
    argv = ['-c', script, 'bash', cmd, ...args];
  }
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${commandLine})`);
  const pid = child.pid;
  const lines: string[] = [];
  const log = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  log?.on('error', () => undefined);
  log?.write(`$ ${commandLine}\n`);
  let logOpen = Boolean(log);
  const waiters = new Set<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }>();
  let code: number | null | undefined;
  let exitResolve!: (c: number | null) => void;
  const exitPromise = new Promise<number | null>((r) => (exitResolve = r));
  const onLine = (line: string): void => {
    lines.push(line);
    if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    if (logOpen) log?.write(line + '\n');
    for (const w of waiters) {
      const m = line.match(w.re);
      if (m) {
        waiters.delete(w);
        w.resolve(m);
      }
    }
  };
  readline.createInterface({ input: child.stdout! }).on('line', onLine);
  readline.createInterface({ input: child.stderr! }).on('line', onLine);
  child.on('error', (err) => onLine(`[bench] spawn error: ${err.message}`));
  child.on('exit', (c, sig) => {
    code = c ?? (sig ? null : c);
    live.delete(pid);
    // Children of the group (e.g. sshd session processes) may outlive the leader: end them too.
    killGroup(pid, 'SIGKILL');
    // Let readline flush the last lines before waiters give up.
    setImmediate(() => {
      if (logOpen) log?.end(`[exit ${c ?? sig}]\n`);
      logOpen = false;
      exitResolve(c);
    });
  });
  const proc: Proc = {
    name,
    pid,
    child,
    lines,
    commandLine,
    exitCode: () => code,
    exited: () => exitPromise,
    waitFor(re, timeoutMs = 20000) {
      for (const l of lines) {
        const m = l.match(re);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const w = {
          re,
          resolve: (m: RegExpMatchArray) => {
            clearTimeout(t);
            resolve(m);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${name}: no line matching ${re} within ${timeoutMs} ms; last output:\n${tail(lines)}`));
        }, timeoutMs);
        waiters.add(w);
        void exitPromise.then((c) => {
          if (!waiters.has(w)) return;
          waiters.delete(w);
          clearTimeout(t);
          reject(new Error(`${name} exited (${c}) before printing ${re}; last output:\n${tail(lines)}`));
        });
      });
    },
    async stop(graceMs = 3000) {
      if (code !== undefined) return;
      killGroup(pid, 'SIGTERM');
      const t = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exitPromise;
      clearTimeout(t);
    },
  };
  live.set(pid, proc);
  return proc;
}

/** The last `n` lines, indented, for error messages. */
export function tail(lines: readonly string[], n = 15): string {
  return lines
    .slice(-n)
    .map((l) => '    ' + l)
    .join('\n');
}

/**
 * A group of processes owned by one scenario: everything started through it is stopped by
 * {@link Scope.close}, which scenarios call in a `finally`.
 */
export class Scope {
  private readonly procs: Proc[] = [];
  private readonly closers: Array<() => Promise<void> | void> = [];

  /** @param logDir folder for per-process log files */
  constructor(readonly logDir: string) {
    fs.mkdirSync(logDir, { recursive: true });
  }

  /** Starts a process owned by this scope; its output goes to `<logDir>/<name>.log`. */
  start(name: string, cmd: string, args: string[], opts: StartOptions = {}): Proc {
    const p = startProcess(name, cmd, args, { logFile: path.join(this.logDir, `${name.replace(/[^\w.-]+/g, '_')}.log`), ...opts });
    this.procs.push(p);
    return p;
  }

  /** Registers a cleanup callback (temp servers, sockets) run by {@link Scope.close}. */
  defer(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  /** Stops every process of the scope (newest first, so clients go before their servers). */
  async close(graceMs = 3000): Promise<void> {
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch {
        /* cleanup is best effort */
      }
    }
    await Promise.all(this.procs.reverse().map((p) => p.stop(graceMs)));
  }
}

/**
 * Runs a command to completion with a hard time bound; returns its output.
 * The child is registered like every other, so Ctrl-C ends it too.
 */
export async function runToEnd(
  name: string,
  cmd: string,
  args: string[],
  timeoutMs: number,
  opts: StartOptions = {},
): Promise<{ code: number | null; stdout: string; lines: string[]; commandLine: string }> {
  const p = startProcess(name, cmd, args, opts);
  let stdout = '';
  p.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const t = setTimeout(() => void p.stop(1000), timeoutMs);
  const code = await p.exited();
  clearTimeout(t);
  return { code, stdout, lines: p.lines, commandLine: p.commandLine };
}

/**
 * Waits for `ready` (e.g. a port accepting connections) unless `p` exits first, in which
 * case it rejects with the process's last output. Neither loser is left as an unhandled
 * rejection.
 */
export async function whileAlive<T>(p: Proc, ready: Promise<T>, what = 'ready'): Promise<T> {
  let settled = false;
  ready.catch(() => undefined);
  const died = p.exited().then((c) => {
    if (settled) return undefined as never;
    throw new Error(`${p.name} exited (${c}) before ${what}; last output:\n${tail(p.lines, 10)}`);
  });
  died.catch(() => undefined);
  try {
    return await Promise.race([ready, died]);
  } finally {
    settled = true;
  }
}
