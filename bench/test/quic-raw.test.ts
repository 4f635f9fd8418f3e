import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';

/** The built worker (npm test builds first), as the bench and quic-raw-cost.js run it. */
const WORKER = path.resolve(__dirname, '../dist/workers/quic-raw.js');
const CHUNK = 128 * 1024;

/** The first stdout line of `child` matching `re`. */
function lineOf(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      const m = re.exec(l);
      if (m) {
        rl.close();
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

/** The `quic raw` worker pair (the real QUIC library, listener and dialer) and its `tput` pacing. */
describe('quic-raw worker', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill();
        await once(c, 'exit');
      }
    }
  });

  it('tput with MBPS never sends ahead of that rate', async () => {
    const listener = spawn(process.execPath, [WORKER, 'listen'], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(listener);
    const [, port] = await lineOf(listener, /^listening (\d+)$/);
    const dialer = spawn(process.execPath, [WORKER, 'dial', port], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(dialer);
    await lineOf(dialer, /^connected$/);

    const mbps = 16;
    const started = process.hrtime.bigint();
    const result = lineOf(listener, /^result 1 (.*)$/);
    listener.stdin!.write(`tput 1 1 2 ${mbps}\n`);
    const r = JSON.parse((await result)[1]) as { bytes: number; error?: string };
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(r.error).toBeUndefined();
    expect(r.bytes).toBeGreaterThan(0);
    // Paced, the bytes stay within the rate over however long the run took, plus the chunk
    // each stream may have in flight; unpaced, loopback carries hundreds of MB in that time.
    expect(r.bytes).toBeLessThanOrEqual((mbps * 1e6 * seconds) / 8 + 2 * CHUNK);
  });
});
