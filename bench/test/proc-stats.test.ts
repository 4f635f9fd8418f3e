import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpuSecondsByThreadKind, threadCpuSeconds } from '../src/proc-stats';

/**
 * A child whose main thread is named `title` (Node sets the thread name from process.title)
 * and has used CPU: it spins until its CPU time reaches 50 ms, then prints `ready` and waits.
 */
async function namedBusyChild(title: string): Promise<ChildProcess> {
  const script = `process.title = ${JSON.stringify(title)};
    while (process.cpuUsage().user < 50000);
    console.log('ready');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child;
}

describe('threadCpuSeconds', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill();
      await once(child, 'exit');
    }
    child = undefined;
  });

  it('sums the CPU of the threads with that name, even when the name has ") (" in it', async () => {
    // The kernel keeps 15 characters of a thread name.
    child = await namedBusyChild('w) (x y');
    expect(threadCpuSeconds(child.pid!, 'w) (x y')).toBeGreaterThan(0);
  });

  it('is 0 for a name no thread has', async () => {
    child = await namedBusyChild('busy-main');
    expect(threadCpuSeconds(child.pid!, 'no-such-thread')).toBe(0);
  });

  it('is 0 for a process that is gone', async () => {
    child = await namedBusyChild('gone-soon');
    const pid = child.pid!;
    child.kill();
    await once(child, 'exit');
    expect(threadCpuSeconds(pid, 'gone-soon')).toBe(0);
  });
});

describe('cpuSecondsByThreadKind', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill();
      await once(child, 'exit');
    }
    child = undefined;
  });

  it('counts the main thread as main even when it has the library threads\' name', async () => {
    child = await namedBusyChild('lib-named-main');
    const cpu = cpuSecondsByThreadKind(child.pid!, 'lib-named-main');
    expect(cpu.main).toBeGreaterThan(0);
    expect(cpu.library).toBe(0);
  });

  it('is all 0 for a process that is gone', async () => {
    child = await namedBusyChild('gone-soon');
    const pid = child.pid!;
    child.kill();
    await once(child, 'exit');
    expect(cpuSecondsByThreadKind(pid, 'tokio-rt-worker')).toEqual({ main: 0, library: 0, other: 0 });
  });
});
