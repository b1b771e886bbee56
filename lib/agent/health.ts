/**
 * Health of the data path and the HTTP server for GET /healthz and GET /metrics.
 *
 * /healthz is 200 only when the data socket is bound, the reply path works
 * (reply sockets open, no run of send errors without a single success), the
 * data-path self-probe gets its packets back (self-probe.ts), the event loop is
 * not stalled, and the agent is not draining. GWLB health checks hit this path,
 * so a broken data plane takes the target out of service.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { METRICS_CONTENT_TYPE } from './metrics';

export interface HealthLimits {
  /** Event loop lag above which the agent reports itself stalled. */
  readonly maxLagMs: number;
  /** Send errors in the reply window (with no successful send) that mark the reply path broken. */
  readonly sendErrorThreshold: number;
}

export const DEFAULT_HEALTH_LIMITS: HealthLimits = { maxLagMs: 1000, sendErrorThreshold: 10 };

/** Inputs of a health decision; gathered from the running agent or injected by tests. */
export interface HealthInputs {
  readonly draining: boolean;
  readonly dataSocketBound: boolean;
  readonly replySocketsOpen: boolean;
  /** Send errors and successful sends in the recent window (see SendWindow). */
  readonly recentSendErrors: number;
  readonly recentSendOk: number;
  /** Largest event loop lag in the recent window (see LagMonitor). */
  readonly eventLoopLagMs: number;
  /** SelfProbe.failure(): why the data path self-probe fails. @default null - no probe failure */
  readonly selfProbeFailure?: string | null;
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** Why the agent is unhealthy; empty when healthy. */
  readonly reasons: readonly string[];
}

export function evaluateHealth(i: HealthInputs, limits: HealthLimits = DEFAULT_HEALTH_LIMITS): HealthVerdict {
  const reasons: string[] = [];
  if (i.draining) reasons.push('draining');
  if (!i.dataSocketBound) reasons.push('data socket not bound');
  if (!i.replySocketsOpen) reasons.push('reply socket closed');
  if (i.recentSendErrors >= limits.sendErrorThreshold && i.recentSendOk === 0) {
    reasons.push(`reply path failing: ${i.recentSendErrors} send errors and no successful send recently`);
  }
  if (i.selfProbeFailure) reasons.push(i.selfProbeFailure);
  if (i.eventLoopLagMs > limits.maxLagMs) {
    reasons.push(`event loop stalled: lag ${Math.round(i.eventLoopLagMs)} ms > ${limits.maxLagMs} ms`);
  }
  return { healthy: reasons.length === 0, reasons };
}

/**
 * Event loop lag measured with a timer: every `intervalMs` the monitor compares
 * when it ran with when it was due. Keeps the largest lag of the last
 * `windowMs`; `currentLagMs(now)` also counts a tick that is overdue right now.
 */
export class LagMonitor {
  private readonly samples: Float64Array;
  private index = 0;
  private lastTick: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly intervalMs = 250,
    windowMs = 5000,
    private readonly now: () => number = monotonicMs,
  ) {
    this.samples = new Float64Array(Math.max(1, Math.ceil(windowMs / intervalMs)));
    this.lastTick = this.now();
  }

  start(): void {
    if (this.timer) return;
    this.lastTick = this.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Record one timer tick (public for tests with an injected clock). */
  tick(): void {
    const t = this.now();
    const lag = Math.max(0, t - this.lastTick - this.intervalMs);
    this.lastTick = t;
    this.samples[this.index] = lag;
    this.index = (this.index + 1) % this.samples.length;
  }

  currentLagMs(): number {
    let max = Math.max(0, this.now() - this.lastTick - this.intervalMs);
    for (let i = 0; i < this.samples.length; i++) if (this.samples[i] > max) max = this.samples[i];
    return max;
  }
}

/**
 * Sliding window over the cumulative send counters: `sample()` is called once a
 * second; `recent()` is the difference between the newest and oldest sample.
 */
export class SendWindow {
  private readonly ok: Float64Array;
  private readonly err: Float64Array;
  private index = 0;
  private filled = 0;

  constructor(slots = 10) {
    this.ok = new Float64Array(slots + 1);
    this.err = new Float64Array(slots + 1);
  }

  sample(totalOk: number, totalErrors: number): void {
    this.ok[this.index] = totalOk;
    this.err[this.index] = totalErrors;
    this.index = (this.index + 1) % this.ok.length;
    if (this.filled < this.ok.length) this.filled++;
  }

  recent(): { ok: number; errors: number } {
    if (this.filled < 2) return { ok: 0, errors: 0 };
    const newest = (this.index - 1 + this.ok.length) % this.ok.length;
    const oldest = this.filled < this.ok.length ? 0 : this.index;
    return { ok: this.ok[newest] - this.ok[oldest], errors: this.err[newest] - this.err[oldest] };
  }
}

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/** What the HTTP server asks the agent on each request. */
export interface HealthSource {
  health(): HealthVerdict;
  metricsText(): string;
  /** Called before each /healthz or /metrics answer (several workers: gather their state). @default - nothing to gather */
  refresh?(): Promise<void>;
}

/** Route one request; exported for tests. */
export function handleHealthRequest(source: HealthSource, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/healthz' && path !== '/metrics') {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', req.method === 'HEAD');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
    return;
  }
  const head = req.method === 'HEAD';
  try {
    if (path === '/healthz') {
      const v = source.health();
      send(res, v.healthy ? 200 : 503, 'text/plain; charset=utf-8', v.healthy ? 'ok\n' : `unhealthy: ${v.reasons.join('; ')}\n`, head);
    } else {
      send(res, 200, METRICS_CONTENT_TYPE, source.metricsText(), head);
    }
  } catch (err) {
    send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(err as Error).message}\n`, head);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : body);
}

/** Start the HTTP server; resolves once listening, rejects on a bind error. */
export function startHealthServer(source: HealthSource, address: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (source.refresh === undefined) {
      handleHealthRequest(source, req, res);
      return;
    }
    source.refresh().then(() => handleHealthRequest(source, req, res), () => handleHealthRequest(source, req, res));
  });
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/** Close the HTTP server and its open connections; resolves when it is closed. */
export function closeHealthServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
