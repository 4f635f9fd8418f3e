import fs from 'node:fs';
import path from 'node:path';

/** The parts of a V8 `.cpuprofile` we read. */
interface CpuProfile {
  nodes: Array<{ id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  endTime: number;
}

/**
 * The `top` functions by self time of a CPU profile, as printable lines (`12.3%  fn  file:line`),
 * idle time left out: a first hint of where the tunnel spends its CPU before opening the
 * profile in DevTools.
 */
export function topSelfTime(file: string, top = 8): string[] {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byFn = new Map<string, number>();
  let total = 0;
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits || n.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/(core|transports|plugins)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}  ${where}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
    total += hits;
  }
  return [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${((v / Math.max(1, total)) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

/** Summary lines for every profile: its name, then its top functions. */
export function summarizeProfiles(files: string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    out.push(`    ${path.basename(f)} (busy time by function, self):`);
    try {
      out.push(...topSelfTime(f).map((l) => `      ${l}`));
    } catch (e) {
      out.push(`      unreadable: ${(e as Error).message}`);
    }
  }
  return out;
}
