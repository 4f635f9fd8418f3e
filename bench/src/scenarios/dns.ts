import fs from 'node:fs';
import path from 'node:path';
import { startBind } from '../rivals/bind';
import { freePort } from '../ports';
import { tfgwSystems, ZONE } from '../tfgw';
import type { Scenario, System } from '../types';
import { dnsperf } from '../tools/dnsperf';

/** Records in the zone both servers answer from. */
const RECORDS = 200;
/** Agent name whose services make the records (`sN.bench-tcp.tfgw.localhost`). */
const AGENT = 'bench-tcp';

/** dnsperf against the built-in DNS server vs BIND 9 serving the same 200 names. */
export const dns: Scenario = {
  name: 'dns',
  title: 'Authoritative DNS (dnsperf)',
  description:
    `dnsperf (4 clients, 100 outstanding) over UDP cycling through A queries for ${RECORDS} names. ` +
    `tfgw: the gateway's dns-dns2 server answering from dns-memory; the names are made the way users make them, by one agent ` +
    `registering ${RECORDS} HTTP services \`s1..s${RECORDS}\` (so \`sN.${AGENT}.${ZONE}\` A 127.0.0.1). ` +
    'BIND 9: `named -n 1` (one worker thread), primary for the same zone with the same records from a zone file, recursion off.',
  tools: ['dnsperf', 'named'],
  measurements: [
    {
      key: 'dnsperf',
      label: 'dnsperf',
      figures: [
        { key: 'qps', label: 'queries/s', better: 'higher' },
        { key: 'avgMs', label: 'mean latency, ms', better: 'lower' },
        { key: 'lost', label: 'lost queries, %', better: 'lower', noRatio: true },
      ],
      cost: { label: 'CPU per query, µs', scale: 1e6 },
    },
  ],
  async setup(ctx) {
    const names = Array.from({ length: RECORDS }, (_, i) => `s${i + 1}.${AGENT}`);
    const queryFile = path.join(ctx.dir, 'queries.txt');
    fs.writeFileSync(queryFile, names.map((n) => `${n}.${ZONE} A`).join('\n') + '\n');
    // The agent's services are never dialed (DNS only): any port will do.
    const unusedTarget = await freePort();
    const tfgwAll = await tfgwSystems(ctx, {
      plugins: ['protocol-http', 'dns-memory', 'dns-dns2'],
      serviceFlags: () => names.flatMap((n) => ['--http', `${n.split('.')[0]}=127.0.0.1:${unusedTarget}`]),
      expect: RECORDS,
      toData: (_agent, gw) => ({ port: gw.dnsPort, queryFile }),
      transports: ['tcp'],
    });
    const tfgw = tfgwAll[0];
    tfgw.name = 'tfgw';
    // The agent only feeds the store; DNS load lands on the gateway alone.
    if (tfgw.procs.gateway) tfgw.procs = { gateway: tfgw.procs.gateway };
    const zone = [
      '$TTL 300',
      `@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 86400 300`,
      `@ IN NS ns1.${ZONE}.`,
      'ns1 IN A 127.0.0.1',
      ...names.map((n) => `${n} IN A 127.0.0.1`),
      '',
    ].join('\n');
    const bind: System = { name: 'BIND 9', tfgw: false, procs: {}, data: {} };
    try {
      const port = await freePort();
      const p = await startBind(ctx.scope, ctx.dir, port, ZONE, zone);
      bind.procs = { named: p.pid };
      bind.data = { port, queryFile };
      bind.setupCommands = [p.commandLine.replaceAll(ctx.dir, '<tmp>')];
    } catch (e) {
      bind.unavailable = (e as Error).message.split('\n')[0];
    }
    return [tfgw, bind];
  },
  async measure(ctx, sys, _m, commands) {
    const r = await dnsperf(sys.data.port as number, sys.data.queryFile as string, ctx.seconds, commands);
    return { qps: r.qps, avgMs: r.avgMs, lost: r.lostPct, work: r.completed };
  },
};
