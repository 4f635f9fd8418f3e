import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QuicTransport } from '../src';
import { describeTransportCompliance } from '../../../test/compliance/transport-suite';

// The dial URL is the listener's `address.url`, which pins the listener's fingerprint in its
// fragment. A dial to a port nobody serves can only time out over UDP (ICMP is not used):
// 5 s keeps that test short and leaves 200 parallel handshakes on a busy machine room.
describeTransportCompliance('quic (identity in a data dir, pinned by the URL fragment)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-quic-'));
  return {
    transport: new QuicTransport({ dataDir }),
    listenUrl: new URL('quic://127.0.0.1:0'),
    dialOptions: { handshakeTimeoutMs: 5000 },
    cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
});
