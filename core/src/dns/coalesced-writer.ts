/**
 * Runs a write at most once per `delayMs` however often it is asked for, never two at
 * once, and again after a running write if more changes came in meanwhile. `flush()`
 * runs a pending write now and resolves when everything asked for so far is written.
 */
export class CoalescedWriter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;

  /**
   * @param write  does the write; its errors go to `onError`
   * @param delayMs  coalescing window. @default 50
   * @param onError  told about a failed write (the data stays dirty and is retried on the next schedule / flush)
   */
  constructor(
    private readonly write: () => Promise<void>,
    private readonly delayMs = 50,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Ask for a write soon. */
  schedule(): void {
    this.dirty = true;
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, this.delayMs);
    this.timer.unref?.();
  }

  /** Write now whatever is pending; resolves when it is on disk, rejects when that write failed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.running) await this.running;
    if (this.dirty) await this.writeOnce();
  }

  private async writeOnce(): Promise<void> {
    this.dirty = false;
    try {
      await this.write();
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  private run(): void {
    if (this.running || !this.dirty) return;
    let failed = false;
    this.running = this.writeOnce()
      .catch((err) => {
        failed = true;
        this.onError(err);
      })
      .finally(() => {
        this.running = undefined;
        // more changes came in while writing: write again (a failed write waits for the next change or flush)
        if (this.dirty && !failed) this.schedule();
      });
  }
}
