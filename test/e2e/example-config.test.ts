import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { runCli, type CliProcess } from '../helpers/cli';
import { echoServer, echoTransfer, freePort } from '../helpers/net';

/**
 * The README's promise, checked from outside: the example config on its documented ports
 * (7000 tcp, 7001 tls, 7080 ws, 7443 quic, 8080 http, 5353 dns, 7070 admin), the real CLI,
 * real clients (curl, dig). Copied to a temp folder so its `.tfgw` data dir is throwaway.
 */
const ROOT = path.resolve(__dirname, '../..');

// Async on purpose: the origin and echo servers live in this process and must keep answering.
const run = promisify(execFile);
async function curl(args: string[]): Promise<string> {
  return (await run('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'utf8' })).stdout;
}
async function dig(args: string[]): Promise<string> {
  return (await run('dig', ['@127.0.0.1', '-p', '5353', ...args, '+time=5', '+tries=1'], { encoding: 'utf8' })).stdout;
}


/** Bytes through an echo service must come back byte for byte. */
async function expectEcho(port: number, total: number): Promise<void> {
  const r = await echoTransfer(port, total);
  expect(r.bytes).toBe(total);
  expect(r.received).toBe(r.sent);
}

describe('the example config on its documented ports', () => {
  let dir: string;
  let config: string;
  const procs: CliProcess[] = [];
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let origin: http.Server;
  let originPort: number;
  const env = { TFGW_TOKEN: '', TFGW_CLIENT_TOKEN: '', TFGW_ADMIN_TOKEN: '' };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-example-'));
    config = path.join(dir, 'tfgw.config.js');
    fs.copyFileSync(path.join(ROOT, 'tfgw.config.example.js'), config);
    echo = await echoServer();
    origin = http.createServer((req, res) => res.end(`hello from ${req.headers.host} xff=${req.headers['x-forwarded-for']}`));
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    originPort = (origin.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await echo.close();
    origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const gateway = async () => {
    const gw = runCli(['--config', config], { env, cwd: dir });
    procs.push(gw);
    const quic = await gw.waitFor(/"url":"(quic:\/\/127\.0\.0\.1:7443#[0-9a-f]+)"/i);
    await gw.waitFor(/"url":"tcp:\/\/127\.0\.0\.1:7000"/);
    await gw.waitFor(/admin listening/);
    await gw.waitFor(/dns listening/);
    return { gw, quicUrl: quic[1] };
  };

  it('serves HTTP by name, DNS, TCP, the admin API and a client, over tcp and quic', async () => {
    const { gw, quicUrl } = await gateway();

    const agent = runCli(['agent', '--server', 'tcp://127.0.0.1:7000', '--token', 'dev-token', '--name', 'demo', '--http', `www=127.0.0.1:${originPort}`, '--tcp', `127.0.0.1:${echo.port}`], { env });
    procs.push(agent);
    await agent.waitFor(/^http\s+http:\/\/www\.demo\.tfgw\.localhost:8080\//);
    const tcpPort = Number((await agent.waitFor(/^tcp\s+tcp:\/\/127\.0\.0\.1:(2\d{4})/))[1]);
    expect(tcpPort).toBeGreaterThanOrEqual(20000);
    expect(tcpPort).toBeLessThanOrEqual(20999);

    expect(await curl(['-H', 'Host: www.demo.tfgw.localhost', 'http://127.0.0.1:8080/'])).toBe('hello from www.demo.tfgw.localhost xff=127.0.0.1');
    expect((await dig(['www.demo.tfgw.localhost', 'A', '+short'])).trim()).toBe('127.0.0.1');
    expect(await dig(['example.com', 'A'])).toContain('status: REFUSED');
    await expectEcho(tcpPort, 1024 * 1024);

    expect(await curl(['http://127.0.0.1:7070/healthz'])).toContain('ok');
    expect(await curl(['-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:7070/api/v1/sessions'])).toBe('401');
    const sessions = JSON.parse(await curl(['-H', 'Authorization: Bearer dev-admin', 'http://127.0.0.1:7070/api/v1/sessions']));
    expect(JSON.stringify(sessions)).toContain('demo');

    // A client reaches the same service through the ws transport and its SOCKS5 server.
    const socksPort = await freePort();
    const client = runCli(['client', '--server', 'ws://127.0.0.1:7080/_tfgw', '--token', 'dev-client', '--socks', `127.0.0.1:${socksPort}`], { env });
    procs.push(client);
    await client.waitFor(/client connected/);
    expect(await curl(['--socks5-hostname', `127.0.0.1:${socksPort}`, 'http://www.demo.tfgw.localhost/'])).toContain('hello from');

    // QUIC: the pinned gateway identity, an HTTP and a TCP service, 100 MB byte-identical.
    const qagent = runCli(['agent', '--server', quicUrl, '--token', 'dev-token', '--name', 'demoq', '--http', `www=127.0.0.1:${originPort}`, '--tcp', `127.0.0.1:${echo.port}`], { env });
    procs.push(qagent);
    await qagent.waitFor(/^http\s+http:\/\/www\.demoq\.tfgw\.localhost:8080\//);
    const qPort = Number((await qagent.waitFor(/^tcp\s+tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
    expect(await curl(['-H', 'Host: www.demoq.tfgw.localhost', 'http://127.0.0.1:8080/'])).toContain('hello from www.demoq');
    await expectEcho(qPort, 100 * 1024 * 1024);

    // A wrong fingerprint is refused with a clear, coded error.
    const wrong = runCli(['agent', '--server', quicUrl.replace(/#.*/, `#${'ab'.repeat(32)}`), '--token', 'dev-token', '--name', 'evil', '--tcp', '1'], { env });
    procs.push(wrong);
    expect(await wrong.exited).toBe(1);
    expect(wrong.lines.join('\n')).toContain('TFGW_ERR_TRUST');

    // SIGKILL the gateway and start it again: both agents come back on their ports.
    gw.child.kill('SIGKILL');
    await gw.exited;
    const marks = [agent.lines.length, qagent.lines.length];
    const again = await gateway();
    await agent.waitFor(/agent connected/, 10000, marks[0]);
    await qagent.waitFor(/agent connected/, 10000, marks[1]);
    await again.gw.waitFor(new RegExp(`tcp://127\\.0\\.0\\.1:${qPort}".*route added`), 10000);
    await again.gw.waitFor(new RegExp(`tcp://127\\.0\\.0\\.1:${tcpPort}".*route added`), 10000);
    await expectEcho(tcpPort, 1024);
    await expectEcho(qPort, 1024);
    expect((await dig(['www.demo.tfgw.localhost', 'A', '+short'])).trim()).toBe('127.0.0.1');
  });
});
