/**
 * Several data-plane workers: the main thread supervises N worker threads (worker-thread.ts), each
 * with its own SO_REUSEPORT GENEVE socket, so the kernel spreads flows over the cores by the outer
 * 4-tuple, as AWS's reference handler (gwlbtun) spreads them over its per-thread sockets.
 *
 * The main thread owns what must be one per appliance: the HTTP server (/healthz, /metrics), the
 * signals (SIGHUP reload, SIGTERM drain), the shared table of blocked flows (shared-blocks.ts, swept
 * here) and the workers' lives:
 * - A worker that exits or crashes is restarted (after 100 ms, doubling to 5 s while it keeps
 *   failing) without touching the others; the kernel sends its flows to the remaining sockets in
 *   the meantime. Its counters are kept, so /metrics counters never go backwards.
 * - /healthz asks every worker for its health and metrics first (answer within 1 s): 503 when a
 *   worker is unhealthy (its own self-probe, reply path, event loop), does not answer, or has been
 *   down for more than WORKER_DOWN_UNHEALTHY_MS; every reason names the worker.
 * - /metrics is the sum over the workers (metrics-sum.ts) plus per-worker packet counts.
 * - SIGHUP: the main thread loads and validates --policy, then sends the same text to every worker.
 * - --max-flows is divided among the workers; the flow tables hold at most that many together.
 */
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { AgentConfig } from './cli';
import { closeHealthServer, HealthVerdict, LagMonitor, startHealthServer } from './health';
import { Logger } from './log';
import { AgentMetrics, MetricsSnapshot, renderMetrics } from './metrics';
import { sumSnapshots } from './metrics-sum';
import type { CompiledPolicy } from './policy';
import { reloadPolicyFile } from './policy-reload';
import { assertUdpPortFree } from './reuse-port';
import { SharedBlockTable } from './shared-blocks';
import type { SupervisorMessage, WorkerInit } from './worker-thread';

/**
 * V8 flags for the workers' heaps (override: GWLB_AGENT_WORKER_V8_FLAGS). Node allocates a Buffer,
 * an rinfo object and an address string per datagram (~300 bytes of young generation): with the
 * default 1 MB starting semi-space a scavenge pauses the packet loop every ~20,000 packets; with 16
 * MB, 4-5 times less often, at the same cost each (the cost is the few survivors, not the size).
 */
export const WORKER_V8_FLAGS = '--min-semi-space-size=16';

/** Shared blocked-flow capacity: --max-flows, at most this many. */
export const MAX_SHARED_BLOCKS = 65_536;
/** How long a worker may be down before /healthz turns 503. */
export const WORKER_DOWN_UNHEALTHY_MS = 10_000;
const SNAPSHOT_TIMEOUT_MS = 1000;
const SWEEP_MS = 5000;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;
const STOP_TIMEOUT_MS = 5000;

interface WorkerSnapshotReply {
  readonly type: 'snapshot';
  readonly id: number;
  readonly health: HealthVerdict;
  readonly metrics: MetricsSnapshot;
}

class WorkerSlot {
  worker: Worker | null = null;
  ready = false;
  /** When it went down (performance.now()), or -1 while up. */
  downSince = -1;
  restartDelay = RESTART_MIN_MS;
  restartTimer: NodeJS.Timeout | null = null;
  last: WorkerSnapshotReply | null = null;
  /** Counters of earlier lives of this slot. */
  retired: MetricsSnapshot[] = [];
  answered = false;
  constructor(readonly index: number) {}
}

/** The metrics of every life of a worker slot: the ended ones and the running one. */
function livesOf(slot: WorkerSlot): MetricsSnapshot[] {
  return slot.last !== null && slot.worker !== null ? [...slot.retired, slot.last.metrics] : slot.retired;
}

export interface WorkerSupervisorOptions {
  readonly workers: number;
  /** The script a worker thread runs: the agent bundle. */
  readonly script: string;
  /** Policy text validated at startup (null: allow all). */
  readonly policyText: string | null;
  readonly policyRules: number;
}

export class WorkerSupervisor {
  readonly metrics = new AgentMetrics();
  readonly shared: SharedBlockTable;
  restarts = 0;
  private readonly slots: WorkerSlot[];
  private readonly epochMs = performance.timeOrigin + performance.now();
  private readonly lag = new LagMonitor();
  private server: Server | null = null;
  private timers: NodeJS.Timeout[] = [];
  private draining = false;
  private stopping = false;
  private policyText: string | null;
  private policyRules: number;
  private policyGeneration = 0;
  private nextId = 1;
  private readonly waiters = new Map<number, () => void>();

