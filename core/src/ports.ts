import { ErrorCodes, TfgwError } from './errors';

/** Parses `"20000-20999"` or `"8080"` into an inclusive range. */
export function parsePortRange(spec: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(spec.trim());
  if (!m) throw new TfgwError(ErrorCodes.CONFIG, `expected a port or "from-to", got "${spec}"`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || from > to) throw new TfgwError(ErrorCodes.CONFIG, `port range out of 1-65535 or reversed: "${spec}"`);
  return [from, to];
}

/** True when `port` lies in any of the ranges. */
export function portInRanges(port: number, ranges: readonly string[]): boolean {
  return ranges.some((r) => {
    const [a, b] = parsePortRange(r);
    return port >= a && port <= b;
  });
}

/**
 * Public ports of one protocol. Hands out the port asked for when free, else the next free
 * one after the last handed out (so a just-released port is not reused at once).
 */
export class PortPool {
  private readonly used = new Set<number>();
  private readonly from: number;
  private readonly to: number;
  private next: number;

  constructor(
    /** Range spec, e.g. `20000-20999`. */
    readonly range: string,
    /** Config key, for errors. */
    readonly configKey: string,
  ) {
    [this.from, this.to] = parsePortRange(range);
    this.next = this.from;
  }

  /** True when the port is in this pool's range. */
  contains(port: number): boolean {
    return port >= this.from && port <= this.to;
  }

  /** Is this port handed out now? */
  isUsed(port: number): boolean {
    return this.used.has(port);
  }

  /** Take `preferred` if it is in range and free, else any free port; throws TFGW_ERR_PORT_UNAVAILABLE. */
  allocate(preferred?: number): number {
    if (preferred !== undefined && this.contains(preferred) && !this.used.has(preferred)) {
      this.used.add(preferred);
      return preferred;
    }
    const size = this.to - this.from + 1;
    for (let i = 0; i < size; i++) {
      const p = this.from + ((this.next - this.from + i) % size);
      if (!this.used.has(p)) {
        this.used.add(p);
        this.next = p + 1 > this.to ? this.from : p + 1;
        return p;
      }
    }
    throw new TfgwError(ErrorCodes.PORT_UNAVAILABLE, `no free port left in ${this.range} (${this.configKey})`, { details: { limit: this.configKey } });
  }

  /** Mark a port outside the range as taken (explicitly allowed by a token). */
  claim(port: number): boolean {
    if (this.used.has(port)) return false;
    this.used.add(port);
    return true;
  }

  /** Give a port back. */
  release(port: number): void {
    this.used.delete(port);
  }
}
