/**
 * Many idle connections: opens COUNT connections (at most CONCURRENCY connecting at once);
 * after the first half prints `half {json}` and waits for `continue` on stdin (so the caller
 * can measure memory half-way), then prints `opened {json}`, then on stdin `check` sends one byte on every connection and
 * counts echoes (prints `checked {json}`); on stdin `close` (or end) exits.
 * Usage: node scale.js HOST PORT COUNT CONCURRENCY.
 */
import net from 'node:net';
import readline from 'node:readline';

const [host, port, count, concurrency] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5] ?? 200)];
const sockets: net.Socket[] = [];
let errors = 0;
let firstError: string | undefined;
let closedEarly = 0;

function openOne(): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    const t = setTimeout(() => {
      errors++;
      firstError ??= 'connect timeout';
      s.destroy();
      resolve();
    }, 15000);
    s.once('connect', () => {
      clearTimeout(t);
      sockets.push(s);
      resolve();
    });
    s.on('error', (e) => {
      clearTimeout(t);
      if (!sockets.includes(s)) {
        errors++;
        firstError ??= e.message;
        resolve();
      }
    });
    s.on('close', () => closedEarly++);
  });
}

/** Opens connections until `upTo` have been started, CONCURRENCY at a time. */
async function openUpTo(upTo: number, state: { next: number }): Promise<void> {
  const workers = Array.from({ length: concurrency }, async () => {
    while (state.next < upTo) {
      state.next++;
      await openOne();
    }
  });
  await Promise.all(workers);
}

async function open(): Promise<void> {
  const state = { next: 0 };
  let t0 = Date.now();
  await openUpTo(Math.floor(count / 2), state);
  const firstMs = Date.now() - t0;
  console.log('half ' + JSON.stringify({ open: sockets.length, errors, firstError, ms: firstMs }));
  await nextLine('continue');
  t0 = Date.now();
  await openUpTo(count, state);
  console.log('opened ' + JSON.stringify({ open: sockets.length, errors, firstError, ms: firstMs + Date.now() - t0 }));
}

const lines = readline.createInterface({ input: process.stdin });
const waiting = new Map<string, () => void>();
lines.on('line', (l) => {
  const cmd = l.trim();
  waiting.get(cmd)?.();
  if (cmd === 'check') void check();
  if (cmd === 'close') process.exit(0);
});
process.stdin.on('end', () => process.exit(0));

/** Resolves on the next stdin line `cmd`. */
function nextLine(cmd: string): Promise<void> {
  return new Promise((resolve) => waiting.set(cmd, resolve));
}

async function check(): Promise<void> {
  const t0 = Date.now();
  let ok = 0;
  const closedBefore = closedEarly;
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed) return resolve();
          const t = setTimeout(resolve, 30000);
          s.once('data', () => {
            ok++;
            clearTimeout(t);
            resolve();
          });
          s.write('x');
        }),
    ),
  );
  console.log('checked ' + JSON.stringify({ ok, of: count, closedBefore, ms: Date.now() - t0 }));
}

void open();
