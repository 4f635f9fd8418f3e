import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { ErrorCodes } from '@tfgw/core';
import { parseForwardFlag, parseServiceFlag } from '../src/cli/service-flags';
import { CLI } from '../../test/helpers/cli';

function tfgw(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('tfgw CLI contract', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--help and --version exit 0', () => {
    const help = tfgw(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/agent/);
    const version = tfgw(['--version']);
    expect(version.code).toBe(0);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(version.out.trim()).toBe(require('../package.json').version);
  });

  it('check: a bad config exits 2 and names the key', () => {
    const file = path.join(dir, 'bad.config.js');
    fs.writeFileSync(file, "module.exports = { transports: [['tcp', { listen: 'abc' }]] };\n");
    const r = tfgw(['check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('transports[0].listen');
    expect(r.err).toContain(ErrorCodes.CONFIG);
  });

  it('check: an unknown plugin exits 2 with TFGW_ERR_PLUGIN_NOT_FOUND', () => {
    const file = path.join(dir, 'unknown.config.js');
    fs.writeFileSync(file, "module.exports = { plugins: ['no-such-plugin'] };\n");
    const r = tfgw(['check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(ErrorCodes.PLUGIN_NOT_FOUND);
  });

  it('check: an agent config without transports or plugins gets what `tfgw agent` loads; given lists are kept', () => {
    const bare = path.join(dir, 'agent-bare.config.js');
    fs.writeFileSync(bare, "module.exports = { agent: { server: 'ws://127.0.0.1:7080/_tfgw', token: 't', name: 'a', services: [{ protocol: 'udp', target: '127.0.0.1:53' }] } };\n");
    const r = tfgw(['check', '--config', bare]);
    expect(r.code).toBe(0);
    for (const name of ['transport-tcp', 'transport-tls', 'transport-ws', 'protocol-tcp', 'protocol-udp']) expect(r.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    const given = path.join(dir, 'agent-given.config.js');
    fs.writeFileSync(given, "module.exports = { transports: ['ws'], plugins: [], agent: { server: 'ws://127.0.0.1:7080/_tfgw', token: 't', name: 'a' } };\n");
    const g = tfgw(['check', '--config', given]);
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/^  transport-ws /m);
    expect(g.out).not.toMatch(/^  (transport-tcp|protocol-udp) /m);
  });

  it('check: YAML, TypeScript and JSON configs load too', () => {
    const yaml = path.join(dir, 'tfgw.yaml');
    fs.writeFileSync(yaml, 'zone: example.localhost\ngateway:\n  tokens:\n    - token: a\n      role: agent\ntransports:\n  - [tcp, { listen: "127.0.0.1:7000" }]\n');
    const r = tfgw(['check', '--config', yaml]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/roles: gateway/);
    const ts = path.join(dir, 'tfgw.config.ts');
    fs.writeFileSync(ts, "const config: { zone: string; client: { server: string } } = { zone: 'ts.localhost', client: { server: 'tcp://127.0.0.1:7000' } };\nexport default config;\n");
    const tsRun = tfgw(['check', '--config', ts]);
    expect(tsRun.code).toBe(0);
    expect(tsRun.out).toMatch(/roles: client/);
    const json = path.join(dir, 'tfgw.json');
    fs.writeFileSync(json, JSON.stringify({ zone: 7 }));
    const bad = tfgw(['check', '--config', json]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('zone');
  });

  it('a missing config file exits 2', () => {
    const r = tfgw(['--config', path.join(dir, 'nope.js')]);
    expect(r.code).toBe(2);
  });

  it('agent: usage errors exit 2 and name the flag', () => {
    const noToken = tfgw(['agent', '--server', 'tcp://127.0.0.1:1', '--name', 'x'], { TFGW_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.err).toContain('--token');
    const badTcp = tfgw(['agent', '--server', 'tcp://127.0.0.1:1', '--name', 'x', '--token', 't', '--tcp', 'a=b=c']);
    expect(badTcp.code).toBe(2);
    expect(badTcp.err).toContain('--tcp');
    const unknownFlag = tfgw(['agent', '--bogus']);
    expect(unknownFlag.code).toBe(2);
  });

  it('agent: an unknown URL scheme exits 2 with TFGW_ERR_UNKNOWN_TRANSPORT', () => {
    const r = tfgw(['agent', '--server', 'gopher://127.0.0.1:7000', '--name', 'x', '--token', 't', '--tcp', '22']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(ErrorCodes.UNKNOWN_TRANSPORT);
  });
});

describe('service and forward flags', () => {
  it('parses the documented forms', () => {
    expect(parseServiceFlag('http', 'www=localhost:3000')).toEqual({ name: 'www', protocol: 'http', target: 'localhost:3000' });
    expect(parseServiceFlag('http', '3000')).toEqual({ name: '', protocol: 'http', target: '127.0.0.1:3000' });
    expect(parseServiceFlag('tcp', 'ssh=127.0.0.1:22@20022')).toEqual({ name: 'ssh', protocol: 'tcp', target: '127.0.0.1:22', port: 20022 });
    expect(parseServiceFlag('udp', '[::1]:53')).toEqual({ name: '', protocol: 'udp', target: '[::1]:53' });
    expect(parseForwardFlag('15432=demo/db')).toEqual({ listen: '127.0.0.1:15432', agent: 'demo', service: 'db', protocol: 'tcp' });
    expect(parseForwardFlag('127.0.0.1:5353=demo/dns/udp')).toEqual({ listen: '127.0.0.1:5353', agent: 'demo', service: 'dns', protocol: 'udp' });
    expect(parseForwardFlag('8000=demo/10.0.0.5:80')).toEqual({ listen: '127.0.0.1:8000', agent: 'demo', target: '10.0.0.5:80', protocol: 'tcp' });
  });

  it('either parses or throws TFGW_ERR_CONFIG naming the flag (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('http', 'tcp', 'udp', 'tls'), fc.string(), (proto, value) => {
        try {
          const s = parseServiceFlag(proto, value);
          expect(s.protocol).toBe(proto);
          expect(s.target).toMatch(/:\d+$/);
        } catch (err) {
          expect((err as { code: string }).code).toBe(ErrorCodes.CONFIG);
          expect((err as Error).message.startsWith(`--${proto}`)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string(), (value) => {
        try {
          const f = parseForwardFlag(value);
          expect(f.service !== undefined || f.target !== undefined).toBe(true);
        } catch (err) {
          expect((err as { code: string }).code).toBe(ErrorCodes.CONFIG);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
