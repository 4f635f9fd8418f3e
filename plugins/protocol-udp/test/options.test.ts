import protocolUdp from '../src/index';
import { resolveUdpOptions, serviceLimits } from '../src/options';

describe('protocol-udp options', () => {
  it('has documented defaults', () => {
    expect(resolveUdpOptions({})).toEqual({ host: '127.0.0.1', idleTimeoutMs: 60000, maxAssociations: 1024, pendingDatagrams: 64, maxBufferedBytes: 1048576 });
  });

  it.each([
    [{ idleTimeoutMs: 0 }, 'idleTimeoutMs'],
    [{ maxAssociations: 'many' }, 'maxAssociations'],
    [{ host: 'example.com' }, 'host'],
    [{ idle: 1 }, 'idle'],
  ])('refuses %j naming the key', (opts, key) => {
    expect(() => protocolUdp(opts as never)).toThrow(expect.objectContaining({ code: 'TFGW_ERR_CONFIG', details: expect.objectContaining({ path: key }) }));
  });

  it('lets a service lower its limits, never raise them', () => {
    const plugin = resolveUdpOptions({ maxAssociations: 10, idleTimeoutMs: 5000 });
    expect(serviceLimits(plugin, {})).toEqual({ idleTimeoutMs: 5000, maxAssociations: 10 });
    expect(serviceLimits(plugin, { maxAssociations: 3, idleTimeoutMs: 1000 })).toEqual({ idleTimeoutMs: 1000, maxAssociations: 3 });
    expect(serviceLimits(plugin, { maxAssociations: 1000, idleTimeoutMs: 1e6 })).toEqual({ idleTimeoutMs: 5000, maxAssociations: 10 });
    expect(() => serviceLimits(plugin, { maxAssociations: -1 })).toThrow(expect.objectContaining({ code: 'TFGW_ERR_BAD_MESSAGE' }));
  });
});
