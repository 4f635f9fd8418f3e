/**
 * The "plain Node relay" rival: accept, dial the target, `socket.pipe` both ways.
 * Usage: node relay.js LISTEN_PORT TARGET_HOST TARGET_PORT. Prints `listening PORT`.
 */
import net from 'node:net';

const [listenPort, host, targetPort] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
/** Errors reported so far: a few are worth a log line, thousands are not. */
let reported = 0;
const srv = net.createServer((a) => {
  const b = net.connect(targetPort, host);
  a.setNoDelay(true);
  b.setNoDelay(true);
  const end = (side: string) => (err: Error): void => {
    if (reported++ < 5) console.error(`relay: ${side} error: ${err.message}`);
    a.destroy();
    b.destroy();
  };
  a.on('error', end('visitor'));
  b.on('error', end('target'));
  a.pipe(b);
  b.pipe(a);
});
srv.listen({ port: listenPort, host: '127.0.0.1', backlog: 4096 }, () => console.log(`listening ${listenPort}`));
