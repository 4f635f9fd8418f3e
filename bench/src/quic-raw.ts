import type { Proc, Scope } from './procs';
import { workerPath } from './workers';

/**
 * The QUIC library on its own (bench/src/workers/quic-raw.ts): a listener and a dialer
 * process, connected, and the listener taking commands. Used by the `quic raw` column of the
 * quic scenario and by bench/scripts/quic-raw-cost.js.
 */
export interface QuicRawPair {
  /** The listening process: it opens the streams and answers the commands. */
  readonly listener: Proc;
  /** The dialing process: it serves the listener's streams. */
  readonly dialer: Proc;
  /**
   * Sends `cmd` with `args` (`tput SECONDS STREAMS [MBPS]`, `ping COUNT SIZE`) and resolves
   * with the listener's JSON answer; rejects when the worker reports an error.
   */
  command<T>(cmd: string, args: ReadonlyArray<string | number>, timeoutMs: number): Promise<T>;
}

/**
 * Starts the pair in `scope` (which stops both) and waits until the dialer is connected.
 * `worker` defaults to the built worker next to this module.
 */
export async function startQuicRawPair(scope: Scope, worker: string = workerPath('quic-raw')): Promise<QuicRawPair> {
  const listener = scope.start('quic-raw-listen', process.execPath, [worker, 'listen'], { stdin: true });
  const port = (await listener.waitFor(/^listening (\d+)$/, 15000))[1];
  const dialer = scope.start('quic-raw-dial', process.execPath, [worker, 'dial', port]);
  await dialer.waitFor(/^connected$/, 15000);
  let next = 0;
  return {
    listener,
    dialer,
    async command<T>(cmd: string, args: ReadonlyArray<string | number>, timeoutMs: number): Promise<T> {
      const id = ++next;
      listener.child.stdin!.write(`${cmd} ${id} ${args.join(' ')}\n`);
      const out = JSON.parse((await listener.waitFor(new RegExp(`^result ${id} (.*)$`), timeoutMs))[1]) as T & { error?: string };
      if (out.error) throw new Error(`quic-raw: ${out.error}`);
      return out;
    },
  };
}
