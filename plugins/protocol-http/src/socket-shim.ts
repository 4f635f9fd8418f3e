import type net from 'node:net';
import type { Duplex } from 'node:stream';

/** A duplex with the few `net.Socket` members Node's HTTP client and Agent call. */
export type SocketLike = Duplex & Pick<net.Socket, 'setTimeout' | 'setNoDelay' | 'setKeepAlive' | 'ref' | 'unref'> & { timeout?: number };

const SHIMMED = Symbol('tfgw.socketShim');

/**
 * Lets Node's HTTP client and `http.Agent` use a tunnel stream as their socket: adds
 * `setTimeout` (an idle timer re-armed by incoming data, emitting `'timeout'` like a
 * socket), and no-op `setNoDelay` / `setKeepAlive` / `ref` / `unref` (the stream's session
 * owns the real socket). Like a `net.Socket` without `allowHalfOpen`, the stream ends its
 * own side once the peer ended, so a pooled stream the service closed leaves the pool.
 * The stream is changed in place and returned; no data is copied. With `pooled` (streams of
 * an http.Agent), bytes arriving while no request owns the stream destroy it.
 */
export function asSocketLike(stream: Duplex, opts: { pooled?: boolean } = {}): SocketLike {
  const s = stream as SocketLike & { [SHIMMED]?: true };
  if (s[SHIMMED]) return s;
  s[SHIMMED] = true;
  let timer: NodeJS.Timeout | undefined;
  const fire = () => s.emit('timeout');
  s.setTimeout = function setTimeout(ms: number, callback?: () => void) {
    s.timeout = ms;
    // Like net.Socket: a callback is added with a timeout and removed with 0.
    if (callback) {
      if (ms > 0) s.once('timeout', callback);
      else s.removeListener('timeout', callback);
    }
    if (ms > 0 && !s.destroyed) {
      if (timer) {
        clearTimeout(timer);
      }
      timer = globalThis.setTimeout(fire, ms);
      timer.unref();
    } else if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    return s as unknown as net.Socket;
  };
  s.setNoDelay = () => s as unknown as net.Socket;
  s.setKeepAlive = () => s as unknown as net.Socket;
  s.ref = () => s as unknown as net.Socket;
  s.unref = () => s as unknown as net.Socket;
  s.on('data', () => {
    timer?.refresh();
    // A pooled stream that receives bytes while no request owns it has a service that sent
    // more than it framed: never let those bytes be read as the next visitor's answer.
    if (opts.pooled && (s as { _httpMessage?: unknown })._httpMessage == null) s.destroy();
  });
  s.on('end', () => {
    if (!s.writableEnded) s.end();
  });
  s.once('close', () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  });
  return s;
}
