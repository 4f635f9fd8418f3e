import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';

/** True when `port` can be bound on 127.0.0.1 for TCP (and UDP when `udp`). */
async function isFree(port: number, udp: boolean): Promise<boolean> {
  const srv = net.createServer();
  try {
    srv.listen(port, '127.0.0.1');
    await once(srv, 'listening');
  } catch {
    return false;
  } finally {
    srv.close();
  }
  if (!udp) return true;
  const s = dgram.createSocket('udp4');
  try {
    s.bind(port, '127.0.0.1');
    await once(s, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    try {
      s.close();
    } catch {
      /* not bound */
    }
  }
}

/** Ports handed out in this run, so two parts of the bench never get the same one. */
const handedOut = new Set<number>();

/**
 * `count` consecutive ports free for TCP and UDP, below the kernel's ephemeral range
 * (32768+) so outgoing connections of the bench cannot grab them between check and use,
 * and away from the example config's 7000-8080 / 20000-21999 that tests of other packages use.
 */
export async function portBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 22000 + Math.floor(Math.random() * (32000 - 22000 - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = !handedOut.has(p) && (await isFree(p, true));
    if (ok) {
      for (let p = base; p < base + count; p++) handedOut.add(p);
      return base;
    }
  }
  throw new Error(`no block of ${count} free ports found in 22000-32000`);
}

/** One port free for TCP and UDP on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return portBlock(1);
}

/** Resolves once a TCP connection to 127.0.0.1:`port` succeeds; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 15000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
