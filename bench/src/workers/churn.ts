/**
 * Connection churn: CONCURRENCY loops, each: connect, send 1 byte, wait for the echo, close.
 * Counts completed connections for SECONDS. Usage: node churn.js HOST PORT SECONDS CONCURRENCY.
 * Prints one JSON line: completed per second and errors.
 */
import net from 'node:net';

const [host, port, seconds, concurrency] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5] ?? 8)];
let done = 0;
let errors = 0;
let firstError: string | undefined;
let running = true;
const one = Buffer.from('x');

function loop(): void {
  if (!running) return;
  const s = net.connect(port, host);
  let finished = false;
  const finish = (ok: boolean, err?: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(t);
    if (ok) done++;
    else {
      errors++;
      firstError ??= err;
    }
    s.destroy();
    // Next connection on the next tick, so a failing path cannot spin synchronously.
    setImmediate(loop);
  };
  const t = setTimeout(() => finish(false, 'timeout'), 5000);
  s.setNoDelay(true);
  s.on('connect', () => s.write(one));
  s.on('data', () => finish(true));
  s.on('error', (e) => finish(false, e.message));
  s.on('close', () => finish(false, 'closed before echo'));
}

const t0 = Date.now();
for (let i = 0; i < concurrency; i++) loop();
setTimeout(() => {
  running = false;
  const elapsed = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ done, errors, firstError, perSecond: done / elapsed }));
  process.exit(0);
}, seconds * 1000);
