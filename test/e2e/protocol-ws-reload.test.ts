import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import type { CliProcess } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { curl, origin, startCliAgent, startHttpGateway, type HttpGateway } from './protocol-http-fixture';

/**
 * The two plugins cooperate through the node's upgrade registry; a config reload (SIGHUP)
 * that changes either plugin must leave WebSocket pass-through working.
 */

async function echoOnce(port: number, host: string): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host } });
  await once(ws, 'open');
  const reply = once(ws, 'message');
  ws.send('ping through');
  const [data] = (await reply) as [Buffer];
  ws.close();
  await once(ws, 'close');
  return data.toString();
}

describe('protocol-http + protocol-ws across config reloads', () => {
  let gw: HttpGateway;
  let svc: Awaited<ReturnType<typeof origin>>;
  let wss: WebSocketServer;
  let agent: CliProcess;
  const host = 'www.reload.tfgw.localhost';

  beforeAll(async () => {
    svc = await origin((_req, res) => res.end('plain\n'));
    wss = new WebSocketServer({ server: svc.server });
    wss.on('connection', (ws) => ws.on('message', (d: Buffer) => ws.send(d.toString())));
    gw = await startHttpGateway();
    agent = await startCliAgent(gw, 'reload', [`www=127.0.0.1:${svc.port}`], host);
  });

  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    for (const c of wss?.clients ?? []) c.terminate();
    wss?.close();
    await svc?.close();
  });

  test('a new ingress port after reloading protocol-http serves the routes and WebSockets', async () => {
    expect(await echoOnce(gw.http, host)).toBe('ping through');
    const next = await freePort();
    (gw.config.plugins[0][1] as Record<string, unknown>).listen = `127.0.0.1:${next}`;
    gw.rewrite();
    gw.proc.child.kill('SIGHUP');
    await gw.proc.waitFor(new RegExp(`"url":"http://127\\.0\\.0\\.1:${next}","msg":"HTTP ingress listening"`));
    await gw.proc.waitFor(/"removed":\["protocol-http"\].*"msg":"config reloaded"/);
    const r = await curl(next, host, '/');
    expect([r.status, r.body]).toEqual([200, 'plain\n']);
    expect(await echoOnce(next, host)).toBe('ping through');
    gw.http = next;
  });

  test('reloading protocol-ws with new options keeps WebSockets working (no duplicate handler)', async () => {
    (gw.config.plugins[1][1] as Record<string, unknown>).idleTimeoutMs = 60000;
    gw.rewrite();
    gw.proc.child.kill('SIGHUP');
    await gw.proc.waitFor(/"removed":\["protocol-ws"\].*"msg":"config reloaded"/);
    expect(await echoOnce(gw.http, host)).toBe('ping through');
  });
});
