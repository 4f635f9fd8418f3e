/**
 * The HTTP origin of the http scenario: answers every request with the same small body,
 * keep-alive. `GET /__bench_stats` (not counted) returns `{ connections, requests }` so the
 * bench can tell how a proxy reuses upstream connections.
 * Usage: node http-origin.js PORT. Prints `listening PORT`.
 */
import http from 'node:http';

const port = Number(process.argv[2]);
const body = Buffer.from('hello from the bench origin\n');
let connections = 0;
let requests = 0;
const srv = http.createServer((req, res) => {
  // Drain request bodies so keep-alive connections stay reusable.
  req.resume();
  if (req.url === '/__bench_stats') {
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ connections, requests }));
    return;
  }
  requests++;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
srv.on('connection', () => connections++);
// Proxies keep upstream connections open between bursts; do not drop them after Node's 5 s default.
srv.keepAliveTimeout = 120_000;
srv.headersTimeout = 121_000;
srv.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => console.log(`listening ${port}`));
