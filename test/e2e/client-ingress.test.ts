// End to end: `tfgw client` SOCKS5, HTTP proxy and TCP forwards against a real gateway and
// agent (CLI processes), driven by real curl and the `socks` package; every refusal checked
// by its SOCKS5 reply code, HTTP status and the client's log line with the error code.
import net from 'node:net';
import { once } from 'node:events';
import { echoServer, freePort } from '../helpers/net';
import type { CliProcess } from '../helpers/cli';
import { runCli } from '../helpers/cli';
import { CLIENT_TOKEN, LIMITED_TOKEN, ZONE, curl, helloServer, roundTrip, socksConnect, startStack, type Stack } from './client-harness';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('tfgw client: SOCKS5, HTTP proxy and TCP forwards', () => {
  let stack: Stack;
  let www: { port: number; close: () => Promise<void> };
  let echo: { port: number; close: () => Promise<void> };
  let closedPort: number;
  let client: CliProcess;
  let limited: CliProcess;
  let authClient: CliProcess;
  const ports = { socks: 0, http: 0, fwd: 0, fwdRaw: 0, limitedSocks: 0, limitedHttp: 0, authSocks: 0, authHttp: 0 };

  beforeAll(async () => {
    www = await helloServer();
    echo = await echoServer();
    closedPort = await freePort();
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
    stack = await startStack();
    await stack.agent('demo', [
      '--http', `www=127.0.0.1:${www.port}`,
      '--tcp', `echo=127.0.0.1:${echo.port}`,
      '--allow', `127.0.0.1:${www.port}`,
      '--allow', `127.0.0.1:${closedPort}`,
    ]);
    // An agent that registered once and went away: its name is kept (grace), so it is "offline".
    const gone = await stack.agent('gone', ['--http', `www=127.0.0.1:${www.port}`]);
    await gone.stop();
    await stack.gateway.waitFor(/"agent":"gone".*agent disconnected/);
    client = await stack.client([
      '--socks', `127.0.0.1:${ports.socks}`,
      '--http-proxy', `127.0.0.1:${ports.http}`,
      '--forward', `127.0.0.1:${ports.fwd}=demo/www`,
      '--forward', `127.0.0.1:${ports.fwdRaw}=demo/127.0.0.1:${www.port}`,
    ]);
    limited = await stack.client(['--socks', `127.0.0.1:${ports.limitedSocks}`, '--http-proxy', `127.0.0.1:${ports.limitedHttp}`], LIMITED_TOKEN);
    // The same plugin from a config file, with credentials on both proxies.
    authClient = await stack.config(
      'auth-client',
      {
        client: { server: stack.server, token: CLIENT_TOKEN },
        transports: ['tcp'],
        plugins: [['client-ingress', {
          socks: `127.0.0.1:${ports.authSocks}`,
          socksAuth: { username: 'alice', password: 's3cret' },
          httpProxy: `127.0.0.1:${ports.authHttp}`,
          httpProxyAuth: { username: 'alice', password: 's3cret' },
        }]],
      },
      [/client connected/, /socks listening/, /http-proxy listening/],
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await www?.close();
    await echo?.close();
  });

  describe('reaching services', () => {
    it('curl --socks5-hostname reaches an HTTP service as SVC.AGENT.<zone>', async () => {
      const r = await curl(['--socks5-hostname', `127.0.0.1:${ports.socks}`, `http://www.demo.${ZONE}/`]);
      expect(r).toMatchObject({ status: 200, body: 'hello from www' });
    });

    it('curl -x (absolute-URI requests) reaches it, keeping the Host header and request bodies', async () => {
      const r = await curl(['-x', `http://127.0.0.1:${ports.http}`, `http://www.demo.${ZONE}/`]);
      expect(r).toMatchObject({ status: 200, body: 'hello from www' });
      const host = await curl(['-x', `http://127.0.0.1:${ports.http}`, `http://www.demo.${ZONE}:8080/host`]);
      expect(host).toMatchObject({ status: 200, body: `host=www.demo.${ZONE}:8080` });
      const post = await curl(['-x', `http://127.0.0.1:${ports.http}`, '--data-binary', 'x'.repeat(100000), `http://www.demo.${ZONE}/upload`]);
      expect(post).toMatchObject({ status: 200, body: 'got 100000 bytes' });
    });

    it('curl -p -x (HTTP CONNECT) reaches it', async () => {
      const r = await curl(['-p', '-x', `http://127.0.0.1:${ports.http}`, `http://www.demo.${ZONE}/`]);
      expect(r).toMatchObject({ status: 200, body: 'hello from www' });
    });

    it('an absolute-URI upgrade through the HTTP proxy is tunnelled (origin-form upstream)', async () => {
      const socket = net.connect(ports.http, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(`GET http://www.demo.${ZONE}/echo HTTP/1.1\r\nHost: www.demo.${ZONE}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`);
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => (text += c));
      await new Promise<void>((resolve) => socket.on('data', () => text.includes('\r\n\r\n') && resolve()));
      expect(text).toMatch(/^HTTP\/1\.1 101 /);
      text = '';
      socket.end('after the upgrade');
      await once(socket, 'end');
      expect(text).toBe('after the upgrade');
    });

    it('the socks package reaches a TCP echo service (port ignored for services)', async () => {
      const out = await socksConnect(ports.socks, `echo.demo.${ZONE}`, 7);
      expect(out.reply).toBeUndefined();
      const payload = Buffer.from('ping through the tunnel '.repeat(1000));
      expect((await roundTrip(out.socket!, payload)).equals(payload)).toBe(true);
    });

    it('a raw target inside the agent\'s --allow list is reached as HOST._via.AGENT.<zone>:PORT', async () => {
      const url = `http://127.0.0.1._via.demo.${ZONE}:${www.port}/`;
      expect(await curl(['--socks5-hostname', `127.0.0.1:${ports.socks}`, url])).toMatchObject({ status: 200, body: 'hello from www' });
      expect(await curl(['-x', `http://127.0.0.1:${ports.http}`, url])).toMatchObject({ status: 200, body: 'hello from www' });
    });

    it('fixed TCP forwards reach a service and an allowed raw target', async () => {
      expect(await curl([`http://127.0.0.1:${ports.fwd}/`])).toMatchObject({ status: 200, body: 'hello from www' });
      expect(await curl([`http://127.0.0.1:${ports.fwdRaw}/`])).toMatchObject({ status: 200, body: 'hello from www' });
    });
  });

  describe('refusals: SOCKS5 reply, HTTP status and one client log line with the code', () => {
    const cases: Array<{ what: string; host: () => string; port: () => number; socks: number; http: number; code: string; via?: 'limited' }> = [
      { what: 'a name outside the zone (not an open proxy)', host: () => 'example.com', port: () => 80, socks: 0x02, http: 403, code: 'TFGW_ERR_TARGET_NOT_ALLOWED' },
      { what: 'an IP literal', host: () => '127.0.0.1', port: () => www.port, socks: 0x02, http: 403, code: 'TFGW_ERR_TARGET_NOT_ALLOWED' },
      { what: 'a raw target outside the allowlist', host: () => `localhost._via.demo.${ZONE}`, port: () => 22, socks: 0x02, http: 403, code: 'TFGW_ERR_TARGET_NOT_ALLOWED' },
      { what: 'a client token without rights on the agent', host: () => `www.demo.${ZONE}`, port: () => 80, socks: 0x02, http: 403, code: 'TFGW_ERR_FORBIDDEN', via: 'limited' },
      { what: 'an unknown agent', host: () => `www.nobody.${ZONE}`, port: () => 80, socks: 0x04, http: 404, code: 'TFGW_ERR_UNKNOWN_AGENT' },
      { what: 'an unknown service', host: () => `nosuch.demo.${ZONE}`, port: () => 80, socks: 0x04, http: 404, code: 'TFGW_ERR_UNKNOWN_SERVICE' },
      { what: 'an agent that is offline', host: () => `www.gone.${ZONE}`, port: () => 80, socks: 0x03, http: 503, code: 'TFGW_ERR_AGENT_OFFLINE' },
      { what: 'an allowed target nobody listens on', host: () => `127.0.0.1._via.demo.${ZONE}`, port: () => closedPort, socks: 0x05, http: 502, code: 'TFGW_ERR_SERVICE_UNREACHABLE' },
    ];

    it.each(cases)('$what: SOCKS5 $socks, HTTP $http, $code', async (c) => {
      const proc = c.via === 'limited' ? limited : client;
      const socksPort = c.via === 'limited' ? ports.limitedSocks : ports.socks;
      const httpPort = c.via === 'limited' ? ports.limitedHttp : ports.http;
      const host = c.host();
      const port = c.port();

      const out = await socksConnect(socksPort, host, port);
      expect(out.reply).toBe(c.socks);
      await proc.waitFor(new RegExp(`socks: ${escape(`${host}:${port}`)} refused \\[${c.code}\\]`));

      const plain = await curl(['-x', `http://127.0.0.1:${httpPort}`, `http://${host}:${port}/`]);
      expect(plain.status).toBe(c.http);
      expect(plain.body).toMatch(new RegExp(`^${c.code}: `));
      // curl leaves the default port out of the request line.
      const asked = port === 80 ? `http://${host}/` : `http://${host}:${port}/`;
      await proc.waitFor(new RegExp(`http-proxy: GET ${escape(asked)} refused \\[${c.code}\\]`));

      const tunnel = await curl(['-p', '-x', `http://127.0.0.1:${httpPort}`, `http://${host}:${port}/`]);
      expect(tunnel.status).toBe(c.http);
      await proc.waitFor(new RegExp(`http-proxy: CONNECT ${escape(`${host}:${port}`)} refused \\[${c.code}\\]`));
    });

    it('curl --socks5-hostname reports the reply code of a refusal', async () => {
      const r = await curl(['--socks5-hostname', `127.0.0.1:${ports.socks}`, 'http://example.com/']);
      expect(r.code).toBe(97);
      expect(r.stderr).toMatch(/\(2\)/);
    });

    it('an HTTP proxy refusal names its code in X-Tfgw-Error', async () => {
      const r = await curl(['-i', '-x', `http://127.0.0.1:${ports.http}`, `http://www.nobody.${ZONE}/`]);
      expect(r.status).toBe(404);
      expect(r.body).toMatch(/^X-Tfgw-Error: TFGW_ERR_UNKNOWN_AGENT\r$/m);
    });

    it('a TCP forward to a refused service resets the local connection and logs the code', async () => {
      const port = await freePort();
      const fwd = await stack.client(['--forward', `127.0.0.1:${port}=nobody/www`]);
      const r = await curl([`http://127.0.0.1:${port}/`]);
      expect(r.status).toBe(0);
      await fwd.waitFor(/forward 127\.0\.0\.1:\d+: nobody\/www refused \[TFGW_ERR_UNKNOWN_AGENT\]/);
    });
  });

  describe('credentials (client-ingress from a config file)', () => {
    it('SOCKS5 with the right username/password works', async () => {
      const out = await socksConnect(ports.authSocks, `echo.demo.${ZONE}`, 7, { userId: 'alice', password: 's3cret' });
      expect(out.reply).toBeUndefined();
      expect((await roundTrip(out.socket!, Buffer.from('hi'))).toString()).toBe('hi');
      const r = await curl(['-x', `socks5h://alice:s3cret@127.0.0.1:${ports.authSocks}`, `http://www.demo.${ZONE}/`]);
      expect(r).toMatchObject({ status: 200, body: 'hello from www' });
    });

    it('SOCKS5 with a wrong password or without credentials is refused', async () => {
      const wrong = await socksConnect(ports.authSocks, `echo.demo.${ZONE}`, 7, { userId: 'alice', password: 'nope' });
      expect(wrong).toMatchObject({ message: expect.stringMatching(/Authentication failed/) });
      await authClient.waitFor(/authentication failed \[TFGW_ERR_AUTH\]/);
      const none = await socksConnect(ports.authSocks, `echo.demo.${ZONE}`, 7);
      expect(none).toMatchObject({ message: expect.stringMatching(/no accepted authentication type/i) });
    });

    it('the HTTP proxy answers 407 without Proxy-Authorization and 200 with it', async () => {
      const url = `http://www.demo.${ZONE}/`;
      expect((await curl(['-x', `http://127.0.0.1:${ports.authHttp}`, url])).status).toBe(407);
      expect((await curl(['-p', '-x', `http://127.0.0.1:${ports.authHttp}`, url])).status).toBe(407);
      expect(await curl(['-x', `http://alice:s3cret@127.0.0.1:${ports.authHttp}`, url])).toMatchObject({ status: 200, body: 'hello from www' });
      expect(await curl(['-p', '-x', `http://alice:s3cret@127.0.0.1:${ports.authHttp}`, url])).toMatchObject({ status: 200, body: 'hello from www' });
    });
  });

  it('SIGTERM: the client stops accepting local connections, lets an open tunnel finish, exits 0', async () => {
    const socksPort = await freePort();
    const p = await stack.client(['--socks', `127.0.0.1:${socksPort}`]);
    const open = await socksConnect(socksPort, `echo.demo.${ZONE}`, 7);
    expect(open.reply).toBeUndefined();
    const exited = p.stop('SIGTERM');
    await p.waitFor(/stopping: no new connections, draining/);
    const late = await socksConnect(socksPort, `echo.demo.${ZONE}`, 7);
    expect(late.socket).toBeUndefined();
    expect((await roundTrip(open.socket!, Buffer.from('still flowing'))).toString()).toBe('still flowing');
    expect(await exited).toBe(0);
  });

  it('a bad --socks address is a usage error naming the key (exit 2)', async () => {
    const p = runCli(['client', '--server', stack.server, '--token', CLIENT_TOKEN, '--socks', 'nonsense']);
    const code = p.child.exitCode ?? (await once(p.child, 'exit'))[0];
    expect(code).toBe(2);
    await p.waitFor(/socks: expected "host:port", got "nonsense" \[TFGW_ERR_CONFIG\]/);
  });
});
