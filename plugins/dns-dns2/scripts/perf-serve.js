#!/usr/bin/env node
// Serves tfgw.localhost from dns-memory through dns-dns2 on 127.0.0.1:PORT, with the records a
// gateway writes for an agent named "demo", for load tests:
//   node plugins/dns-dns2/scripts/perf-serve.js 15400 &
//   printf 'www.demo.tfgw.localhost A\nfoo.demo.tfgw.localhost AAAA\ntfgw.localhost SOA\nnope.tfgw.localhost A\ntfgw.localhost NS\n' > /tmp/q.txt
//   dnsperf -s 127.0.0.1 -p 15400 -d /tmp/q.txt -l 5 -c 4 -Q 1000000
'use strict';
const path = require('node:path');
const root = path.resolve(__dirname, '../../..');
const { TfgwNode } = require(path.join(root, 'core/dist'));
const dnsMemory = require(path.join(root, 'plugins/dns-memory/dist')).default;
const dnsDns2 = require(path.join(root, 'plugins/dns-dns2/dist')).default;

(async () => {
  const port = Number(process.argv[2] ?? 15400);
  const node = new TfgwNode({ plugins: [dnsMemory({ file: false }), dnsDns2({ listen: `127.0.0.1:${port}` })] });
  // stand-in for the gateway role: zones and public addresses
  node.gateway = { zones: ['tfgw.localhost'], publicAddresses: { ipv4: ['127.0.0.1'], ipv6: ['::1'] }, names: () => [] };
  await node.start();
  node.hooks.nameAdded.call({ fqdn: 'demo.tfgw.localhost', zone: 'tfgw.localhost', owner: 'perf', kind: 'agent' });
  console.log(`dns on 127.0.0.1:${port}`);
  const stop = () => node.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
})();
