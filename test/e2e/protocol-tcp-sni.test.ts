import { execFile, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { CliProcess } from '../helpers/cli';
import { sha256OfStream, writePattern } from '../helpers/net';
import { connectTcp, readAll, startConfigAgent, startGateway, tcpServer, waitForLog, type GatewayFixture } from './protocol-tcp-fixtures';

// An independent PROXY protocol reader (HAProxy spec, shipped inside dns2 but not exported) to check what the service sees.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyProtocol = require(path.join(path.dirname(require.resolve('dns2/package.json')), 'lib', 'proxy-protocol.js')) as { parse(b: Buffer): { header: Record<string, unknown>; headerLength: number } | null };

const run = promisify(execFile);
const SECURE = 'secure.demo.tfgw.localhost';

/** Result of one `openssl s_client` run. */
interface SClient {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `openssl s_client -servername NAME -connect 127.0.0.1:PORT` verifying the service's
 * certificate, sends `line` (s_client reads stdin once the handshake is done), waits until
 * it is echoed or the process exits, then closes stdin so s_client exits.
 */
async function sClient(port: number, servername: string, caFile: string, line?: string): Promise<SClient> {
  const child = spawn('openssl', ['s_client', '-servername', servername, '-connect', `127.0.0.1:${port}`, '-CAfile', caFile, '-verify_return_error', '-verify_hostname', servername, '-quiet', '-no_ign_eof'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdin.on('error', () => undefined);
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  if (line) {
    child.stdin.write(`${line}\n`);
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes(line)) resolve();
      });
      void exited.then(() => resolve());
    });
  } else {
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  }
  child.stdin.end();
  const [code] = await exited;
  return { code, stdout, stderr };
}

/** A minimal ClientHello (TLS 1.2 shape) naming `host`, in one record. */
function clientHello(host: string): Buffer {
  const name = Buffer.from(host);
  const sni = Buffer.concat([Buffer.from([0, 0]), u16(name.length + 5), u16(name.length + 3), Buffer.from([0]), u16(name.length), name]);
  const body = Buffer.concat([u16(0x0303), Buffer.alloc(32, 7), Buffer.from([0]), u16(2), u16(0xc02f), Buffer.from([1, 0]), u16(sni.length), sni]);
  const msg = Buffer.concat([Buffer.from([1, 0]), u16(body.length), body]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(msg.length), msg]);
}
function u16(n: number): Buffer {
  return Buffer.from([n >>> 8, n & 0xff]);
}

/** What a PROXY-aware service saw: the parsed header, its bytes, and what followed so far. */
interface Seen {
  header: Record<string, unknown>;
  raw: Buffer;
  rest(): Buffer;
}

/** A service expecting a PROXY header: records it, answers it as one JSON line followed by the visitor's bytes. */
async function proxyAwareService(seen: Seen[], events: EventEmitter) {
  return tcpServer(
    (s) => {
      let buf = Buffer.alloc(0);
      let parsed: { header: Record<string, unknown>; headerLength: number } | null = null;
      const reply = () => {
        if (!parsed) return;
        s.end(`${JSON.stringify(parsed.header)}\n${buf.subarray(parsed.headerLength).toString()}`);
      };
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (parsed) {
          events.emit('more');
          return;
        }
        try {
          parsed = proxyProtocol.parse(buf);
        } catch (err) {
          s.end(`ERROR ${(err as Error).message}\n`);
          return;
        }
        if (parsed) {
          seen.push({ header: parsed.header, raw: buf.subarray(0, parsed.headerLength), rest: () => buf.subarray(parsed!.headerLength) });
          events.emit('seen');
        }
      });
      s.on('end', reply);
    },
    { allowHalfOpen: true },
  );
}

