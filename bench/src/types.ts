import type { Scope } from './procs';

/** One number a scenario reports (a row of its table). */
export interface Figure {
  /** Stable key. */
  key: string;
  /** Row label, with unit. */
  label: string;
  /** Which way is good; says how to read the tfgw/rival ratio. */
  better: 'higher' | 'lower';
  /** Leave out of the ratio table (counts and loss percentages, often 0). */
  noRatio?: boolean;
}

/** One group of figures measured together (one tool run), with CPU sampled over it. */
export interface Measurement {
  /** Key, e.g. `p1`. */
  key: string;
  /** Label of the CPU row, e.g. `1 stream`. */
  label: string;
  /** Figures this measurement yields. */
  figures: Figure[];
  /**
   * Adds a "CPU cost" figure: CPU seconds of all the column's processes divided by the units
   * of work `measure` reports under the key `work`, times `scale`. Unlike % of a core it
   * does not shrink when other work on the machine starves the path.
   */
  cost?: { label: string; scale: number };
}

/** A path from the load generator to the target: tfgw over one transport, or a rival. */
export interface System {
  /** Column name, e.g. `tfgw tcp`, `socat`, `ssh -R`. */
  name: string;
  /** tfgw columns are compared against the others. */
  tfgw: boolean;
  /** Processes whose CPU is charged to this system, by role (`gateway`, `agent`, `socat`, ...). */
  procs: Record<string, number>;
  /** Why the system cannot run (its column then shows the reason instead of figures). */
  unavailable?: string;
  /** Scenario-specific data (addresses, ports, Host header). */
  data: Record<string, unknown>;
  /** Commands that set this system up (for the report). */
  setupCommands?: string[];
}

/** Everything a scenario gets from the harness. */
export interface ScenarioContext {
  /** Options of this run. */
  opts: RunOptions;
  /** Seconds per timed measurement (throughput, http, dns, udp, churn). */
  seconds: number;
  /** Repetitions. */
  reps: number;
  /** Temp dir of this scenario (configs, keys, zone files). */
  dir: string;
  /** Owner of every process the scenario starts. */
  scope: Scope;
  /** True when gateway and agent run under `--cpu-prof`. */
  profile: boolean;
  /** Progress output. */
  log(msg: string): void;
}

/** A benchmark scenario. */
export interface Scenario {
  /** CLI name. */
  name: string;
  /** Heading. */
  title: string;
  /** One paragraph: what is measured and how. */
  description: string;
  /** Debian tools (commands) it needs; missing ones skip the scenario. */
  tools: string[];
  /** Measurements, in order. */
  measurements: Measurement[];
  /**
   * Start every process afresh for each repetition (memory figures: a Node heap that grew
   * in one rep does not shrink for the next, so later reps would measure a warm process).
   */
  freshPerRep?: boolean;
  /** Starts targets and systems; unavailable systems carry a reason. */
  setup(ctx: ScenarioContext): Promise<System[]>;
  /**
   * Runs one measurement against one system and returns its figure values; the harness
   * samples CPU around it. `commands` collects the exact commands for the report.
   */
  measure(ctx: ScenarioContext, sys: System, m: Measurement, commands: string[]): Promise<Record<string, number>>;
}

/** Options of one bench run (from the command line). */
export interface RunOptions {
  /** Scenario names to run; empty = all. */
  scenarios: string[];
  /** One repetition, short durations. */
  quick: boolean;
  /** Rewrite docs/BENCHMARKS.md. */
  write: boolean;
  /** Scenario whose tfgw processes run under --cpu-prof. */
  profile?: string;
  /** Repetitions (default 3, quick 1). */
  reps: number;
  /** Seconds per timed measurement (default 5, quick 2). */
  seconds: number;
  /** Do not try to apt-get missing tools. */
  noInstall: boolean;
  /** Keep the temp dir (configs, logs) for inspection. */
  keep: boolean;
}

/** Result of one scenario, ready for the tables. */
export interface ScenarioResult {
  scenario: Scenario;
  /** Systems in column order. */
  systems: System[];
  /** values[figureKey][systemName] = one value per repetition. */
  values: Record<string, Record<string, number[]>>;
  /** cpu[measurementKey][systemName][role] = % of a core per repetition. */
  cpu: Record<string, Record<string, Record<string, number[]>>>;
  /** Errors per system (first one kept), shown under the table. */
  errors: Record<string, string>;
  /** Set when the whole scenario was skipped. */
  skipped?: string;
  /** Exact commands used. */
  commands: string[];
  /** Wall time of the scenario in seconds. */
  wallSeconds: number;
  /** 1-minute load average of the machine at the start and end (others' work shows here). */
  load: [number, number];
}
