import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NODE_FLAGS } from '../src/cli/node-flags';

const run = promisify(execFile);
const STUB = path.resolve(__dirname, '../bin/tfgw.js');
const EXAMPLE = path.resolve(__dirname, '../../tfgw.config.example.js');

describe('the tfgw command (core/bin/tfgw.js)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-bin-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('its exec line passes exactly NODE_FLAGS', () => {
    const line = fs.readFileSync(STUB, 'utf8').split('\n')[1];
    expect(line).toBe(`':' //; exec node ${NODE_FLAGS.join(' ')} "$0" "$@"`);
  });

  test('run as a program, it is Node with NODE_FLAGS, in the same process (exec keeps the pid)', async () => {
    // The config file runs inside the CLI's process: it reports what that process is.
    const probe = path.join(dir, 'probe.json');
    const config = path.join(dir, 'probe.config.js');
    fs.writeFileSync(
      config,
      `require('node:fs').writeFileSync(${JSON.stringify(probe)}, JSON.stringify({ pid: process.pid, execArgv: process.execArgv }));\n` +
        `module.exports = require(${JSON.stringify(EXAMPLE)});\n`,
    );
    const child = execFile(STUB, ['check', '--config', config]);
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('exit', resolve);
      child.once('error', reject);
    });
    expect(await exited).toBe(0);
    const seen = JSON.parse(fs.readFileSync(probe, 'utf8')) as { pid: number; execArgv: string[] };
    expect(seen.pid).toBe(child.pid);
    expect(seen.execArgv).toEqual([...NODE_FLAGS]);
  });

  test('run with node, it is the CLI as well', async () => {
    const { stdout } = await run(process.execPath, [STUB, '--version']);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(stdout.trim()).toBe(require('../package.json').version);
  });
});
