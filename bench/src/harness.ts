import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Scope } from './procs';
import { CpuMeter } from './proc-stats';
import { ensureTools } from './debian-tools';
import { PROFILE_DIR } from './tfgw';
import { summarizeProfiles } from './profile-summary';
import { costKey } from './figures';
import type { RunOptions, Scenario, ScenarioContext, ScenarioResult, System } from './types';

/** A system that failed this many measurements is not tried again in this scenario. */
const MAX_ERRORS = 2;

/** Rejects after `ms` with `what` in the message; the timer never keeps the process alive. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
    t.unref();
  });
  p.catch(() => undefined);
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** Profiles in the profile dir with their modification times (to report the fresh ones). */
function listProfiles(): Map<string, number> {
  try {
    return new Map(fs.readdirSync(PROFILE_DIR).map((f) => [f, fs.statSync(path.join(PROFILE_DIR, f)).mtimeMs]));
  } catch {
    return new Map();
  }
}

/**
 * Runs one scenario: checks its tools, sets up every system (once, or once per rep for
 * {@link Scenario.freshPerRep}), then runs the measurements rep by rep: within a rep, each
 * measurement across every system before the next measurement, the systems' order rotated
 * each rep (so the two values of a ratio are measured back to back, and drift of the machine
 * hits all columns alike), sampling CPU of each system's processes around each measurement.
 * Every process is stopped in `finally`; the whole scenario is bounded in time.
 */
export async function runScenario(scenario: Scenario, opts: RunOptions, runDir: string, log: (m: string) => void): Promise<ScenarioResult> {
  const t0 = Date.now();
  const result: ScenarioResult = { scenario, systems: [], values: {}, cpu: {}, errors: {}, commands: [], wallSeconds: 0, load: [os.loadavg()[0], NaN] };
  const missing = ensureTools(scenario.tools, !opts.noInstall, log);
  if (missing.length > 0) {
    result.skipped = `missing tools: ${missing.join(', ')}`;
    return result;
  }
  const profile = opts.profile === scenario.name;
  const profilesBefore = profile ? listProfiles() : new Map<string, number>();
  // Generous bound per measurement: tool run time plus start-up and tear-down slack.
  const perMeasurementMs = (opts.seconds + 60) * 1000 + (scenario.name === 'scale' ? 300_000 : 0);
  const errorCount = new Map<string, number>();
  // A scenario with fresh processes per rep gets one setup per rep ("round"); others one setup.
  const rounds = scenario.freshPerRep ? opts.reps : 1;
  const repsPerRound = scenario.freshPerRep ? 1 : opts.reps;
  for (let round = 0; round < rounds && !result.skipped; round++) {
    const dir = fs.mkdtempSync(path.join(runDir, `${scenario.name}-`));
    const scope = new Scope(path.join(dir, 'logs'));
    const ctx: ScenarioContext = { opts, seconds: opts.seconds, reps: opts.reps, dir, scope, profile, log: (m) => log(`  ${m}`) };
    try {
      log(`  setting up${rounds > 1 ? ` for rep ${round + 1}` : ''} (logs in ${scope.logDir})`);
      const systems = await withTimeout(scenario.setup(ctx), 240_000, `${scenario.name} setup`);
      if (round === 0) {
        result.systems = systems;
        for (const s of systems) {
          if (s.unavailable) log(`  ${s.name}: not available (${s.unavailable})`);
          result.commands.push(...(s.setupCommands ?? []).map((c) => c.replace(/--fingerprint [0-9a-f]{64}/, '--fingerprint <fingerprint>')));
        }
      }
      for (let r = 1; r <= repsPerRound; r++) {
        const rep = round * repsPerRound + r;
        // Rotate the order each rep: no column always runs right after the heaviest one.
        const order = systems.map((_, i) => systems[(i + rep - 1) % systems.length]);
        // One measurement across every column, then the next: the columns a ratio compares
        // run back to back, so the machine drifts little between them.
        for (const m of scenario.measurements) {
          for (const sys of order) {
            if (sys.unavailable || (errorCount.get(sys.name) ?? 0) >= MAX_ERRORS) continue;
            const commands: string[] = [];
            const meter = new CpuMeter(sys.procs);
            try {
              const values = await withTimeout(scenario.measure(ctx, sys, m, commands), perMeasurementMs, `${sys.name} ${m.label}`);
              const cpu = meter.read();
              const { work, ...figures } = values;
              if (m.cost && work > 0 && Object.keys(sys.procs).length > 0) figures[costKey(m)] = (cpu.totalSeconds / work) * m.cost.scale;
              for (const [k, v] of Object.entries(figures)) ((result.values[k] ??= {})[sys.name] ??= []).push(v);
              for (const [role, v] of Object.entries(cpu.pct)) (((result.cpu[m.key] ??= {})[sys.name] ??= {})[role] ??= []).push(v);
              log(`  rep ${rep}/${opts.reps} ${sys.name.padEnd(11)} ${m.label}: ${Object.entries(figures).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(' ')}`);
            } catch (e) {
              const msg = (e as Error).message.split('\n')[0];
              result.errors[sys.name] ??= msg;
              errorCount.set(sys.name, (errorCount.get(sys.name) ?? 0) + 1);
              log(`  rep ${rep}/${opts.reps} ${sys.name} ${m.label}: ERROR ${(e as Error).message}`);
            }
            // Ports differ per column; without them the same command shows once.
            if (rep === 1) result.commands.push(...commands.map((c) => c.replaceAll(dir, '<tmp>').replace(/\b(2[2-9]\d{3}|3[0-2]\d{3})\b/g, '<port>')));
          }
        }
      }
    } catch (e) {
      result.skipped = `setup failed: ${(e as Error).message.split('\n')[0]}`;
      log(`  ${(e as Error).message}`);
    } finally {
      // Under --cpu-prof the profile is written at exit: give tfgw time to exit cleanly.
      await scope.close(profile ? 15000 : 3000);
    }
  }
  if (profile) {
    const fresh = [...listProfiles()].filter(([f, t]) => profilesBefore.get(f) !== t).map(([f]) => path.join(PROFILE_DIR, f));
    log(fresh.length ? `  CPU profiles (open in Chrome DevTools > Performance, or https://www.speedscope.app):\n${fresh.map((f) => `    ${f}`).join('\n')}\n${summarizeProfiles(fresh).join('\n')}` : `  no CPU profile was written to ${PROFILE_DIR} (did tfgw exit cleanly on SIGTERM?)`);
  }
  result.commands = [...new Set(result.commands)];
  result.wallSeconds = (Date.now() - t0) / 1000;
  result.load[1] = os.loadavg()[0];
  return result;
}

/** A fresh temp dir for one bench run. */
export function makeRunDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-bench-'));
}

/** Systems that produced at least one figure. */
export function measured(r: ScenarioResult): System[] {
  return r.systems.filter((s) => Object.values(r.values).some((v) => v[s.name]?.length));
}
