/**
 * Reusable buffers that bulk data is copied into before it is handed to a native write.
 *
 * Why copy: the library holds a reference to the array of each write until the write
 * completes, and drops it later, from the main thread. A 64 KiB chunk read from a visitor's
 * socket and handed over as it is therefore tends to outlive the young generation, and its
 * backing store waits for a full mark-compact. Copied into a slab that lives as long as the
 * process, the socket's chunk dies young, and only a small view object is held. Measured on
 * the gateway (the writing side) with `iperf3` through a QUIC agent, 1 stream, two runs each:
 * 5.18 / 5.15 s of CPU per GB without slabs, 4.92 / 4.85 with them (transports/quic/README.md).
 *
 * A write holds its slab until its promise settles: by then quinn has copied the bytes into
 * its own send buffer and no longer reads the array, although the library may not have
 * dropped its reference yet. That reference is to a view made for this write, so reusing
 * the memory underneath is safe.
 */
export class WriteSlabs {
  private readonly free: Buffer[] = [];
  private created = 0;

  /**
   * @param slabSize bytes of one slab: larger writes go out as they are
   * @param maxSlabs slabs allocated at most; when all are busy, writes go out as they are
   */
  constructor(
    readonly slabSize: number,
    readonly maxSlabs: number,
  ) {}

  /** A free slab (allocating one while under {@link maxSlabs}), or undefined. */
  take(): Buffer | undefined {
    const slab = this.free.pop();
    if (slab) return slab;
    if (this.created >= this.maxSlabs) return undefined;
    this.created++;
    return Buffer.allocUnsafeSlow(this.slabSize);
  }

  /** Return a slab taken with {@link take}. */
  give(slab: Buffer): void {
    this.free.push(slab);
  }

  /** Slabs allocated so far. */
  get allocated(): number {
    return this.created;
  }
}

/** Size of one write slab: a stream's whole writable buffer (STREAM_HIGH_WATER_MARK). */
export const WRITE_SLAB_SIZE = 256 * 1024;

/**
 * Slabs per process. Each streaming stream holds at most one at a time; beyond this many
 * streams writing at once, writes go out uncopied (correct, just more GC). 4 MiB at most.
 */
export const MAX_WRITE_SLABS = 16;

/** The process's slabs, shared by every QUIC stream. */
export const writeSlabs = new WriteSlabs(WRITE_SLAB_SIZE, MAX_WRITE_SLABS);