describe('protocol-tcp: TLS by SNI and PROXY protocol through the real CLI', () => {
  let dir: string;
  let gw: GatewayFixture;
  let agent: CliProcess;
  let caFile: string;
  let tlsService: tls.Server;
  const servernames: string[] = [];
  const seen: Seen[] = [];
  const events = new EventEmitter();
  let pp1: Awaited<ReturnType<typeof tcpServer>>;
  let pp2: Awaited<ReturnType<typeof tcpServer>>;
  let ppTls: Awaited<ReturnType<typeof tcpServer>>;
  let pp1Port: number;
  let pp2Port: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-sni-'));
    caFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', caFile, '-days', '2', '-subj', `/CN=${SECURE}`, '-addext', `subjectAltName=DNS:${SECURE}`]);
    tlsService = tls.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(caFile) }, (s) => {
      servernames.push(String((s as tls.TLSSocket & { servername?: string }).servername));
      s.on('error', () => undefined);
      s.pipe(s);
    });
    tlsService.listen(0, '127.0.0.1');
    await once(tlsService, 'listening');
    pp1 = await proxyAwareService(seen, events);
    pp2 = await proxyAwareService(seen, events);
    ppTls = await proxyAwareService(seen, events);
    gw = await startGateway();
    const tlsPort = (tlsService.address() as net.AddressInfo).port;
    agent = startConfigAgent(gw, 'demo', [
      { name: 'secure', protocol: 'tls', target: `127.0.0.1:${tlsPort}` },
      { name: 'pp1', protocol: 'tcp', target: `127.0.0.1:${pp1.port}`, options: { proxyProtocol: 1 } },
      { name: 'pp2', protocol: 'tcp', target: `127.0.0.1:${pp2.port}`, options: { proxyProtocol: 2 } },
      { name: 'securepp', protocol: 'tls', target: `127.0.0.1:${ppTls.port}`, options: { proxyProtocol: 2 } },
    ]);
    const m = await agent.waitFor(new RegExp(`^tls\\s+tls://${SECURE.replace(/\./g, '\\.')}:(\\d+) -> 127\\.0\\.0\\.1:${tlsPort}$`));
    expect(Number(m[1])).toBe(gw.sni);
    pp1Port = Number((await agent.waitFor(new RegExp(`^tcp\\s+tcp://127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:${pp1.port}$`)))[1]);
    pp2Port = Number((await agent.waitFor(new RegExp(`^tcp\\s+tcp://127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:${pp2.port}$`)))[1]);
  });

  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await new Promise<void>((r) => (tlsService ? tlsService.close(() => r()) : r()));
    await pp1?.close();
    await pp2?.close();
    await ppTls?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('openssl s_client reaches the TLS service behind the agent by SNI; the cert is the service\'s own (not terminated)', async () => {
    const r = await sClient(gw.sni, SECURE, caFile, 'hello through sni');
    expect(r.stdout).toContain('hello through sni');
    expect(r.stderr).toMatch(/verify return:1/);
    expect(r.code).toBe(0);
    expect(servernames).toContain(SECURE);
  });

  it('moves 8 MB over a TLS session routed by SNI (sha256)', async () => {
    const s = tls.connect({ host: '127.0.0.1', port: gw.sni, servername: SECURE, ca: fs.readFileSync(caFile) });
    await once(s, 'secureConnect');
    expect(s.authorized).toBe(true);
    const total = 8 * 1024 * 1024;
    const [sent, got] = await Promise.all([
      writePattern(s, total).then((h) => {
        s.end();
        return h;
      }),
      sha256OfStream(s),
    ]);
    expect(got.bytes).toBe(total);
    expect(got.hash).toBe(sent);
    s.destroy();
  });

  it('answers an unknown name with a TLS unrecognized_name alert and a clean close (one log line)', async () => {
    const raw = await connectTcp(gw.sni);
    const all = readAll(raw);
    raw.write(clientHello('nope.demo.tfgw.localhost'));
    const { data, error } = await all;
    expect(error).toBeUndefined();
    expect([...data]).toEqual([21, 3, 1, 0, 2, 2, 112]);
    const line = await waitForLog(gw.proc, { code: 'TFGW_ERR_UNKNOWN_SERVICE', sni: 'nope.demo.tfgw.localhost' });
    expect(line.plugin).toBe('protocol-tcp');

    const r = await sClient(gw.sni, 'other.demo.tfgw.localhost', caFile);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unrecognized name|alert number 112/i);

    const s = tls.connect({ host: '127.0.0.1', port: gw.sni, servername: 'missing.tfgw.localhost', rejectUnauthorized: false });
    const [err] = (await once(s, 'error').catch((e) => [e])) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ERR_SSL_TLSV1_UNRECOGNIZED_NAME');
  });

  it('closes a visitor that does not speak TLS on the SNI port', async () => {
    const raw = await connectTcp(gw.sni);
    const all = readAll(raw);
    raw.write('GET / HTTP/1.1\r\nHost: secure.demo.tfgw.localhost\r\n\r\n');
    const { data } = await all;
    expect(data.length).toBe(0);
    await waitForLog(gw.proc, { code: 'TFGW_ERR_BAD_MESSAGE', plugin: 'protocol-tcp' });
  });

  it('routes a ClientHello that arrives in many small TCP segments', async () => {
    const raw = await connectTcp(gw.sni);
    raw.setNoDelay(true);
    const all = readAll(raw);
    const hello = clientHello('also-unknown.tfgw.localhost');
    for (let i = 0; i < hello.length; i += 7) {
      raw.write(hello.subarray(i, i + 7));
      await new Promise<void>((r) => setImmediate(r));
    }
    expect([...(await all).data]).toEqual([21, 3, 1, 0, 2, 2, 112]);
  });

  it('writes a PROXY v1 header with the visitor address before the visitor\'s bytes', async () => {
    const s = await connectTcp(pp1Port);
    const all = readAll(s);
    const visitorPort = s.localPort;
    s.end('payload-1');
    const [json, rest] = (await all).data.toString().split('\n');
    expect(JSON.parse(json)).toEqual({ version: 1, command: 'PROXY', family: 'IPv4', transport: 'STREAM', sourceAddress: '127.0.0.1', sourcePort: visitorPort, destinationAddress: '127.0.0.1', destinationPort: pp1Port });
    expect(rest).toBe('payload-1');
  });

  it('writes a PROXY v2 header with the visitor address before the visitor\'s bytes', async () => {
    const s = await connectTcp(pp2Port);
    const all = readAll(s);
    const visitorPort = s.localPort;
    s.end('payload-2');
    const [json, rest] = (await all).data.toString().split('\n');
    expect(JSON.parse(json)).toEqual({ version: 2, command: 'PROXY', family: 'IPv4', transport: 'STREAM', sourceAddress: '127.0.0.1', sourcePort: visitorPort, destinationAddress: '127.0.0.1', destinationPort: pp2Port });
    expect(rest).toBe('payload-2');
  });

  it('puts the SNI in a PROXY v2 AUTHORITY TLV for a TLS service, then the untouched ClientHello', async () => {
    const before = seen.length;
    const arrived = once(events, 'seen');
    const s = tls.connect({ host: '127.0.0.1', port: gw.sni, servername: 'securepp.demo.tfgw.localhost', rejectUnauthorized: false });
    s.on('error', () => undefined);
    await arrived;
    const got = seen.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0].header).toMatchObject({ version: 2, command: 'PROXY', sourceAddress: '127.0.0.1', sourcePort: s.localPort ?? expect.any(Number) });
    // TLVs follow the 12 address bytes of IPv4.
    const tlv = got[0].raw.subarray(28);
    expect(tlv[0]).toBe(0x02);
    expect(tlv.subarray(3, 3 + tlv.readUInt16BE(1)).toString()).toBe('securepp.demo.tfgw.localhost');
    // The ClientHello follows the header as the visitor sent it.
    while (!got[0].rest().includes(Buffer.from('securepp.demo.tfgw.localhost'))) await once(events, 'more');
    const rest = got[0].rest();
    expect([...rest.subarray(0, 2)]).toEqual([22, 3]);
    s.destroy();
  });
});
