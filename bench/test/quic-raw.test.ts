import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Scope } from '../src/procs';
import { startQuicRawPair } from '../src/quic-raw';

/** The built worker (npm test builds first), as the bench and quic-raw-cost.js run it. */
const WORKER = path.resolve(__dirname, '../dist/workers/quic-raw.js');
const CHUNK = 128 * 1024;

/** The `quic raw` worker pair (the real QUIC library, listener and dialer) and its `tput` pacing. */
describe('quic-raw worker', () => {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quic-raw-test-'));
  const scope = new Scope(logDir);
  afterAll(async () => {
    await scope.close();
    fs.rmSync(logDir, { recursive: true, force: true });
  });

  it('tput with MBPS never sends ahead of that rate', async () => {
    const pair = await startQuicRawPair(scope, WORKER);
    const mbps = 16;
    const started = process.hrtime.bigint();
    const r = await pair.command<{ bytes: number }>('tput', [1, 2, mbps], 30_000);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(r.bytes).toBeGreaterThan(0);
    // Paced, the bytes stay within the rate over however long the run took, plus the chunk
    // each stream may have in flight; unpaced, loopback carries hundreds of MB in that time.
    expect(r.bytes).toBeLessThanOrEqual((mbps * 1e6 * seconds) / 8 + 2 * CHUNK);
  });
});
