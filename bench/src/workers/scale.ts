/**
 * Many idle connections: opens COUNT connections (at most CONCURRENCY connecting at once),
 * prints `opened {json}`, then on stdin `check` sends one byte on every connection and
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

async function open(): Promise<void> {
  const t0 = Date.now();
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      await openOne();
    }
  });
  await Promise.all(workers);
  console.log('opened ' + JSON.stringify({ open: sockets.length, errors, firstError, ms: Date.now() - t0 }));
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

void open().then(() => {
  readline.createInterface({ input: process.stdin }).on('line', (l) => {
    if (l.trim() === 'check') void check();
    if (l.trim() === 'close') process.exit(0);
  });
  process.stdin.on('end', () => process.exit(0));
});
