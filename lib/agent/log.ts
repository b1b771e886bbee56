/**
 * JSON-lines logger with a level filter, and a token-bucket rate limiter for
 * events that can arrive once per packet (policy drops).
 *
 * One line per event on stdout: `{"time":"…","level":"info","msg":"…",…fields}`.
 * Never called per forwarded packet.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/** Where finished lines go; defaults to process.stdout. */
export type LogSink = (line: string) => void;

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export class Logger {
  private readonly minRank: number;

  constructor(
    public readonly level: LogLevel = 'info',
    private readonly sink: LogSink = defaultSink,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.minRank = LEVEL_RANK[level];
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.minRank;
  }

  debug(msg: string, fields?: LogFields): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: LogFields): void { this.write('error', msg, fields); }

  write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVEL_RANK[level] < this.minRank) return;
    const record: LogFields = { time: this.clock().toISOString(), level, msg };
    if (fields) {
      for (const key of Object.keys(fields)) {
        if (key !== 'time' && key !== 'level' && key !== 'msg') record[key] = fields[key];
      }
    }
    this.sink(safeStringify(record) + '\n');
  }
}

function defaultSink(line: string): void {
  process.stdout.write(line);
}

function safeStringify(record: LogFields): string {
  try {
    return JSON.stringify(record, errorReplacer);
  } catch (err) {
    return JSON.stringify({ time: record.time, level: record.level, msg: record.msg, logError: String(err) });
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code;
    return code ? { message: value.message, code } : { message: value.message };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export interface RateLimiterOptions {
  /** Events allowed in a burst. @default 20 */
  readonly burst?: number;
  /** Tokens added per second. @default 10 */
  readonly perSecond?: number;
  /** Millisecond clock, injectable for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * Token bucket. `take()` says whether an event may be logged; refused events are
 * counted and reported (and reset) by the next `takeSuppressed()`.
 */
export class RateLimiter {
  private readonly burst: number;
  private readonly perMs: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  private pendingSuppressed = 0;
  /** Events refused since start (for metrics). */
  totalSuppressed = 0;

  constructor(opts: RateLimiterOptions = {}) {
    this.burst = opts.burst ?? 20;
    this.perMs = (opts.perSecond ?? 10) / 1000;
    this.now = opts.now ?? Date.now;
    this.tokens = this.burst;
    this.last = this.now();
  }

  take(): boolean {
    const now = this.now();
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perMs);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.pendingSuppressed++;
    this.totalSuppressed++;
    return false;
  }

  /** Events suppressed since the last call; resets the count. */
  takeSuppressed(): number {
    const n = this.pendingSuppressed;
    this.pendingSuppressed = 0;
    return n;
  }

  get suppressedPending(): number {
    return this.pendingSuppressed;
  }
}
