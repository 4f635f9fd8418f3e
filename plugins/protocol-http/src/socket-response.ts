import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A `ServerResponse` written to a raw connection, for requests Node hands over without one
 * (the `upgrade` event). Hook taps and error pages use it like any response; once it is
 * finished the connection is closed (`Connection: close`).
 */
export function responseOnSocket(req: http.IncomingMessage, socket: Duplex): http.ServerResponse {
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as net.Socket);
  const finish = () => {
    res.detachSocket(socket as net.Socket);
    socket.end();
  };
  res.once('finish', finish);
  res.once('close', () => {
    if (!res.writableFinished) socket.destroy();
  });
  return res;
}
