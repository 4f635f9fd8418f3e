import { once } from 'node:events';
import tls from 'node:tls';
import { createSelfSignedCert } from '@tfgw/core';
import { runCli, type CliProcess } from '../helpers/cli';
import { ZONE, api, curlIngress, dig, startAdminGateway, startConfigAgent, webService, type AdminGateway } from './admin-fixture';

/**
 * Reservations through the admin API of the real CLI, seen by real `dig` and `curl`: a
 * name with records, a delegated zone whose `www` reaches the agent's `www` service, a
 * proxy hostname, 409 for other owners (never naming them), expiry after one second
 * removing records and routing, delete, and persistence across a restart.
 */
describe('admin reservations', () => {
  let gw: AdminGateway;
  let web: Awaited<ReturnType<typeof webService>>;
  let agent: CliProcess;
  let tlsEcho: tls.Server;
  const DELEGATED = 'example.test';

  beforeAll(async () => {
    web = await webService('alpha-www');
    // A TLS service (terminated by the service itself: the SNI route passes TLS through).
    tlsEcho = tls.createServer(createSelfSignedCert({ altNames: [`secure.${DELEGATED}`] }), (s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    tlsEcho.listen(0, '127.0.0.1');
    await once(tlsEcho, 'listening');
    const tlsPort = (tlsEcho.address() as { port: number }).port;
    // dns-dns2 reads its zone list once at start: a delegated zone is answered when listed there.
    gw = await startAdminGateway({ dns: true, sni: true, dnsOptions: { zones: [ZONE, DELEGATED] } });
    agent = await startConfigAgent(
      gw,
      'alpha',
      [
        { name: 'www', protocol: 'http', target: `127.0.0.1:${web.port}` },
        { name: '', protocol: 'http', target: `127.0.0.1:${web.port}` },
        { name: 'secure', protocol: 'tls', target: `127.0.0.1:${tlsPort}` },
      ],
      [`http:www.alpha.${ZONE}`, `http:alpha.${ZONE}`, `tls:secure.alpha.${ZONE}`],
    );
  });
  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
    await web?.close();
    tlsEcho?.close();
  });

  async function overSni(servername: string, text: string): Promise<string> {
    const s = tls.connect({ host: '127.0.0.1', port: gw.sni!, servername, rejectUnauthorized: false });
    s.on('error', () => undefined);
    await once(s, 'secureConnect');
    s.write(text);
    const [chunk] = (await once(s, 'data')) as [Buffer];
    s.destroy();
    return chunk.toString();
  }

  const reserve = (body: Record<string, unknown>) => api(gw.admin, 'POST', '/api/v1/reservations', { body });

  it('reserves a name with records that dig sees; another owner gets 409 without learning the owner', async () => {
    const name = `res.${ZONE}`;
    const r = await reserve({ type: 'name', name, owner: 'alice', records: { a: [{ ip: '10.1.2.3', ttl: 30 }], txt: [{ text: 'reserved by ops' }] } });
    expect(r.status).toBe(201);
    expect(r.json.reservation).toEqual(expect.objectContaining({ type: 'name', name, owner: 'alice', createdAt: expect.any(Number) }));
    expect(await dig(gw.dns!, name, 'A')).toEqual({ status: 'NOERROR', answers: ['10.1.2.3'] });
    expect((await dig(gw.dns!, name, 'TXT')).answers).toEqual(['"reserved by ops"']);

    const listed = (await api(gw.admin, 'GET', '/api/v1/reservations')).json.reservations;
    expect(listed).toContainEqual(expect.objectContaining({ name, owner: 'alice' }));
    expect((await api(gw.admin, 'GET', '/api/v1/names')).json.names).toContainEqual(expect.objectContaining({ fqdn: name, kind: 'reservation', owner: 'alice' }));
    expect((await api(gw.admin, 'GET', `/api/v1/reservations/${name}`)).json.reservation.owner).toBe('alice');

    const taken = await reserve({ type: 'name', name, owner: 'bob' });
    expect(taken.status).toBe(409);
    expect(taken.json.code).toBe('TFGW_ERR_NAME_TAKEN');
    expect(taken.text).not.toContain('alice');
    // The same owner replaces it.
    const replaced = await reserve({ type: 'name', name: `RES.${ZONE}.`, owner: 'alice', records: { a: [{ ip: '10.4.5.6' }] } });
    expect(replaced.status).toBe(201);
    expect((await dig(gw.dns!, name, 'A')).answers).toEqual(['10.4.5.6']);
    // Invalid records are refused with the DNS code and change nothing.
    const badRecords = await reserve({ type: 'name', name, owner: 'alice', records: { a: [{ ip: 'not-an-ip' }] } });
    expect(badRecords.status).toBe(400);
    expect(badRecords.json.code).toBe('TFGW_ERR_DNS');
    expect((await dig(gw.dns!, name, 'A')).answers).toEqual(['10.4.5.6']);
    // Outside the gateway's zones.
    expect((await reserve({ type: 'name', name: 'www.elsewhere.example', owner: 'alice' })).status).toBe(400);
  });

  it("refuses an agent's name to an operator (409, token id not leaked) and a reserved name to an agent", async () => {
    const agentName = await reserve({ type: 'name', name: `alpha.${ZONE}`, owner: 'ops' });
    expect(agentName.status).toBe(409);
    expect(agentName.json.code).toBe('TFGW_ERR_NAME_TAKEN');
    const owners = (await api(gw.admin, 'GET', '/api/v1/names')).json.names.map((n: { owner: string }) => n.owner);
    for (const o of owners) if (o !== 'alice') expect(agentName.text).not.toContain(o);

    expect((await reserve({ type: 'name', name: `bob.${ZONE}`, owner: 'ops' })).status).toBe(201);
    const bob = runCli(['agent', '--server', gw.server, '--token', 'dev-token', '--name', 'bob', '--http', `127.0.0.1:${web.port}`]);
    const [code] = (await once(bob.child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(bob.lines.join('\n')).toContain('TFGW_ERR_NAME_TAKEN');
    expect((await api(gw.admin, 'DELETE', `/api/v1/reservations/bob.${ZONE}`)).status).toBe(200);
  });

  it("delegates a zone to an agent: www.<zone> reaches the agent's www service, DNS answers for it", async () => {
    const r = await reserve({ type: 'delegation', name: DELEGATED, agent: 'alpha', owner: 'alice' });
    expect(r.status).toBe(201);
    expect(await curlIngress(gw.http, `www.${DELEGATED}`, '/page')).toEqual({ status: 200, body: 'alpha-www /page' });
    // The zone apex maps to the agent's unnamed service (here the same web server).
    expect((await curlIngress(gw.http, DELEGATED, '/apex')).status).toBe(200);
    expect((await curlIngress(gw.http, `nope.${DELEGATED}`, '/')).status).toBe(404);
    // SNI routing too: secure.<zone> reaches the agent's tls service "secure".
    expect(await overSni(`secure.${DELEGATED}`, 'over sni')).toBe('over sni');
    expect((await dig(gw.dns!, `www.${DELEGATED}`, 'A')).answers).toEqual(['127.0.0.1']);
    expect((await dig(gw.dns!, DELEGATED, 'SOA')).status).toBe('NOERROR');
    const records = (await api(gw.admin, 'GET', `/api/v1/records?zone=${DELEGATED}`)).json.zones[DELEGATED];
    expect(records['*'].a).toEqual([{ ip: '127.0.0.1', ttl: 60 }]);

    const other = await reserve({ type: 'delegation', name: DELEGATED, agent: 'alpha', owner: 'bob' });
    expect(other.status).toBe(409);
    expect(other.text).not.toContain('alice');
    const own = await reserve({ type: 'delegation', name: ZONE, agent: 'alpha', owner: 'alice' });
    expect(own.status).toBe(409);
    expect(own.json.code).toBe('TFGW_ERR_NAME_TAKEN');
  });

  it('delegates a sub-zone of the gateway zone: answered in DNS from the parent zone, removed with it', async () => {
    const team = `team.${ZONE}`;
    expect((await reserve({ type: 'delegation', name: team, agent: 'alpha', owner: 'alice' })).status).toBe(201);
    expect(await curlIngress(gw.http, `www.${team}`, '/t')).toEqual({ status: 200, body: 'alpha-www /t' });
    expect((await dig(gw.dns!, `www.${team}`, 'A')).answers).toEqual(['127.0.0.1']);
    expect((await dig(gw.dns!, team, 'A')).answers).toEqual(['127.0.0.1']);
    expect((await api(gw.admin, 'DELETE', `/api/v1/reservations/${team}`)).status).toBe(200);
    expect((await dig(gw.dns!, `www.${team}`, 'A')).status).toBe('NXDOMAIN');
    expect((await curlIngress(gw.http, `www.${team}`, '/t')).status).toBe(404);
    // An agent's own name cannot be delegated away by another owner.
    const taken = await reserve({ type: 'delegation', name: `alpha.${ZONE}`, agent: 'alpha', owner: 'ops' });
    expect(taken.status).toBe(409);
    expect(taken.json.code).toBe('TFGW_ERR_NAME_TAKEN');
  });

  it('routes a proxy hostname to a route; a hostname that already routes elsewhere is 409', async () => {
    const r = await reserve({ type: 'proxy', name: 'shop.customer.example', route: `http:www.alpha.${ZONE}`, owner: 'alice' });
    expect(r.status).toBe(201);
    expect(await curlIngress(gw.http, 'shop.customer.example', '/cart')).toEqual({ status: 200, body: 'alpha-www /cart' });
    const clash = await reserve({ type: 'proxy', name: `www.alpha.${ZONE}`, route: `http:alpha.${ZONE}`, owner: 'alice' });
    expect(clash.status).toBe(409);
    expect(clash.json.code).toBe('TFGW_ERR_NAME_TAKEN');
    const takenByOther = await reserve({ type: 'proxy', name: 'shop.customer.example', route: `http:alpha.${ZONE}`, owner: 'bob' });
    expect(takenByOther.status).toBe(409);
    expect(takenByOther.text).not.toContain('alice');
  });

  it('expires a one-second reservation: its records and its route go', async () => {
    const name = `brief.${ZONE}`;
    const mark = gw.proc.lines.length;
    expect((await reserve({ type: 'name', name, owner: 'alice', ttlSeconds: 1, records: { a: [{ ip: '10.9.9.9' }] } })).status).toBe(201);
    expect((await reserve({ type: 'proxy', name: 'brief.customer.example', route: `http:www.alpha.${ZONE}`, owner: 'alice', expiresAt: new Date(Date.now() + 1000).toISOString() })).status).toBe(201);
    expect((await dig(gw.dns!, name, 'A')).answers).toEqual(['10.9.9.9']);
    expect((await curlIngress(gw.http, 'brief.customer.example', '/')).status).toBe(200);

    await gw.proc.waitFor(/"reservation":"brief\.tfgw\.localhost".*"msg":"reservation expired"/, 10000, mark);
    await gw.proc.waitFor(/"reservation":"brief\.customer\.example".*"msg":"reservation expired"/, 10000, mark);
    expect(await dig(gw.dns!, name, 'A')).toEqual({ status: 'NXDOMAIN', answers: [] });
    expect((await curlIngress(gw.http, 'brief.customer.example', '/')).status).toBe(404);
    const names = (await api(gw.admin, 'GET', '/api/v1/reservations')).json.reservations.map((x: { name: string }) => x.name);
    expect(names).not.toContain(name);
    expect(names).not.toContain('brief.customer.example');
    expect((await reserve({ type: 'name', name, owner: 'alice', expiresAt: Date.now() - 1000 })).status).toBe(400);
  });

  it('deletes reservations: 404 unknown, 409 for another owner, records and routing removed', async () => {
    const unknown = await api(gw.admin, 'DELETE', `/api/v1/reservations/never.${ZONE}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('TFGW_ERR_NOT_FOUND');
    const wrongOwner = await api(gw.admin, 'DELETE', `/api/v1/reservations/res.${ZONE}?owner=bob`);
    expect(wrongOwner.status).toBe(409);
    expect(wrongOwner.text).not.toContain('alice');

    const gone = await api(gw.admin, 'DELETE', `/api/v1/reservations/res.${ZONE}?owner=alice`);
    expect(gone.status).toBe(200);
    expect(gone.json.removed.name).toBe(`res.${ZONE}`);
    expect((await dig(gw.dns!, `res.${ZONE}`, 'A')).status).toBe('NXDOMAIN');
    // Through the names endpoint too (a reserved name drops its reservation).
    expect((await reserve({ type: 'name', name: `tmp.${ZONE}`, owner: 'alice' })).status).toBe(201);
    expect((await dig(gw.dns!, `tmp.${ZONE}`, 'A')).answers).toEqual(['127.0.0.1']);
    expect((await api(gw.admin, 'DELETE', `/api/v1/names/tmp.${ZONE}`)).status).toBe(200);
    expect((await api(gw.admin, 'GET', `/api/v1/reservations/tmp.${ZONE}`)).status).toBe(404);
    expect((await dig(gw.dns!, `tmp.${ZONE}`, 'A')).status).toBe('NXDOMAIN');
  });

  it('keeps reservations across a restart', async () => {
    expect((await reserve({ type: 'name', name: `kept.${ZONE}`, owner: 'alice', records: { a: [{ ip: '10.7.7.7' }] } })).status).toBe(201);
    await gw.proc.stop();
    await gw.restart();
    const listed = (await api(gw.admin, 'GET', '/api/v1/reservations')).json.reservations.map((x: { type: string; name: string }) => `${x.type}:${x.name}`).sort();
    expect(listed).toEqual([`delegation:${DELEGATED}`, `name:kept.${ZONE}`, 'proxy:shop.customer.example']);
    expect((await dig(gw.dns!, `kept.${ZONE}`, 'A')).answers).toEqual(['10.7.7.7']);
    // The agent re-registered its routes; the proxy alias and the delegation route again.
    await gw.proc.waitFor(/"route":"http:www\.alpha\.tfgw\.localhost".*"msg":"route added"/, 20000);
    await gw.proc.waitFor(/"route":"tls:secure\.alpha\.tfgw\.localhost".*"msg":"route added"/, 20000);
    expect((await curlIngress(gw.http, 'shop.customer.example', '/again')).status).toBe(200);
    expect((await curlIngress(gw.http, `www.${DELEGATED}`, '/again')).status).toBe(200);
    expect(await overSni(`secure.${DELEGATED}`, 'after restart')).toBe('after restart');
    // Removing the delegation removes its routing and its records.
    expect((await api(gw.admin, 'DELETE', `/api/v1/reservations/${DELEGATED}`)).status).toBe(200);
    expect((await curlIngress(gw.http, `www.${DELEGATED}`, '/')).status).toBe(404);
    expect((await api(gw.admin, 'GET', `/api/v1/records?zone=${DELEGATED}`)).status).toBe(404);
  });
});
