import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const GOPATH_SYSTEM = '/usr/share/gocode';
const YAMUX_DIR = path.join(GOPATH_SYSTEM, 'src/github.com/hashicorp/yamux');

/**
 * Builds test/session/go/yamux-peer.go against Debian's hashicorp/yamux in GOPATH mode and
 * caches the binary under the OS temp dir, keyed by the sources, so reruns skip the build.
 */
export async function buildGoPeer(): Promise<string> {
  const src = fs.readFileSync(path.join(__dirname, 'go', 'yamux-peer.go'));
  const h = crypto.createHash('sha256').update(src);
  for (const f of fs.readdirSync(YAMUX_DIR).sort()) if (f.endsWith('.go')) h.update(f).update(fs.readFileSync(path.join(YAMUX_DIR, f)));
  const dir = path.join(os.tmpdir(), `tfgw-yamux-peer-${h.digest('hex').slice(0, 16)}`);
  const bin = path.join(dir, 'yamux-peer');
  if (fs.existsSync(bin)) return bin;
  const pkg = path.join(dir, 'src', 'yamuxpeer');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'main.go'), src);
  const tmp = `${bin}.${process.pid}.tmp`;
  await promisify(execFile)('go', ['build', '-o', tmp, '.'], {
    cwd: pkg,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: `${dir}:${GOPATH_SYSTEM}`,
      GOFLAGS: '-mod=mod',
      GOCACHE: process.env.GOCACHE ?? path.join(os.tmpdir(), 'tfgw-gocache'),
    },
  });
  fs.renameSync(tmp, bin); // atomic, so parallel jest workers never run a half-written binary
  return bin;
}

/** A running Go yamux peer; its stdout lines are the events tests wait for. */
export class GoPeer {
  private readonly lines: string[] = [];
  private readonly used = new Set<number>();
  private waiters: Array<() => void> = [];
  private stderr = '';
  private exited = false;

  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    let buf = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      this.wake();
    });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => (this.stderr += d));
    proc.stdin.on('error', () => undefined);
    proc.on('exit', () => {
      this.exited = true;
      this.wake();
    });
  }

  /** Starts the peer binary with `args`. */
  static start(bin: string, args: string[]): GoPeer {
    return new GoPeer(spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Sends one command line on stdin. */
  send(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }

  /** True if a line matching `re` was printed (and not yet consumed by {@link line}). */
  saw(re: RegExp): boolean {
    return this.lines.some((l, i) => !this.used.has(i) && re.test(l));
  }

  /** Resolves with the match of the first unconsumed line matching `re`, waiting for it if needed. */
  async line(re: RegExp): Promise<RegExpMatchArray> {
    for (;;) {
      for (let i = 0; i < this.lines.length; i++) {
        if (this.used.has(i)) continue;
        const m = this.lines[i].match(re);
        if (m) {
          this.used.add(i);
          return m;
        }
      }
      if (this.exited) throw new Error(`go peer exited before printing ${re}; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Closes its stdin (it closes its session and exits) and waits for the exit; kills it if it lingers. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
