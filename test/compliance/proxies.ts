import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/net';

/**
 * Real upstream proxies for tests, from Debian packages: `microsocks` (SOCKS5) and
 * `tinyproxy` (HTTP CONNECT). Both dial targets from 127.0.0.2, so a target that sees a
 * peer address of 127.0.0.2 knows the connection went through the proxy.
 */
export interface RunningProxy {
  /** Proxy URL with credentials, e.g. `socks5://user:pass@127.0.0.1:1080`. */
  url: string;
  /** Proxy URL without credentials. */
  bareUrl: string;
  /** Output lines of the proxy process. */
  lines: string[];
  /** Stops the process and removes its files. */
  stop(): Promise<void>;
}

/** Source address the proxies use for outgoing connections. */
export const PROXY_OUTGOING_ADDRESS = '127.0.0.2';

function collect(child: ChildProcess, lines: string[]): void {
  const onData = (b: Buffer): void => void lines.push(...b.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
}

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    cleanup();
  };
}

/** microsocks prints nothing when ready, so this retries connecting (bounded) until it accepts. */
async function waitAccepting(port: number, child: ChildProcess, lines: string[]): Promise<void> {
  for (let attempt = 0; attempt < 250; attempt++) {
    if (child.exitCode !== null) throw new Error(`proxy exited with ${child.exitCode}: ${lines.join('\n')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`proxy on port ${port} never accepted: ${lines.join('\n')}`);
}

/** Starts `microsocks` on 127.0.0.1 with username/password auth. */
export async function startMicrosocks(user = 'user', pass = 'p@ss word'): Promise<RunningProxy> {
  const port = await freePort();
  const child = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(port), '-u', user, '-P', pass, '-b', PROXY_OUTGOING_ADDRESS], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  collect(child, lines);
  await waitAccepting(port, child, lines);
  return {
    url: `socks5://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    bareUrl: `socks5://127.0.0.1:${port}`,
    lines,
    stop: stopper(child, () => undefined),
  };
}

/** Starts `tinyproxy` in the foreground on 127.0.0.1 with Basic auth, any CONNECT port allowed. */
export async function startTinyproxy(user = 'user', pass = 'secret'): Promise<RunningProxy> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-tinyproxy-'));
  const conf = path.join(dir, 'tinyproxy.conf');
  fs.writeFileSync(
    conf,
    [`Port ${port}`, 'Listen 127.0.0.1', `Bind ${PROXY_OUTGOING_ADDRESS}`, 'Timeout 60', 'MaxClients 1000', 'Allow 127.0.0.1', `BasicAuth ${user} ${pass}`, 'LogLevel Info', 'DisableViaHeader Yes', ''].join('\n'),
  );
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      lines.push(...b.toString().split('\n').filter(Boolean));
      if (lines.some((l) => l.includes('Accepting connections'))) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`tinyproxy exited with ${code}: ${lines.join('\n')}`)));
  });
  return {
    url: `http://${user}:${pass}@127.0.0.1:${port}`,
    bareUrl: `http://127.0.0.1:${port}`,
    lines,
    stop: stopper(child, () => fs.rmSync(dir, { recursive: true, force: true })),
  };
}
