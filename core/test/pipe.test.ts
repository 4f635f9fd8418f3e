import { once } from 'node:events';
import net from 'node:net';
import { splice, startSplice, type SpliceResult } from '@tfgw/core';
import { pattern, sha256 } from './session/helpers';

/** A connected pair of loopback sockets, both allowing half-open (as the tunnel's sockets do). */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const srv = net.createServer({ allowHalfOpen: true });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const accepted = once(srv, 'connection') as Promise<[net.Socket]>;
  const a = net.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  await once(a, 'connect');
  const [b] = await accepted;
  srv.close();
  return [a, b];
}

/** Two socket pairs spliced in the middle: left <-> [l2 | r1] <-> right. */
async function spliced() {
  const [left, l2] = await socketPair();
  const [r1, right] = await socketPair();
  for (const s of [left, l2, r1, right]) s.on('error', () => undefined);
  const done = splice(l2, r1);
  return { left, right, l2, r1, done };
}

function readAll(s: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(d));
  return once(s, 'end').then(() => Buffer.concat(parts));
}

describe('splice', () => {
  it('carries both directions with half-close and counts the bytes', async () => {
    const { left, right, done } = await spliced();
    const up = pattern(3 * 1024 * 1024 + 5, 1);
    const down = pattern(1024 * 1024 + 9, 2);
    const gotRight = readAll(right);
    const gotLeft = readAll(left);
    left.end(up);
    // the other direction goes on after the first FIN
    expect(sha256(await gotRight)).toBe(sha256(up));
    right.end(down);
    expect(sha256(await gotLeft)).toBe(sha256(down));
    left.destroy();
    right.destroy();
    const res = await done;
    expect(res).toEqual({ aToB: up.length, bToA: down.length });
  });

  it('a slow reader holds the writer back (backpressure), then everything arrives', async () => {
    const { left, right, r1, done } = await spliced();
    right.pause();
    const data = pattern(8 * 1024 * 1024, 3);
    left.end(data);
    await new Promise((r) => setTimeout(r, 200));
    // far less than the 8 MiB is buffered in the middle while the reader is paused
    expect(r1.writableLength).toBeLessThan(4 * 1024 * 1024);
    const got = readAll(right);
    right.resume();
    expect(sha256(await got)).toBe(sha256(data));
    right.destroy();
    expect((await done).aToB).toBe(data.length);
  });

  it('a reset on one side destroys the other and resolves', async () => {
    const { left, right, done } = await spliced();
    left.write('x');
    await once(right, 'data');
    const rightEnded = once(right, 'end');
    right.resume();
    left.resetAndDestroy();
    const res = await done;
    await rightEnded;
    expect(res.aToB).toBe(1);
  });

  it('data that arrived before the splice is carried too', async () => {
    const [left, l2] = await socketPair();
    const [r1, right] = await socketPair();
    for (const s of [left, l2, r1, right]) s.on('error', () => undefined);
    left.end('early');
    await new Promise((r) => setTimeout(r, 50));
    const got = readAll(right);
    const done = splice(l2, r1);
    expect((await got).toString()).toBe('early');
    right.destroy();
    expect((await done).aToB).toBe(5);
  });

  it('startSplice calls back once with the byte counts when both sides closed, and without a callback still pipes', async () => {
    const [left, l2] = await socketPair();
    const [r1, right] = await socketPair();
    for (const s of [left, l2, r1, right]) s.on('error', () => undefined);
    const results: SpliceResult[] = [];
    const closed = new Promise<void>((resolve) =>
      startSplice(l2, r1, (r) => {
        results.push(r);
        resolve();
      }),
    );
    const got = readAll(right);
    const back = readAll(left);
    left.end(pattern(70_000, 4));
    expect((await got).length).toBe(70_000);
    right.end();
    expect((await back).length).toBe(0);
    left.destroy();
    right.destroy();
    await closed;
    expect(results).toEqual([{ aToB: 70_000, bToA: 0 }]);

    const [x, x2] = await socketPair();
    const [y1, y] = await socketPair();
    for (const s of [x, x2, y1, y]) s.on('error', () => undefined);
    startSplice(x2, y1);
    const echoed = once(y, 'data');
    x.write('ping');
    expect(String((await echoed)[0])).toBe('ping');
    const middleClosed = Promise.all([once(x2, 'close'), once(y1, 'close')]);
    x.destroy();
    y.destroy();
    await middleClosed;
  });
});
