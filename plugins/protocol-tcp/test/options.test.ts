import protocolTcp from '../src/index';
import { readProxyProtocol, resolveTcpOptions } from '../src/options';
import { proxyProtocolServices } from '../src/proxy-protocol-dial';
import { tlsAlertRecord, TlsAlert } from '../src/tls-alert';

describe('protocol-tcp options', () => {
  it('has documented defaults', () => {
    expect(resolveTcpOptions({})).toEqual({ host: '127.0.0.1', helloTimeoutMs: 10000, helloMaxBytes: 16384, connectTimeoutMs: 10000 });
    expect(resolveTcpOptions({ sni: '127.0.0.1:8443' }).sni).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(resolveTcpOptions({ sni: '[::1]:0' }).sni).toEqual({ host: '::1', port: 0 });
  });

  it.each([
    [{ sni: 'x' }, 'sni'],
    [{ sni: 8443 }, 'sni'],
    [{ host: 'localhost' }, 'host'],
    [{ helloTimeoutMs: -1 }, 'helloTimeoutMs'],
    [{ helloMaxBytes: 1e9 }, 'helloMaxBytes'],
    [{ lisen: '1' }, 'lisen'],
  ])('refuses %j naming the key', (opts, key) => {
    expect(() => protocolTcp(opts as never)).toThrow(expect.objectContaining({ code: 'TFGW_ERR_CONFIG', details: expect.objectContaining({ path: key }) }));
  });

  it('says what sni expects', () => {
    expect(() => resolveTcpOptions({ sni: 'x' })).toThrow('sni: expected "host:port", got "x"');
  });

  it('reads proxyProtocol 1 or 2 and refuses anything else', () => {
    expect(readProxyProtocol({ proxyProtocol: 1 }, 'p')).toBe(1);
    expect(readProxyProtocol({ proxyProtocol: 2 }, 'p')).toBe(2);
    expect(readProxyProtocol({}, 'p')).toBeUndefined();
    expect(() => readProxyProtocol({ proxyProtocol: 3 }, 'agent.services[0].options.proxyProtocol')).toThrow(
      expect.objectContaining({ code: 'TFGW_ERR_CONFIG', details: { path: 'agent.services[0].options.proxyProtocol' } }),
    );
    const svcs = proxyProtocolServices([
      { name: 'Web', protocol: 'tcp', target: '1.2.3.4:80', options: { proxyProtocol: 2 } },
      { protocol: 'tls', target: 'a:1' },
      { name: 'secure', protocol: 'tls', target: 'a:2', options: { proxyProtocol: 1 } },
    ]);
    expect(svcs.none).toBe(false);
    expect(svcs.versionFor({ protocol: 'tcp', service: 'WEB' })).toEqual({ version: 2, key: 'web/tcp' });
    expect(svcs.versionFor({ protocol: 'tls', service: '' })).toBeUndefined();
    // a client's tcp stream to a tls service gets the header the service expects
    expect(svcs.versionFor({ protocol: 'tcp', service: 'secure' })).toEqual({ version: 1, key: 'secure/tls' });
    expect(svcs.versionFor({ protocol: 'udp', service: 'secure' })).toBeUndefined();
    expect(svcs.versionFor({ protocol: 'tcp', target: '1.2.3.4:80' })).toBeUndefined();
    expect(proxyProtocolServices([{ protocol: 'tcp', target: 'a:1' }]).none).toBe(true);
  });

  it('builds fatal alert records', () => {
    expect([...tlsAlertRecord(TlsAlert.unrecognizedName, 0x0301)]).toEqual([21, 3, 1, 0, 2, 2, 112]);
    expect([...tlsAlertRecord(TlsAlert.decodeError, 0x0304)]).toEqual([21, 3, 3, 0, 2, 2, 50]);
  });
});
