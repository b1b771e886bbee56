/**
 * A millisecond clock for the packet path that costs a field read.
 *
 * Every Node clock call (performance.now(), Date.now(), process.hrtime) crosses into the
 * runtime and returns a freshly boxed double: measured at ~50 ns and 16 bytes of garbage per
 * packet. The flow table only needs the time to decide idle timeouts of seconds to minutes, so
 * the data plane reads this clock instead: a whole number of milliseconds refreshed by an unref'd
 * timer every `resolutionMs` (default 100 ms). Whole milliseconds since the process started stay
 * small integers (V8 Smis, no heap number) for the first 12 days; after that they are ordinary
 * doubles, still exact.
 *
 * The value never goes backwards (monotonic source) and lags real time by at most one refresh
 * period, plus however long the event loop is blocked (the health check reports such stalls).
 */
import { performance } from 'node:perf_hooks';

/** Default refresh period: far below the shortest idle timeout (1 s). */
export const DEFAULT_CLOCK_RESOLUTION_MS = 100;

export class CoarseClock {
  private value: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly resolutionMs: number = DEFAULT_CLOCK_RESOLUTION_MS,
    private readonly source: () => number = () => performance.now(),
  ) {
    if (!Number.isInteger(resolutionMs) || resolutionMs < 1) {
      throw new RangeError(`resolutionMs: ${resolutionMs} is not a positive integer`);
    }
    this.value = Math.floor(this.source());
  }

  /** The cached time in whole milliseconds. Bound, so it can be passed as a callback. */
  readonly now = (): number => this.value;

  /** Read the source clock now (also done by the timer). */
  refresh(): void {
    const t = Math.floor(this.source());
    if (t > this.value) this.value = t;
  }

  /** Refresh every resolutionMs on an unref'd timer (does not keep the process alive). */
  start(): void {
    if (this.timer !== null) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.resolutionMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
