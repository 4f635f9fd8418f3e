/**
 * TCP echo server (the target of latency, churn, scale and client-path pings).
 * Usage: node echo-server.js PORT. Prints `listening PORT` when ready.
 */
import net from 'node:net';

const port = Number(process.argv[2]);
const srv = net.createServer((s) => {
  // Ping-pong latency must not wait for Nagle.
  s.setNoDelay(true);
  s.on('error', () => undefined);
  s.pipe(s);
});
// A large backlog: churn and scale open thousands of connections in bursts.
srv.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => console.log(`listening ${port}`));
