import { fmt, median, summarize } from './stats';
import type { ScenarioResult, System } from './types';
import { figuresOf } from './figures';

/** A rendered table: header row plus body rows of cell strings. */
export interface Table {
  header: string[];
  rows: string[][];
}

/** Short role names for CPU cells. */
const ROLE_ABBR: Record<string, string> = { gateway: 'gw', agent: 'ag', client: 'cl' };

/** `median (min–max)` of a figure's repetitions, or just the value for one repetition. */
function valueCell(xs: number[] | undefined): string {
  const s = summarize(xs);
  if (!s) return '';
  return s.n > 1 && s.max !== s.min ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

/** Marker for a column that produced nothing, pointing at the footnotes. */
function missingCell(r: ScenarioResult, sys: System): string {
  if (sys.unavailable) return 'n/a¹';
  if (r.errors[sys.name]) return 'error²';
  return '–';
}

/** Systems that ran: tfgw columns, then rivals. */
function columns(r: ScenarioResult): System[] {
  return r.systems;
}

/**
 * The values table of a scenario: one row per figure (arrow = which way is better) and one
 * CPU row per measurement (median % of one core per process role), one column per system.
 */
export function valuesTable(r: ScenarioResult): Table {
  const cols = columns(r);
  const header = ['figure', ...cols.map((c) => c.name)];
  const rows: string[][] = [];
  for (const m of r.scenario.measurements) {
    for (const f of figuresOf(m)) {
      rows.push([`${f.label} ${f.better === 'higher' ? '↑' : '↓'}`, ...cols.map((c) => valueCell(r.values[f.key]?.[c.name]) || missingCell(r, c))]);
    }
    const cpu = r.cpu[m.key] ?? {};
    if (cols.some((c) => Object.keys(c.procs).length > 0)) {
      rows.push([
        `CPU, % of a core (${m.label})`,
        ...cols.map((c) => {
          const roles = cpu[c.name];
          if (!roles) return Object.keys(c.procs).length === 0 && !c.unavailable ? '–' : missingCell(r, c);
          return Object.entries(roles)
            .map(([role, xs]) => `${ROLE_ABBR[role] ?? role} ${fmt(summarize(xs)?.median ?? NaN)}`)
            .join(' · ');
        }),
      ]);
    }
  }
  return { header, rows };
}

/**
 * tfgw's values of one figure divided by a rival's: the median of each repetition's ratio
 * when both columns have a value from every repetition (they ran back to back, so the
 * machine's drift between repetitions cancels), else the ratio of the medians (a column that
 * failed some repetitions cannot be paired). Undefined when either has no value.
 */
export function figureRatio(tfgw: readonly number[] | undefined, rival: readonly number[] | undefined, paired: boolean): number | undefined {
  const a = summarize(tfgw);
  const b = summarize(rival);
  if (!a || !b) return undefined;
  if (paired && tfgw!.length === rival!.length && tfgw!.every(Number.isFinite) && rival!.every((x) => Number.isFinite(x) && x !== 0)) {
    return median(tfgw!.map((x, i) => x / rival![i]));
  }
  if (b.median === 0) return a.median === 0 ? 1 : Infinity;
  return a.median / b.median;
}

/**
 * The ratio table: tfgw (per transport) divided by each rival ({@link figureRatio}). Rows
 * are figure x tfgw column; for ↑ figures > 1 means tfgw is better, for ↓ figures < 1 does.
 */
export function ratioTable(r: ScenarioResult): Table | undefined {
  const tfgw = r.systems.filter((s) => s.tfgw);
  const rivals = r.systems.filter((s) => !s.tfgw);
  if (tfgw.length === 0 || rivals.length === 0) return undefined;
  const rows: string[][] = [];
  for (const m of r.scenario.measurements) {
    for (const f of figuresOf(m).filter((x) => !x.noRatio)) {
      for (const t of tfgw) {
        if (!summarize(r.values[f.key]?.[t.name])) continue;
        const cells = rivals.map((v) => {
          const paired = !r.errors[t.name] && !r.errors[v.name];
          const x = figureRatio(r.values[f.key]?.[t.name], r.values[f.key]?.[v.name], paired);
          if (x === undefined) return '–';
          return x === Infinity ? '∞' : `${fmt(x)}×`;
        });
        // A figure no rival has (CPU cost when the only rival is "direct") makes no ratio row.
        if (cells.every((c) => c === '–')) continue;
        rows.push([`${f.label} ${f.better === 'higher' ? '↑' : '↓'} — ${t.name}`, ...cells]);
      }
    }
  }
  if (rows.length === 0) return undefined;
  return { header: ['tfgw ÷ rival', ...rivals.map((v) => v.name)], rows };
}

/** Footnotes: why columns are n/a or errored. */
export function footnotes(r: ScenarioResult): string[] {
  const out: string[] = [];
  // One line per distinct reason, so four tfgw columns failing alike make one note.
  const byReason = new Map<string, string[]>();
  for (const s of r.systems) if (s.unavailable) byReason.set(s.unavailable, [...(byReason.get(s.unavailable) ?? []), s.name]);
  for (const [reason, names] of byReason) out.push(`¹ ${names.join(', ')}: not available (${reason})`);
  for (const [name, err] of Object.entries(r.errors)) out.push(`² ${name}: ${err}`);
  return out;
}

/** Display width: count code points, not UTF-16 units (µ, ↑, – are one column each). */
function width(s: string): number {
  return [...s].length;
}

/** Renders a table for the terminal, columns padded to their widest cell. */
export function renderConsole(t: Table): string {
  const all = [t.header, ...t.rows];
  const w = t.header.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c + ' '.repeat(w[i] - width(c)) : ' '.repeat(w[i] - width(c)) + c)).join('  ');
  return [line(t.header), w.map((x) => '-'.repeat(x)).join('  '), ...t.rows.map(line)].join('\n');
}

/** Renders a table as GitHub markdown (figures right-aligned). */
export function renderMarkdown(t: Table): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    `| ${t.header.map(esc).join(' | ')} |`,
    `|${t.header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
