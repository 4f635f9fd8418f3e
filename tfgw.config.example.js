// The example deployment: every role's documented default port on loopback.
// `npm start` runs it. Tokens come from the environment, with development defaults.
const env = process.env;

module.exports = {
  zone: 'tfgw.localhost',
  dataDir: '.tfgw',
  log: { level: env.TFGW_LOG_LEVEL || 'info' },
  gateway: {
    publicAddresses: ['127.0.0.1'],
    tokens: [
      // Agent token: may claim any name. Client token: may reach any agent.
      { token: env.TFGW_TOKEN || 'dev-token', role: 'agent', names: ['*'] },
      { token: env.TFGW_CLIENT_TOKEN || 'dev-client', role: 'client', agents: ['*'] },
    ],
    ports: { tcp: '20000-20999', udp: '21000-21999' },
    graceMs: 30000,
  },
  transports: [
    ['tcp', { listen: '127.0.0.1:7000' }],
    ['tls', { listen: '127.0.0.1:7001' }],
    ['ws', { listen: '127.0.0.1:7080', path: '/_tfgw' }],
    // Keepalives every 2 s; a gateway silent for 6 s is dead, so agents reconnect quickly.
    ['quic', { listen: '127.0.0.1:7443', keepaliveMs: 2000, idleTimeoutMs: 6000 }],
  ],
  plugins: [
    ['protocol-tcp', { sni: '127.0.0.1:8443' }],
    ['protocol-udp', {}],
    ['protocol-http', { listen: '127.0.0.1:8080' }],
    ['protocol-ws', {}],
    ['dns-memory', {}],
    ['dns-dns2', { listen: '127.0.0.1:5353' }],
    ['admin', { listen: '127.0.0.1:7070', token: env.TFGW_ADMIN_TOKEN || 'dev-admin' }],
  ],
};
