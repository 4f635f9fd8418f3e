import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/** Path to the built CLI. */
export const CLI = path.resolve(__dirname, '../../core/dist/cli.js');

/** A running `tfgw` process with its output lines collected. */
export interface CliProcess {
  /** The child process. */
  child: ChildProcess;
  /** All stdout + stderr lines so far. */
  lines: string[];
  /** Resolves with the first line (from line `fromLine` on) matching `re`; rejects if the process exits first or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number, fromLine?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has exited on its own. */
  exited: Promise<number | null>;
  /** Send a signal and wait for exit; SIGKILL after `graceMs`. Returns the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Spawns `node core/dist/cli.js ...args`; logs are JSON (not a TTY). Always `stop()` it in afterEach/afterAll. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? path.resolve(__dirname, '../..'),
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  let exited = false;
  const exitWaiters: Array<(e: Error) => void> = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const m = line.match(waiters[i].re);
      if (m) {
        waiters[i].resolve(m);
        waiters.splice(i, 1);
      }
    }
  };
  readline.createInterface({ input: child.stdout! }).on('line', onLine);
  readline.createInterface({ input: child.stderr! }).on('line', onLine);
  const exitPromise = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      exited = true;
      for (const w of exitWaiters) w(new Error(`tfgw exited with ${code} before the expected line; output:\n${lines.join('\n')}`));
      resolve(code);
    });
  });
  return {
    child,
    lines,
    exited: exitPromise,
    waitFor(re, timeoutMs = 20000, fromLine = 0) {
      for (const l of lines.slice(fromLine)) {
        const m = l.match(re);
        if (m) return Promise.resolve(m);
      }
      if (exited) return Promise.reject(new Error(`tfgw already exited; output:\n${lines.join('\n')}`));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${lines.join('\n')}`)), timeoutMs);
        const w = { re, resolve: (m: RegExpMatchArray) => { clearTimeout(t); resolve(m); } };
        waiters.push(w);
        exitWaiters.push((e) => { clearTimeout(t); reject(e); });
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 8000) {
      if (exited) return child.exitCode;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exitPromise;
      clearTimeout(t);
      return code;
    },
  };
}
