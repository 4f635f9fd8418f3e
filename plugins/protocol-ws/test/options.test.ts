import protocolWs from '../src/index';
import { WS_DEFAULTS, resolveWsOptions, routeWsOptions } from '../src/options';

describe('protocol-ws options', () => {
  it('has documented defaults and depends on protocol-http', () => {
    expect(resolveWsOptions(undefined)).toEqual({ maxMessageBytes: 64 * 1024 * 1024, idleTimeoutMs: 300000, handshakeTimeoutMs: 30000 });
    const p = protocolWs({});
    expect(p.name).toBe('protocol-ws');
    expect(p.dependencies).toEqual(['protocol-http']);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ maxMessageBytes: -1 }, 'maxMessageBytes'],
    [{ idleTimeoutMs: 'soon' }, 'idleTimeoutMs'],
    [{ maxMesageBytes: 1 }, 'maxMesageBytes'],
  ])('refuses %p naming %s', (options, path) => {
    expect(() => protocolWs(options as never)).toThrow(expect.objectContaining({ code: 'TFGW_ERR_CONFIG', details: expect.objectContaining({ path }) }));
  });

  it('a service may only lower the gateway limits', () => {
    const gw = { ...WS_DEFAULTS, maxMessageBytes: 1000, idleTimeoutMs: 0 };
    expect(routeWsOptions({}, gw)).toEqual({ websocketOnly: false, maxMessageBytes: 1000, idleTimeoutMs: 0 });
    expect(routeWsOptions({ maxMessageBytes: 10, idleTimeoutMs: 50, websocketOnly: true }, gw)).toEqual({ websocketOnly: true, maxMessageBytes: 10, idleTimeoutMs: 50 });
    expect(routeWsOptions({ maxMessageBytes: 5000 }, gw).maxMessageBytes).toBe(1000);
    expect(routeWsOptions({ maxMessageBytes: 0 }, gw).maxMessageBytes).toBe(1000);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ websocketOnly: 'yes' }, 'options.websocketOnly'],
    [{ maxMessageBytes: 1.5 }, 'options.maxMessageBytes'],
    [{ idleTimeoutMs: -5 }, 'options.idleTimeoutMs'],
  ])('refuses service options %p naming %s', (options, path) => {
    expect(() => routeWsOptions(options, WS_DEFAULTS)).toThrow(expect.objectContaining({ code: 'TFGW_ERR_CONFIG', details: { path } }));
  });
});
