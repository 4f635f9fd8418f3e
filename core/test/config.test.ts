import fc from 'fast-check';
import { validateConfig, assertValidConfig, ErrorCodes, createNode, TfgwNode, type TfgwPlugin } from '@tfgw/core';

describe('config validation', () => {
  it('accepts the example config', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(validateConfig(require('../../tfgw.config.example.js'))).toEqual([]);
  });

  it('names the offending key and the problem', () => {
    const problems = validateConfig({ gateway: { tokens: [{ token: 'x', role: 'admin' }], ports: { tcp: 'abc' } }, agent: { server: 'nope', name: 'bad name' } });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['gateway.tokens[0].role', 'gateway.ports.tcp', 'agent.server', 'agent.name']));
  });

  it('rejects unknown top-level keys and bad plugin entries', () => {
    const problems = validateConfig({ gatway: {}, plugins: [42, ['x', 'y']] });
    expect(problems.map((p) => p.path)).toEqual(['gatway', 'plugins[0]', 'plugins[1][1]']);
  });

  it('throws one TFGW_ERR_CONFIG with details.path', () => {
    try {
      assertValidConfig({ log: { level: 'loud' } });
      throw new Error('not thrown');
    } catch (err) {
      expect((err as { code: string }).code).toBe(ErrorCodes.CONFIG);
      expect((err as { details: { path: string } }).details.path).toBe('log.level');
    }
  });

  it('never throws on arbitrary input, only reports problems (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const problems = validateConfig(value);
        expect(Array.isArray(problems)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('plugin loading', () => {
  const inline = (name: string, deps: string[] = []): TfgwPlugin => ({ name, dependencies: deps, apply: () => undefined });

  it('fails on unknown plugins with TFGW_ERR_PLUGIN_NOT_FOUND and the config path', () => {
    expect(() => createNode({ plugins: [['no-such-plugin-xyz', {}]] })).toThrow(expect.objectContaining({ code: ErrorCodes.PLUGIN_NOT_FOUND, details: expect.objectContaining({ path: 'plugins[0]' }) }));
  });

  it('fails on duplicate names', () => {
    expect(() => createNode({ plugins: [inline('a'), inline('a')] })).toThrow(expect.objectContaining({ code: ErrorCodes.PLUGIN_DUPLICATE }));
  });

  it('fails at start on missing dependencies', async () => {
    const node = new TfgwNode({ plugins: [inline('b', ['a'])] });
    await expect(node.start()).rejects.toMatchObject({ code: ErrorCodes.PLUGIN_DEPENDENCY });
  });

  it('loads a plugin from a path relative to the config folder and passes its options', () => {
    const { plugins } = createNode({ plugins: [['./fixtures/echo-plugin.js', { greeting: 'hi' }]] }, { baseDir: __dirname });
    expect(plugins[0].plugin.name).toBe('echo-plugin:hi');
  });

  it('rejects a module that exports no factory', () => {
    expect(() => createNode({ plugins: [['./fixtures/not-a-plugin.js', {}]] }, { baseDir: __dirname })).toThrow(expect.objectContaining({ code: ErrorCodes.PLUGIN_INVALID }));
  });

  it('prefixes option errors thrown by a factory with the config path', () => {
    expect(() => createNode({ plugins: [['./fixtures/echo-plugin.js', { greeting: 7 }]] }, { baseDir: __dirname })).toThrow(
      expect.objectContaining({ code: ErrorCodes.CONFIG, message: expect.stringContaining('plugins[0].greeting'), details: expect.objectContaining({ path: 'plugins[0].greeting' }) }),
    );
  });
});
