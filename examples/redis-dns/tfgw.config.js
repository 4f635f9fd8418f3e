// tfgw with its DNS records in Redis, in the schema CoreDNS's redis plugin reads.
//   REDIS_URL=redis://127.0.0.1:6379 tfgw --config examples/redis-dns/tfgw.config.js
const env = process.env;

module.exports = {
  zone: 'tfgw.localhost',
  dataDir: '.tfgw',
  log: { level: env.TFGW_LOG_LEVEL || 'info' },
  gateway: {
    publicAddresses: ['127.0.0.1'],
    tokens: [
      { token: env.TFGW_TOKEN || 'dev-token', role: 'agent', names: ['*'] },
      { token: env.TFGW_CLIENT_TOKEN || 'dev-client', role: 'client', agents: ['*'] },
    ],
  },
  transports: [['tcp', { listen: '127.0.0.1:7000' }]],
  plugins: [
    ['protocol-http', { listen: '127.0.0.1:8080' }],
    // Records live in Redis: one hash per zone ("tfgw.localhost."), one field per label.
    // prefix / suffix match CoreDNS's key_prefix / key_suffix when a fleet uses them.
    ['dns-redis', { url: env.REDIS_URL || 'redis://127.0.0.1:6379', prefix: env.TFGW_REDIS_PREFIX || '' }],
    // tfgw answers from the same records; drop this entry when CoreDNS serves them instead.
    ['dns-dns2', { listen: env.TFGW_DNS_LISTEN || '127.0.0.1:5353' }],
  ],
};
