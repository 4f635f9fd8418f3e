import type { RunOptions } from './types';

/** Usage text of `npm run bench -- ...`. */
export const USAGE = `usage: npm run bench -- [scenario...] [--quick] [--write] [--reps N] [--seconds N] [--profile SCENARIO] [--no-install] [--keep]

  scenario      one or more of the scenario names (default: all)
  --quick       1 repetition, short durations (smoke run)
  --write       rewrite docs/BENCHMARKS.md with the tables of this run
  --reps N      repetitions per figure (default 3; quick 1); tables show median and min-max
  --seconds N   seconds per timed measurement (default 5; quick 2)
  --profile S   run gateway and agent of scenario S under node --cpu-prof (bench/results/profiles)
  --no-install  never apt-get missing tools, just say what is missing
  --keep        keep the temp dir with configs and per-process logs`;

/** Error for a bad command line (exit 2, like the tfgw CLI). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses the command line; throws {@link UsageError} on bad input. */
export function parseArgs(argv: string[], known: string[]): RunOptions & { help: boolean } {
  const o = { scenarios: [] as string[], quick: false, write: false, profile: undefined as string | undefined, reps: NaN, seconds: NaN, noInstall: false, keep: false, help: false };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!v || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--write') o.write = true;
    else if (a === '--no-install') o.noInstall = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--reps') o.reps = Math.round(num(a, argv[++i]));
    else if (a === '--seconds') o.seconds = num(a, argv[++i]);
    else if (a === '--profile') {
      o.profile = argv[++i];
      if (!o.profile || !known.includes(o.profile)) throw new UsageError(`--profile needs a scenario name (${known.join(', ')}), got ${o.profile ?? 'nothing'}`);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (!known.includes(a)) throw new UsageError(`unknown scenario ${a}; scenarios: ${known.join(', ')}`);
    else o.scenarios.push(a);
  }
  if (!Number.isFinite(o.reps)) o.reps = o.quick ? 1 : 3;
  if (!Number.isFinite(o.seconds)) o.seconds = o.quick ? 2 : 5;
  // Profiling a scenario implies running it (alone, when no scenario is named).
  if (o.profile && !o.scenarios.includes(o.profile)) o.scenarios.push(o.profile);
  return o;
}