  constructor(readonly config: AgentConfig, private readonly log: Logger, private readonly opts: WorkerSupervisorOptions) {
    this.slots = Array.from({ length: opts.workers }, (_, i) => new WorkerSlot(i));
    this.policyText = opts.policyText;
    this.policyRules = opts.policyRules;
    this.shared = SharedBlockTable.create({
      capacity: Math.min(config.maxFlows, MAX_SHARED_BLOCKS),
      tcpIdleMs: config.tcpIdleSeconds * 1000,
      otherIdleMs: config.udpIdleSeconds * 1000,
      seed: Math.floor(Math.random() * 0x100000000),
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Start every worker (all must come up), then the HTTP server. Rejects naming the failure. */
  async start(): Promise<void> {
    // V8 reads heap flags when an isolate is created: set here, they apply to the workers' heaps.
    setFlagsFromString(process.env.GWLB_AGENT_WORKER_V8_FLAGS ?? WORKER_V8_FLAGS);
    await assertUdpPortFree(this.config.listen, this.config.port);
    try {
      await Promise.all(this.slots.map((s) => this.spawn(s)));
    } catch (err) {
      await this.stop();
      throw err;
    }
    try {
      this.server = await startHealthServer(this, this.config.listen, this.config.healthPort);
    } catch (err) {
      await this.stop();
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`cannot listen for HTTP on ${this.config.listen}:${this.config.healthPort}: ${code}`);
    }
    this.lag.start();
    if (process.env.GWLB_AGENT_TEST_HOOKS === '1') {
      // Tests: SIGUSR2 makes worker 0 throw an uncaught exception, SIGWINCH blocks it for 3 s.
      process.on('SIGUSR2', () => this.slots[0].worker?.postMessage({ type: 'crash' } satisfies SupervisorMessage));
      process.on('SIGWINCH', () => this.slots[0].worker?.postMessage({ type: 'stall', ms: 3000 } satisfies SupervisorMessage));
    }
    const t = setInterval(() => this.shared.sweep(this.sharedTicks()), SWEEP_MS);
    t.unref();
    this.timers.push(t);
    const c = this.config;
    this.log.info('gwlb-agent started', {
      workers: this.slots.length, listen: c.listen, port: c.port, healthPort: c.healthPort, replyMode: c.replyMode,
      policy: c.policyFile ?? null, policyRules: this.policyRules, maxFlowsPerWorker: this.workerConfig().maxFlows,
      sharedBlockSlots: this.shared.slots, pid: process.pid,
    });
  }

  private sharedTicks(): number {
    return Math.floor((performance.timeOrigin + performance.now() - this.epochMs) / 100);
  }

  private workerConfig(): AgentConfig {
    return { ...this.config, maxFlows: Math.ceil(this.config.maxFlows / this.slots.length) };
  }

  /** Start the worker of `slot`; resolves when it is ready, rejects when it fails to start. */
  private spawn(slot: WorkerSlot): Promise<void> {
    const init: WorkerInit = {
      gwlbAgentWorker: true, index: slot.index, config: this.workerConfig(), policyText: this.policyText,
      shared: this.shared.init, epochMs: this.epochMs,
    };
    const worker = new Worker(this.opts.script, { workerData: init, stdout: false, stderr: false });
    slot.worker = worker;
    slot.ready = false;
    return new Promise((resolve, reject) => {
      let settled = false;
      worker.on('message', (m: { type: string; error?: string }) => {
        if (m.type === 'ready') {
          slot.ready = true;
          slot.downSince = -1;
          slot.restartDelay = RESTART_MIN_MS;
          if (this.draining) worker.postMessage({ type: 'drain' } satisfies SupervisorMessage);
          settled = true;
          resolve();
        } else if (m.type === 'failed') {
          settled = true;
          reject(new Error(`worker ${slot.index}: ${m.error}`));
        } else if (m.type === 'snapshot') {
          this.onSnapshot(slot, m as unknown as WorkerSnapshotReply);
        }
      });
      worker.on('error', (err) => {
        this.log.error('worker crashed', { worker: slot.index, error: err.message, stack: err.stack });
      });
      worker.on('exit', (code) => {
        if (slot.worker !== worker) return;
        this.retire(slot);
        slot.worker = null;
        slot.ready = false;
        if (!settled) {
          settled = true;
          reject(new Error(`worker ${slot.index} exited with code ${code} during startup`));
          return;
        }
        if (this.stopping) return;
        if (slot.downSince < 0) slot.downSince = performance.now();
        this.log.error('worker exited; restarting it', { worker: slot.index, code, restartInMs: slot.restartDelay });
        this.scheduleRestart(slot);
      });
    });
  }

  private scheduleRestart(slot: WorkerSlot): void {
    const delay = slot.restartDelay;
    slot.restartDelay = Math.min(RESTART_MAX_MS, delay * 2);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.stopping) return;
      this.restarts++;
      this.spawn(slot).then(
        () => this.log.info('worker restarted', { worker: slot.index }),
        (err: Error) => {
          this.log.error('worker restart failed', { worker: slot.index, error: err.message });
          if (!this.stopping && slot.worker === null && slot.restartTimer === null) this.scheduleRestart(slot);
        },
      );
    }, delay);
    slot.restartTimer.unref();
  }

  /** Keep the counters of a worker's life that ended (gauges do not outlive it). */
  private retire(slot: WorkerSlot): void {
    const last = slot.last;
    slot.last = null;
    if (last === null) return;
    slot.retired.push({ ...last.metrics, activeFlows: 0, replySockets: 0, eventLoopLagSeconds: 0, selfProbe: last.metrics.selfProbe && {
      ...last.metrics.selfProbe, lastSuccessAgeSeconds: 0, consecutiveFailures: 0,
    } });
  }

  private onSnapshot(slot: WorkerSlot, reply: WorkerSnapshotReply): void {
    slot.last = reply;
    slot.answered = true;
    const waiter = this.waiters.get(reply.id);
    if (waiter) waiter();
  }

  /** Ask every running worker for a snapshot; resolves when all answered or after 1 s. */
  async refresh(): Promise<void> {
    const id = this.nextId++;
    const running = this.slots.filter((s) => s.worker !== null && s.ready);
    for (const s of running) s.answered = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, SNAPSHOT_TIMEOUT_MS);
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        waiters.delete(id);
        resolve();
      }
      this.waiters.set(id, () => {
        if (running.every((s) => s.answered || s.worker === null)) done();
      });
      for (const s of running) s.worker?.postMessage({ type: 'snapshot', id } satisfies SupervisorMessage);
      if (running.length === 0) done();
    });
  }

  health(): HealthVerdict {
    const reasons: string[] = [];
    if (this.draining) reasons.push('draining');
    const now = performance.now();
    for (const s of this.slots) {
      if (s.worker === null || !s.ready) {
        if (s.downSince >= 0 && now - s.downSince > WORKER_DOWN_UNHEALTHY_MS) {
          reasons.push(`worker ${s.index}: down for ${Math.round((now - s.downSince) / 1000)} s`);
        }
        continue;
      }
      if (!s.answered || s.last === null) {
        reasons.push(`worker ${s.index}: no answer within ${SNAPSHOT_TIMEOUT_MS} ms`);
        continue;
      }
      for (const r of s.last.health.reasons) if (r !== 'draining') reasons.push(`worker ${s.index}: ${r}`);
    }
    if (this.slots.every((s) => s.worker === null || !s.ready)) reasons.push('no worker running');
    return { healthy: reasons.length === 0, reasons };
  }

  metricsSnapshot(): MetricsSnapshot {
    const lives = this.slots.flatMap((s) => livesOf(s));
    const sum = sumSnapshots(lives, {
      counters: this.metrics, policyGeneration: this.policyGeneration, policyRules: this.policyRules,
      draining: this.draining, healthy: this.health().healthy, eventLoopLagSeconds: this.lag.currentLagMs() / 1000,
      logSuppressed: 0,
    });
    return {
      ...sum,
      workers: {
        configured: this.slots.length,
        running: this.slots.filter((s) => s.worker !== null && s.ready && s.answered).length,
        restarts: this.restarts,
        packetsIn: this.slots.map((s) => livesOf(s).reduce((n, m) => n + m.counters.packetsIn, 0)),
        sharedBlockedFlows: this.shared.count,
        sharedBlockEvictions: this.shared.evictions,
      },
    };
  }

  metricsText(): string {
    return renderMetrics(this.metricsSnapshot());
  }

  /** SIGHUP: validate --policy here, then hand the same text to every worker. */
  reloadPolicy(): void {
    reloadPolicyFile({
      file: this.config.policyFile, log: this.log, metrics: this.metrics, generation: () => this.policyGeneration,
      apply: (text, policy) => this.runPolicy(text, policy),
    });
  }

  /** Run a validated policy (e.g. a new SSM parameter version) in every worker; `source` is logged. */
  applyPolicy(text: string, policy: CompiledPolicy, source: Record<string, unknown>): void {
    const extra = this.runPolicy(text, policy);
    this.log.info('policy reloaded', { ...source, policyRules: policy.ruleCount, serverNameRules: policy.nameRules.length, policyGeneration: this.policyGeneration, ...extra });
  }

  private runPolicy(text: string, policy: CompiledPolicy): Record<string, unknown> {
    this.policyText = text;
    this.policyRules = policy.ruleCount;
    this.policyGeneration++;
    this.metrics.policyReloads++;
    for (const s of this.slots) s.worker?.postMessage({ type: 'policy', text } satisfies SupervisorMessage);
    return { workers: this.slots.length };
  }

  drain(signal: string): Promise<void> {
    this.draining = true;
    for (const s of this.slots) s.worker?.postMessage({ type: 'drain' } satisfies SupervisorMessage);
    this.log.info('draining', { signal, drainSeconds: this.config.drainSeconds });
    return new Promise((resolve) => setTimeout(resolve, this.config.drainSeconds * 1000));
  }

  /** Packets received over all workers (for the exit log). */
  packetsIn(): number {
    return this.metricsSnapshot().counters.packetsIn;
  }

  packetsOut(): number {
    return this.metricsSnapshot().counters.packetsOut;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.lag.stop();
    await this.refresh().catch(() => undefined); // final counters for the exit log
    await Promise.all(this.slots.map((s) => this.stopWorker(s)));
    const server = this.server;
    this.server = null;
    if (server) await closeHealthServer(server);
  }

  private stopWorker(slot: WorkerSlot): Promise<void> {
    if (slot.restartTimer) clearTimeout(slot.restartTimer);
    slot.restartTimer = null;
    const worker = slot.worker;
    if (worker === null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'stop' } satisfies SupervisorMessage);
    });
  }
}
