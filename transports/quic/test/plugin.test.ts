import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { TfgwNode, type SessionInfo, type TfgwConfig } from '@tfgw/core';
import quicPlugin, { IDENTITY_FILE, NATIVE_VERSION, maxStreamsFor, nativePackageName, parseFingerprint, quicFingerprint, resolveQuicOptions } from '../src';

/** A logger whose JSON lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('quic plugin', () => {
  let dataDir: string;
  const nodes: TfgwNode[] = [];
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-quic-plugin-'));
  });
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function gateway(extra: Partial<TfgwConfig> = {}): Promise<{ node: TfgwNode; lines: Array<Record<string, unknown>> }> {
    const { logger, lines } = capture();
    const node = new TfgwNode({ config: { dataDir, gateway: {}, ...extra }, plugins: [quicPlugin({ listen: '127.0.0.1:0' })], logger, baseDir: dataDir });
    nodes.push(node);
    await node.start();
    return { node, lines };
  }

  test('creates the identity on first start (0600), logs its fingerprint, and reuses it after', async () => {
    const first = await gateway();
    const file = path.join(dataDir, IDENTITY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const logged = first.lines.find((l) => l.msg === 'quic identity');
    expect(logged).toMatchObject({ created: true, file });
    const fp = logged!.fingerprint as string;
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(await quicFingerprint(dataDir)).toBe(fp);
    // The listener URL the gateway logs pins this identity.
    const listening = first.lines.find((l) => l.msg === 'gateway listening' && String(l.url).startsWith('quic://'));
    expect(String(listening?.url)).toMatch(new RegExp(`^quic://127\\.0\\.0\\.1:\\d+#${fp}$`));
    await first.node.stop(0);

    const second = await gateway();
    expect(second.lines.find((l) => l.msg === 'quic identity')).toMatchObject({ created: false, fingerprint: fp });
  });

  test('an agent dials the gateway over quic:// with the logged URL and gets a session', async () => {
    const gw = await gateway({ gateway: { tokens: [{ token: 'agent-secret', role: 'agent' }] } });
    const url = String(gw.lines.find((l) => l.msg === 'gateway listening' && String(l.url).startsWith('quic://'))!.url);
    const opened = new Promise<SessionInfo>((resolve) => gw.node.hooks.sessionOpen.tap('test', resolve));
    const agent = new TfgwNode({ config: { agent: { server: url, token: 'agent-secret', name: 'quicagent' } }, plugins: [quicPlugin()] });
    nodes.push(agent);
    await agent.start();
    const info = await opened;
    expect(info).toMatchObject({ transport: 'quic' });
    expect(gw.node.gateway!.sessions().some((s) => s.transport === 'quic')).toBe(true);
  });

  test('openssl computes the same fingerprint from the key file', () => {
    const file = path.join(dataDir, IDENTITY_FILE);
    const pem = execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519']);
    fs.writeFileSync(file, pem, { mode: 0o600 });
    const der = execFileSync('openssl', ['pkey', '-in', file, '-pubout', '-outform', 'DER']);
    const viaOpenssl = execFileSync('sha256sum', { input: der.subarray(der.length - 32) }).toString().split(' ')[0];
    return quicFingerprint(dataDir).then((fp) => expect(fp).toBe(viaOpenssl));
  });

  test('tfgw-quic-fingerprint prints it; exit 2 when there is no identity yet', async () => {
    const cli = path.resolve(__dirname, '../dist/cli.js');
    const none = spawnSync(process.execPath, [cli, dataDir], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(IDENTITY_FILE);
    await gateway();
    const ok = spawnSync(process.execPath, [cli, dataDir], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe(await quicFingerprint(dataDir));
  });
});

describe('quic options', () => {
  test.each([
    [{ listen: 'abc' }, 'listen', 'listen: expected "host:port", got "abc"'],
    [{ listen: ['127.0.0.1:1', 'x:99999'] }, 'listen[1]', undefined],
    [{ listen: '[.]:7443' }, 'listen', undefined],
    [{ keepaliveMs: -1 }, 'keepaliveMs', undefined],
    [{ keepaliveMs: 5000, idleTimeoutMs: 5000 }, 'keepaliveMs', undefined],
    [{ idleTimeoutMs: 'soon' }, 'idleTimeoutMs', undefined],
    [{ insecure: 'yes' }, 'insecure', undefined],
    [{ fingerprint: 'not-a-fingerprint' }, 'fingerprint', undefined],
    [{ maxStreams: 0 }, 'maxStreams', undefined],
    [{ maxStreams: 2 ** 21 }, 'maxStreams', 'maxStreams: expected an integer from 1 to 1048576, got 2097152'],
    [{ openTimeoutMs: 0 }, 'openTimeoutMs', undefined],
    [{ threads: 0 }, 'threads', undefined],
    [{ threads: 1.5 }, 'threads', undefined],
    [{ threads: 2048 }, 'threads', 'threads: expected an integer from 1 to 1024, got 2048'],
  ])('%j is refused with TFGW_ERR_CONFIG at %s', (options, p, message) => {
    let err: unknown;
    try {
      quicPlugin(options as Record<string, unknown>);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'TFGW_ERR_CONFIG', details: { path: p } });
    if (message) expect((err as Error).message).toBe(message);
  });

  test('defaults, IPv6 listen addresses, and normalised fingerprints', () => {
    const o = resolveQuicOptions({ listen: ['[::1]:7443', '0.0.0.0:7444'], fingerprint: 'SHA256:' + 'AB'.repeat(32) });
    expect(o).toMatchObject({
      listen: [
        { host: '::1', port: 7443 },
        { host: '0.0.0.0', port: 7444 },
      ],
      fingerprint: 'ab'.repeat(32),
      insecure: false,
      keepaliveMs: 2000,
      idleTimeoutMs: 30000,
      handshakeTimeoutMs: 10000,
      pendingOpens: 4096,
      openTimeoutMs: 10000,
    });
    // maxStreams: few per connection on a listener (many connections), many on a dialer (one).
    expect(o.maxStreams).toBeUndefined();
    expect([maxStreamsFor(o, 'listen'), maxStreamsFor(o, 'dial')]).toEqual([1024, 16384]);
    const set = resolveQuicOptions({ maxStreams: 4096 });
    expect([maxStreamsFor(set, 'listen'), maxStreamsFor(set, 'dial')]).toEqual([4096, 4096]);
    // Per-dial options keep the plugin's value unless they set their own.
    expect(resolveQuicOptions({}, set).maxStreams).toBe(4096);
    expect(parseFingerprint('ab:'.repeat(31) + 'ab')).toBe('ab'.repeat(32));
  });
});

describe('quic native package', () => {
  test('is picked per platform; this one loads', () => {
    expect(nativePackageName('darwin', 'arm64')).toBe('@chainsafe/libp2p-quic-darwin-arm64');
    expect(nativePackageName('win32', 'x64')).toBe('@chainsafe/libp2p-quic-win32-x64-msvc');
    expect(nativePackageName('linux', 'x64')).toMatch(/^@chainsafe\/libp2p-quic-linux-x64-(gnu|musl)$/);
    const pkg = require(`${nativePackageName()}/package.json`) as { version: string };
    expect(pkg.version).toBe(NATIVE_VERSION);
  });
});
