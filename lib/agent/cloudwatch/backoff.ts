/**
 * Retry timing for calls to AWS: exponential backoff with full jitter between `baseMs` and
 * `maxMs`, reset by a success. Never throws, never blocks: callers schedule a timer for `delayMs()`.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 300_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Record a failure; returns how long to wait before the next try. */
  fail(): number {
    this.failures++;
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.max(this.baseMs, Math.round(ceiling * this.random()));
  }

  succeed(): void {
    this.failures = 0;
  }

  /** Failures since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }
}

/** A short description of an SDK or network error for the log: name, HTTP status, message. */
export function describeAwsError(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return {
    name: e?.name ?? 'Error',
    status: e?.$metadata?.httpStatusCode,
    code: e?.code,
    message: String(e?.message ?? err).slice(0, 300),
  };
}

/** The SDK error is a client error that retrying the same request cannot fix (a bad request, not throttling or auth). */
export function isPermanentRequestError(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined || status < 400 || status >= 500) return false;
  const name = e.name ?? '';
  return /^(InvalidParameter|MissingParameter|MissingRequiredParameter|InvalidParameterCombination|InvalidParameterValue|SerializationException|ValidationException|DataAlreadyAccepted|InvalidFormat)/.test(name)
    || name === 'InvalidParameterValueException' || name === 'InvalidParameterException';
}
