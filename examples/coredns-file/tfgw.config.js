// tfgw writing RFC 1035 zone files that CoreDNS's `file` plugin serves (see Corefile).
//   TFGW_ZONE_DIR=/var/lib/tfgw/zones tfgw --config examples/coredns-file/tfgw.config.js
//   TFGW_ZONE_DIR=/var/lib/tfgw/zones coredns -conf examples/coredns-file/Corefile
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
    // One file per zone: $TFGW_ZONE_DIR/db.tfgw.localhost (default <dataDir>/zones).
    ['dns-coredns-file', { dir: env.TFGW_ZONE_DIR }],
    // CoreDNS answers (Corefile). To let tfgw answer too, on another port, add:
    // ['dns-dns2', { listen: '127.0.0.1:5354' }],
  ],
};
