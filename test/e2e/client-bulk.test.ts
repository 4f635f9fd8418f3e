// End to end: 100 MB each way through a `tfgw client --forward` TCP port to an echo service
// behind an agent, checked with sha256 on both ends (flow control in both directions at once).
import net from 'node:net';
import { once } from 'node:events';
import { echoServer, freePort, sha256OfStream, writePattern } from '../helpers/net';
import { startStack, type Stack } from './client-harness';

const TOTAL = 100 * 1024 * 1024;

describe('tfgw client: bulk transfer through a TCP forward', () => {
  let stack: Stack;
  let echo: { port: number; close: () => Promise<void> };
  let fwd: number;

  beforeAll(async () => {
    echo = await echoServer();
    fwd = await freePort();
    stack = await startStack();
    await stack.agent('bulk', ['--tcp', `echo=127.0.0.1:${echo.port}`]);
    await stack.client(['--forward', `127.0.0.1:${fwd}=bulk/echo`]);
  });

  afterAll(async () => {
    await stack?.stop();
    await echo?.close();
  });

  it('100 MB out and back arrive intact (sha256)', async () => {
    const socket = net.connect(fwd, '127.0.0.1');
    await once(socket, 'connect');
    const received = sha256OfStream(socket);
    const sent = await writePattern(socket, TOTAL);
    socket.end();
    const got = await received;
    expect(got.bytes).toBe(TOTAL);
    expect(got.hash).toBe(sent);
  });
});
