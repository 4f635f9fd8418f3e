#!/usr/bin/env node
import { quicFingerprint } from './identity';

/**
 * `tfgw-quic-fingerprint [DATA_DIR]`: print the fingerprint of the gateway's QUIC identity
 * in DATA_DIR (default `.tfgw`), for agents and clients to pin as `quic://host:port#FP`.
 * Exit 0 printed, 2 no identity there yet / unreadable key, 1 anything else.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length > 1) {
    process.stderr.write('usage: tfgw-quic-fingerprint [DATA_DIR]   (default .tfgw)\nPrints the SHA-256 fingerprint of DATA_DIR/quic-identity.key.\n');
    return argv.length > 1 ? 2 : 0;
  }
  try {
    process.stdout.write(`${await quicFingerprint(argv[0] ?? '.tfgw')}\n`);
    return 0;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`tfgw-quic-fingerprint: ${e.message ?? String(err)}\n`);
    return e.code === 'TFGW_ERR_CONFIG' ? 2 : 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
