/**
 * A housekeeping job run in slices on the packet thread, so it never holds the event loop for long.
 *
 * `slice()` does a bounded amount of work and returns true while work is left. The next slice runs
 * from setImmediate, that is after the I/O callbacks (the packets) that became ready meanwhile: a job
 * of any size delays a packet by at most one slice. Used for the flow sweep (agent.ts), where a mass
 * expiry (a million flows idle at once) would otherwise stop forwarding for the whole removal.
 */
export class SlicedJob {
  private next: NodeJS.Immediate | null = null;
  private stopped = false;
  /** Slices run so far (for tests and diagnostics). */
  slices = 0;

  constructor(
    private readonly slice: () => boolean,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** True while a run has slices left. */
  get running(): boolean {
    return this.next !== null;
  }

  /** Run the first slice now and the rest later; nothing when a run is in progress or after stop(). */
  run(): void {
    if (this.next !== null || this.stopped) return;
    this.step();
  }

  /** Cancel the remaining slices; run() does nothing from now on. */
  stop(): void {
    this.stopped = true;
    if (this.next !== null) clearImmediate(this.next);
    this.next = null;
  }

  private readonly step = (): void => {
    this.next = null;
    this.slices++;
    let more = false;
    try {
      more = this.slice();
    } catch (err) {
      this.onError(err);
    }
    if (more && !this.stopped) this.next = setImmediate(this.step);
  };
}
