import path from 'node:path';
import type { Proc, Scope } from './procs';
import { runToEnd } from './procs';

/** Absolute path of a compiled worker script (bench/dist/workers/NAME.js). */
export function workerPath(name: string): string {
  return path.join(__dirname, 'workers', `${name}.js`);
}

/** Node flags for workers: none by default; kept in one place so every worker runs alike. */
const NODE = process.execPath;

/** Starts a server worker (`echo-server`, `http-origin`, `udp-echo`, `relay`) and waits for `listening`. */
export async function startWorkerServer(scope: Scope, name: string, label: string, args: Array<string | number>, fdLimit?: number): Promise<Proc> {
  const p = scope.start(label, NODE, [workerPath(name), ...args.map(String)], { fdLimit });
  await p.waitFor(/^listening /, 15000);
  return p;
}

/**
 * Runs a client worker (`ping`, `udp-load`, `churn`) to completion and parses the JSON
 * line it prints; throws with its output when it fails or reports an error.
 */
export async function runWorkerJson<T>(name: string, args: Array<string | number>, timeoutMs: number, commands?: string[]): Promise<T> {
  const r = await runToEnd(name, NODE, [workerPath(name), ...args.map(String)], timeoutMs);
  commands?.push(`node bench/dist/workers/${name}.js ${args.join(' ')}`);
  const line = r.lines.filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${name} printed no result (exit ${r.code}): ${r.lines.slice(-5).join(' | ')}`);
  const out = JSON.parse(line) as T & { error?: string };
  if (out.error) throw new Error(`${name}: ${out.error}`);
  return out;
}
