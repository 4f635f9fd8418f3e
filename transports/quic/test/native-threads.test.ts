import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ErrorCodes } from '@tfgw/core';
import { defaultThreads, THREADS_ENV } from '../src/native';

const run = promisify(execFile);
const NATIVE = path.resolve(__dirname, '../dist/native.js');
const INDEX = path.resolve(__dirname, '../dist/index.js');

/**
 * The library starts its runtime once per process, when it loads, so each case runs in a
 * fresh Node process (the built dist, as `npm test` builds first) and reports what it got:
 * the runtime's threads counted by name in /proc (Linux), whether the variable leaked into
 * the environment, and the error code of a refused load or second load.
 */
const PROBE = `
const fs = require('node:fs');
const { loadNative } = require(${JSON.stringify(NATIVE)});
const { generateIdentity, nativeConfig, resolveQuicOptions } = require(${JSON.stringify(INDEX)});
const [first, second] = JSON.parse(process.argv[1]);
const out = {};
(async () => {
try {
  const native = loadNative(first ?? undefined);
  out.threads = native.threads;
  // Worker threads name themselves once started; a handshake has them all running.
  const config = native.createConfig(nativeConfig(resolveQuicOptions({}), generateIdentity(), 'listen'));
  const server = native.createServer(config, '127.0.0.1', 0);
  const client = native.createClient(config, 4);
  const accepted = server.inboundConnection();
  const conn = await client.outboundConnection('127.0.0.1', server.port());
  (await accepted).abort();
  conn.abort();
  client.abort();
  await server.abort();
  out.workers = fs.readdirSync('/proc/self/task').filter((t) => fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === 'tokio-rt-worker').length;
  out.env = process.env.${THREADS_ENV} ?? null;
  if (second !== undefined) loadNative(second);
} catch (err) {
  out.code = err.code;
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
})();
`;

interface Probe {
  threads?: number;
  workers?: number;
  env?: string | null;
  code?: string;
}

async function probe(args: [number | null, number?], env: Record<string, string> = {}): Promise<Probe> {
  const clean = { ...process.env };
  delete clean[THREADS_ENV];
  const { stdout } = await run(process.execPath, ['-e', PROBE, JSON.stringify(args)], { env: { ...clean, ...env } });
  return JSON.parse(stdout) as Probe;
}

const linux = process.platform === 'linux' && fs.existsSync('/proc/self/task');

(linux ? describe : describe.skip)('QUIC runtime threads (Linux: counted in /proc)', () => {
  test('default: half the cores, at least one; the variable does not leak to children', async () => {
    const r = await probe([null]);
    expect(r).toEqual({ threads: defaultThreads(), workers: defaultThreads(), env: null });
  });

  test('the threads option sets the count', async () => {
    expect(await probe([3])).toEqual({ threads: 3, workers: 3, env: null });
  });

  test('TOKIO_WORKER_THREADS applies when the option is not set, and stays as it was', async () => {
    expect(await probe([null], { [THREADS_ENV]: '2' })).toEqual({ threads: 2, workers: 2, env: '2' });
  });

  test('a bad TOKIO_WORKER_THREADS is a config error, not a crash of the runtime', async () => {
    expect(await probe([null], { [THREADS_ENV]: 'many' })).toEqual({ code: ErrorCodes.CONFIG });
    expect(await probe([null], { [THREADS_ENV]: '0' })).toEqual({ code: ErrorCodes.CONFIG });
  });

  test('a second transport asking for another count is refused; the same count is fine', async () => {
    expect(await probe([2, 3])).toMatchObject({ threads: 2, code: ErrorCodes.CONFIG });
    expect(await probe([2, 2])).toEqual({ threads: 2, workers: 2, env: null });
  });
});

describe('defaultThreads', () => {
  test.each([
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 2],
    [16, 8],
  ])('%i cores -> %i', (cores, threads) => {
    expect(defaultThreads(cores)).toBe(threads);
  });
});
