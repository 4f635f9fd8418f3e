// @ts-check
'use strict';
// A custom gateway composed in code: no config file, plugins passed as objects, and a hook
// tapped inline. Run: node examples/custom-gateway/index.js
// Env: GW_CONTROL (default 127.0.0.1:7000), GW_HTTP (127.0.0.1:8080), GW_TOKEN (dev-token).
const { TfgwNode, createLogger } = require('@tfgw/core');
const tcpTransport = require('@tfgw/transport-tcp').default;
const protocolTcp = require('@tfgw/protocol-tcp').default;
const protocolHttp = require('@tfgw/protocol-http').default;

async function main() {
  const log = createLogger({ level: process.env.TFGW_LOG_LEVEL || 'info' });
  const node = new TfgwNode({
    logger: log,
    config: {
      zone: 'custom.localhost',
      gateway: {
        publicAddresses: ['127.0.0.1'],
        tokens: [{ token: process.env.GW_TOKEN || 'dev-token', role: 'agent', names: ['*'] }],
        ports: { tcp: process.env.GW_TCP_PORTS || '22000-22099' },
      },
    },
    plugins: [
      tcpTransport({ listen: process.env.GW_CONTROL || '127.0.0.1:7000' }),
      protocolTcp({}),
      protocolHttp({ listen: process.env.GW_HTTP || '127.0.0.1:8080' }),
      {
        // An inline plugin: stamp every proxied HTTP request with a header.
        name: 'stamp-requests',
        apply(n) {
          n.hooks.httpRequest.tap('stamp-requests', (req) => {
            req.headers['x-custom-gateway'] = 'yes';
            return undefined;
          });
          n.hooks.routeAdded.tap('stamp-requests', (route) => log.info({ url: route.url }, 'custom gateway: route added'));
        },
      },
    ],
  });
  await node.start();
  log.info('custom gateway ready');
  const stop = () => node.stop(2000).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`custom-gateway: ${err.message} [${err.code ?? 'ERR'}]\n`);
  process.exit(err.code === 'TFGW_ERR_CONFIG' ? 2 : 1);
});
