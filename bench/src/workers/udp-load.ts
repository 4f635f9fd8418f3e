/**
 * UDP load generator against an echo (directly or through a tunnel).
 * Usage: node udp-load.js HOST PORT SECONDS MODE [ARG]
 *  - MODE `window`: closed loop, ARG datagrams (default 32) in flight; a datagram not echoed
 *    within 250 ms counts as lost and is replaced. Reports echoed datagrams/s and loss %.
 *  - MODE `rate`: open loop at ARG datagrams/s (default 20000), paced every millisecond.
 *    Reports received/s and loss %.
 * Datagrams are 64 bytes carrying a sequence number. Prints one JSON line.
 */
import dgram from 'node:dgram';

const [host, port, seconds, mode] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const arg = Number(process.argv[6] ?? (mode === 'rate' ? 20000 : 32));
const SIZE = 64;
const LOST_AFTER_MS = 250;

const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
let sent = 0;
let received = 0;
let lost = 0;
let seq = 0;
/** seq -> send time (ms), for the window mode. */
const inflight = new Map<number, number>();
let running = true;

function datagram(n: number): Buffer {
  const b = Buffer.alloc(SIZE);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}
function sendOne(): void {
  const n = seq++;
  if (mode === 'window') inflight.set(n, Date.now());
  sent++;
  s.send(datagram(n), port, host);
}

s.on('error', (e) => {
  console.log(JSON.stringify({ error: e.message }));
  process.exit(1);
});
s.on('message', (msg) => {
  if (msg.length < 4) return;
  const n = msg.readUInt32BE(0);
  if (mode === 'window') {
    if (!inflight.delete(n)) return; // already declared lost
    received++;
    if (running) sendOne();
  } else {
    received++;
  }
});

s.bind(0, '127.0.0.1', () => {
  const t0 = Date.now();
  if (mode === 'window') {
    for (let i = 0; i < arg; i++) sendOne();
    const sweep = setInterval(() => {
      const now = Date.now();
      for (const [n, t] of inflight) {
        if (now - t < LOST_AFTER_MS) break; // Map keeps insertion order: the rest is younger
        inflight.delete(n);
        lost++;
        if (running) sendOne();
      }
    }, 50);
    setTimeout(() => {
      running = false;
      const elapsed = (Date.now() - t0) / 1000;
      // Give the last ones time to come back before counting them lost.
      setTimeout(() => {
        clearInterval(sweep);
        lost += inflight.size;
        console.log(JSON.stringify({ mode, sent, received, lost, perSecond: received / elapsed, lossPct: (lost / Math.max(1, sent)) * 100 }));
        process.exit(0);
      }, LOST_AFTER_MS + 100);
    }, seconds * 1000);
  } else {
    let due = 0;
    const tick = setInterval(() => {
      // Pace by elapsed time, not by timer count: timers drift under load.
      const should = Math.floor(((Date.now() - t0) / 1000) * arg);
      due = should - sent;
      for (let i = 0; i < due; i++) sendOne();
    }, 1);
    setTimeout(() => {
      clearInterval(tick);
      const elapsed = (Date.now() - t0) / 1000;
      setTimeout(() => {
        console.log(JSON.stringify({ mode, sent, received, offeredPerSecond: sent / elapsed, perSecond: received / elapsed, lossPct: ((sent - received) / Math.max(1, sent)) * 100 }));
        process.exit(0);
      }, 500);
    }, seconds * 1000);
  }
});
