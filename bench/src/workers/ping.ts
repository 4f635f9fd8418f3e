/**
 * Sequential ping-pong latency client: one connection, COUNT round trips of SIZE bytes,
 * each sent only after the previous echo fully came back.
 * Usage: node ping.js HOST PORT COUNT SIZE. Prints one JSON line with microseconds.
 */
import net from 'node:net';
import { quantileSorted } from '../stats';

const [host, port, count, size] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5] ?? 64)];
// Warm-up round trips (not counted): through a tunnel the first one also dials the target.
const WARMUP = Math.min(200, Math.max(20, Math.floor(count / 20)));
const payload = Buffer.alloc(size, 0x61);
const samples = new Float64Array(count);

const s = net.connect(port, host);
s.setNoDelay(true);
const timer = setTimeout(() => fail('timed out'), 120_000);
function fail(msg: string): never {
  console.log(JSON.stringify({ error: msg }));
  process.exit(1);
}
s.on('error', (e) => fail(e.message));
s.on('close', () => fail('connection closed early'));
s.on('connect', () => {
  let i = -WARMUP;
  let got = 0;
  let t0 = process.hrtime.bigint();
  const send = (): void => {
    got = 0;
    t0 = process.hrtime.bigint();
    s.write(payload);
  };
  s.on('data', (d: Buffer) => {
    got += d.length;
    if (got < size) return;
    if (got > size) fail(`echo returned ${got} bytes for ${size}`);
    if (i >= 0) samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
    i++;
    if (i < count) return send();
    clearTimeout(timer);
    const sorted = Float64Array.from(samples).sort();
    const mean = sorted.reduce((a, b) => a + b, 0) / count;
    console.log(JSON.stringify({ count, total: count + WARMUP, p50: quantileSorted(sorted, 0.5), p99: quantileSorted(sorted, 0.99), p999: quantileSorted(sorted, 0.999), mean }));
    s.removeAllListeners('close');
    s.destroy();
    process.exit(0);
  });
  send();
});
