import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import type { CliProcess } from '../helpers/cli';
import { curl, deadPort, origin, startCliAgent, startConfigAgent, startHttpGateway, type HttpGateway } from './protocol-http-fixture';

/**
 * protocol-ws end to end: the `ws` client through the real CLI gateway (protocol-http +
 * protocol-ws) and agents to a `ws` server: frames, ping/pong, close codes, limits.
 */

const MB = 1024 * 1024;

/** What the origin saw of one closed WebSocket. */
interface ServerClose {
  code: number;
  reason: string;
}

/** Outcome of opening a WebSocket: the socket, or the HTTP answer that refused it. */
type Opened = { ws: WebSocket } | { status: number; headers: http.IncomingHttpHeaders; body: string };

function open(port: number, host: string, path = '/'): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host }, maxPayload: 64 * MB });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    ws.once('error', reject);
  });
}

async function openOk(port: number, host: string, path = '/'): Promise<WebSocket> {
  const o = await open(port, host, path);
  if (!('ws' in o)) throw new Error(`upgrade refused: ${o.status} ${o.body}`);
  return o.ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer, binary: boolean) => resolve({ data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), binary }));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before a message`)));
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

describe('protocol-ws through the real CLI', () => {
  let gw: HttpGateway;
  let svc: Awaited<ReturnType<typeof origin>>;
  let wss: WebSocketServer;
  const procs: CliProcess[] = [];
  const serverCloses: Array<(c: ServerClose) => void> = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ noServer: true, maxPayload: 64 * MB });
    wss.on('connection', (ws) => {
      ws.on('message', (data: Buffer, binary: boolean) => {
        const text = binary ? '' : data.toString();
        if (text.startsWith('close:')) ws.close(Number(text.slice(6)), 'bye');
        else if (text.startsWith('big:')) ws.send(Buffer.alloc(Number(text.slice(4)), 1));
        else if (text === 'ping-me') ws.ping('from-server');
        else ws.send(data, { binary });
      });
      ws.on('pong', (d: Buffer) => ws.send(`got pong ${d.toString()}`));
      ws.on('close', (code: number, reason: Buffer) => serverCloses.shift()?.({ code, reason: reason.toString() }));
    });
    svc = await origin(
      (req, res) => res.end(`plain ${req.url}\n`),
      (srv) =>
        srv.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
          if (req.url === '/deny') {
            socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 7\r\nConnection: close\r\n\r\ndenied\n');
            return;
          }
          wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
        }),
    );
    const down = await deadPort();
    gw = await startHttpGateway({ ws: true });
    const [cli, cfg] = await Promise.all([
      startCliAgent(gw, 'wsdemo', [`www=127.0.0.1:${svc.port}`, `down=127.0.0.1:${down}`], 'www.wsdemo.tfgw.localhost'),
      startConfigAgent(
        gw,
        'wscfg',
        [
          { name: 'only', protocol: 'http', target: `127.0.0.1:${svc.port}`, options: { websocketOnly: true } },
          { name: 'small', protocol: 'http', target: `127.0.0.1:${svc.port}`, options: { maxMessageBytes: 1024 } },
          { name: 'idle', protocol: 'http', target: `127.0.0.1:${svc.port}`, options: { idleTimeoutMs: 300 } },
        ],
        'idle.wscfg.tfgw.localhost',
      ),
    ]);
    procs.push(cli, cfg);
    await cli.waitFor(/^http\s+http:\/\/down\.wsdemo\.tfgw\.localhost:\d+\/ -> /);
    await cfg.waitFor(/^http\s+http:\/\/only\.wscfg\.tfgw\.localhost:\d+\/ /);
    await cfg.waitFor(/^http\s+http:\/\/small\.wscfg\.tfgw\.localhost:\d+\/ /);
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await gw?.stop();
    for (const c of wss?.clients ?? []) c.terminate();
    wss?.close();
    await svc?.close();
  });

  test('text and binary messages echo through', async () => {
    const ws = await openOk(gw.http, 'www.wsdemo.tfgw.localhost', '/chat');
    try {
      ws.send('hello through the tunnel');
      const a = await nextMessage(ws);
      expect([a.binary, a.data.toString()]).toEqual([false, 'hello through the tunnel']);
      const bin = crypto.randomBytes(4096);
      ws.send(bin);
      const b = await nextMessage(ws);
      expect(b.binary).toBe(true);
      expect(b.data.equals(bin)).toBe(true);
    } finally {
      ws.close();
    }
  });

  test('a 10 MB message echoes intact', async () => {
    const ws = await openOk(gw.http, 'www.wsdemo.tfgw.localhost');
    try {
      const big = crypto.randomBytes(10 * MB);
      ws.send(big);
      const back = await nextMessage(ws);
      expect(back.data.length).toBe(big.length);
      expect(crypto.createHash('sha256').update(back.data).digest('hex')).toBe(crypto.createHash('sha256').update(big).digest('hex'));
    } finally {
      ws.close();
    }
  });

  test('ping/pong both ways', async () => {
    const ws = await openOk(gw.http, 'www.wsdemo.tfgw.localhost');
    try {
      const pong = once(ws, 'pong');
      ws.ping('from-client');
      const [data] = (await pong) as [Buffer];
      expect(data.toString()).toBe('from-client');
      const ping = once(ws, 'ping');
      ws.send('ping-me');
      const [pdata] = (await ping) as [Buffer];
      expect(pdata.toString()).toBe('from-server');
      // The client answered the ping automatically; the server reports its pong.
      const m = await nextMessage(ws);
      expect(m.data.toString()).toBe('got pong from-server');
    } finally {
      ws.close();
    }
  });

  test('close codes propagate both ways', async () => {
    const a = await openOk(gw.http, 'www.wsdemo.tfgw.localhost');
    const fromServer = closed(a);
    a.send('close:4001');
    expect(await fromServer).toEqual({ code: 4001, reason: 'bye' });

    const b = await openOk(gw.http, 'www.wsdemo.tfgw.localhost');
    const seen = new Promise<ServerClose>((r) => serverCloses.push(r));
    const done = closed(b);
    b.close(4002, 'client-bye');
    expect(await seen).toEqual({ code: 4002, reason: 'client-bye' });
    expect((await done).code).toBe(4002);
  });

  test('a message over the route limit closes with 1009 (single frame, fragmented, and from the service)', async () => {
    const ok = await openOk(gw.http, 'small.wscfg.tfgw.localhost');
    ok.send(Buffer.alloc(1024, 2));
    expect((await nextMessage(ok)).data.length).toBe(1024);
    const c1 = closed(ok);
    ok.send(Buffer.alloc(2048, 3));
    expect((await c1).code).toBe(1009);

    const frag = await openOk(gw.http, 'small.wscfg.tfgw.localhost');
    const c2 = closed(frag);
    frag.send(Buffer.alloc(600, 4), { fin: false });
    frag.send(Buffer.alloc(600, 5), { fin: true });
    expect((await c2).code).toBe(1009);

    const fromService = await openOk(gw.http, 'small.wscfg.tfgw.localhost');
    const c3 = closed(fromService);
    fromService.send('big:4096');
    expect((await c3).code).toBe(1009);
  });

  test('a WebSocket-only service answers plain HTTP with 426 and accepts upgrades', async () => {
    const plain = await curl(gw.http, 'only.wscfg.tfgw.localhost', '/');
    expect(plain.status).toBe(426);
    expect(plain.headers.upgrade).toBe('websocket');
    expect(plain.headers['x-tfgw-error']).toBe('TFGW_ERR_WEBSOCKET_ONLY');
    const ws = await openOk(gw.http, 'only.wscfg.tfgw.localhost');
    ws.send('still works');
    expect((await nextMessage(ws)).data.toString()).toBe('still works');
    ws.close();
    const normal = await curl(gw.http, 'www.wsdemo.tfgw.localhost', '/plain');
    expect(normal.status).toBe(200);
    expect(normal.body).toBe('plain /plain\n');
  });

  test('a service refusing the upgrade has its answer passed on', async () => {
    const o = await open(gw.http, 'www.wsdemo.tfgw.localhost', '/deny');
    expect('status' in o && o.status).toBe(403);
    expect('body' in o && o.body).toBe('denied\n');
  });

  test('unknown host 404, service down 502, on upgrades too', async () => {
    const unknown = await open(gw.http, 'ghost.tfgw.localhost');
    expect('status' in unknown && [unknown.status, unknown.headers['x-tfgw-error']]).toEqual([404, 'TFGW_ERR_NO_TUNNEL']);
    const down = await open(gw.http, 'down.wsdemo.tfgw.localhost');
    expect('status' in down && [down.status, down.headers['x-tfgw-error']]).toEqual([502, 'TFGW_ERR_SERVICE_UNREACHABLE']);
  });

  test('an idle WebSocket is closed with 1001 after the route idle timeout', async () => {
    const ws = await openOk(gw.http, 'idle.wscfg.tfgw.localhost');
    const c = await closed(ws);
    expect(c).toEqual({ code: 1001, reason: 'idle timeout' });
  });
});
