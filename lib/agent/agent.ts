/**
 * The agent in one thread: the data plane (socket, inspector, replier), the self-probe, the health
 * and metrics it reports and its timers. main.ts runs one in the main thread (node without
 * reusePort) or the WorkerSupervisor (workers.ts) runs one per worker thread (`options.worker`:
 * no HTTP server of its own, SO_REUSEPORT, shared flow blocks).
 */
import type { Server } from 'node:http';
import type { AgentConfig } from './cli';
import { CoarseClock } from './coarse-clock';
import { Dataplane } from './dataplane';
import { DROP_REASON_NAMES } from './drop-reasons';
import {
  closeHealthServer, evaluateHealth, HealthSource, HealthVerdict, LagMonitor, SendWindow, startHealthServer,
} from './health';
import { Inspector, PolicyDropEvent } from './inspector';
import { Logger, RateLimiter } from './log';
import {
  AgentMetrics, mergeDropCounts, MetricsSnapshot, renderMetrics, runtimeDropCounts, SelfProbeSnapshot, subtractCounts,
} from './metrics';
import type { CompiledPolicy } from './policy';
import { reloadPolicyFile } from './policy-reload';
import { probeTimeoutFor, SelfProbe, SelfProbeOptions } from './self-probe';
import type { SharedBlockTable } from './shared-blocks';
import { SlicedJob } from './sliced-job';

/** Housekeeping period: send-window sample, log flushes. */
const TICK_MS = 1000;
/** Flow table sweep and reply-socket retry period. */
const SWEEP_MS = 5000;
/**
 * Idle flows removed per slice of a sweep (well under a millisecond); the next slice runs after the
 * packets that arrived meanwhile (sliced-job.ts), until no idle flow is left.
 */
export const SWEEP_SLICE_FLOWS = 4096;

/** Tuning for tests and embedders; the CLI uses the defaults. */
export interface AgentOptions {
  /**
   * Self-probe timing; overrides the interval from the config (--self-probe-interval-ms). No probe
   * runs when the config's interval is 0. @default - config interval, probeTimeoutFor() it, 503 after 2 failures
   */
  readonly selfProbe?: Pick<SelfProbeOptions, 'intervalMs' | 'timeoutMs' | 'failureThreshold'>;
  /** Run as worker `index` of several (workers.ts): no HTTP server, SO_REUSEPORT, shared blocks. @default - one agent */
  readonly worker?: WorkerRole;
}

/** What a worker thread's Agent shares with the others. */
export interface WorkerRole {
  readonly index: number;
  readonly sharedBlocks: SharedBlockTable;
  /** The clock every worker shares: ms since a common epoch (see workers.ts). */
  readonly clockSource: () => number;
}

/** What main() and the signal handlers drive: one Agent, or the WorkerSupervisor of several. */
export interface AgentRuntime {
  start(): Promise<void>;
  reloadPolicy(): void;
  /** Run a policy validated elsewhere (the SSM parameter poller): `text` is what workers are given. */
  applyPolicy(text: string, policy: CompiledPolicy, source: Record<string, unknown>): void;
  /** Counters of the runtime itself (policy reloads and refusals). */
  readonly metrics: AgentMetrics;
  drain(signal: string): Promise<void>;
  readonly isDraining: boolean;
  stop(): Promise<void>;
  packetsIn(): number;
  packetsOut(): number;
  /** Gather the current state first (several workers: ask each); then metricsSnapshot() is fresh. */
  refresh(): Promise<void>;
  /** What /metrics reports, as data: the sum over the workers with several (metrics-sum.ts). */
  metricsSnapshot(): MetricsSnapshot;
}

export class Agent implements HealthSource, AgentRuntime {
  readonly metrics = new AgentMetrics();
  readonly inspector: Inspector;
  readonly dataplane: Dataplane;
  /** The packet path's clock (flow idle timers): a cached value refreshed every 100 ms. */
  private readonly clock: CoarseClock;
  private readonly lag = new LagMonitor();
  private readonly sendWindow = new SendWindow(10);
  private readonly dropLogLimiter = new RateLimiter({ burst: 20, perSecond: 10 });
  private readonly warnLimiter = new RateLimiter({ burst: 10, perSecond: 1 });
  private server: Server | null = null;
  private probe: SelfProbe | null = null;
  /** True after logging that the self-probe fails, until it recovers. */
  private probeFailureLogged = false;
  private timers: NodeJS.Timeout[] = [];
  /** The flow sweep, in slices of SWEEP_SLICE_FLOWS (see sliced-job.ts). */
  private readonly flowSweep = new SlicedJob(
    () => this.inspector.sweepFlows(SWEEP_SLICE_FLOWS), (err) => this.log.error('sweep failed', { error: err }),
  );
  private draining = false;
  /** Rules of the running policy (the inspector does not expose its policy). */
  private policyRuleCount: number;

  constructor(
    readonly config: AgentConfig,
    policy: CompiledPolicy,
    private readonly log: Logger,
    private readonly options: AgentOptions = {},
  ) {
    this.policyRuleCount = policy.ruleCount;
    const worker = options.worker;
    this.clock = worker ? new CoarseClock(undefined, worker.clockSource) : new CoarseClock();
    this.inspector = new Inspector(policy, {
      tcpIdleSeconds: config.tcpIdleSeconds,
      otherIdleSeconds: config.udpIdleSeconds,
      maxFlows: config.maxFlows,
      now: this.clock.now,
      sharedBlocks: worker?.sharedBlocks,
    });
    // The probe is exempt from policy, not dropped; other drops are logged as the limiter allows.
    this.inspector.wantPolicyDrop = () =>
      !this.dataplane.inspectingProbe && this.log.enabled('info') && this.dropLogLimiter.take();
    this.inspector.onPolicyDrop = (e) => this.logPolicyDrop(e);
    this.dataplane = new Dataplane(
      {
        listen: config.listen, port: config.port, replyMode: config.replyMode, warn: (m, f) => this.warnLimited(m, f),
        sendPath: config.sendPath === 'dgram' ? 'dgram' : 'native', reusePort: worker !== undefined, io: config.io,
      },
      this.inspector,
      this.metrics,
    );
  }

  async start(): Promise<void> {
    this.clock.start();
    try {
      await this.startServices();
    } catch (err) {
      this.clock.stop();
      throw err;
    }
  }

  private async startServices(): Promise<void> {
    const c = this.config;
    const buffers = await this.dataplane.start();
    try {
      await this.startProbe();
    } catch (err) {
      await this.dataplane.close();
      throw new Error(`cannot start the data path self-probe: ${(err as Error).message}`);
    }
    if (this.options.worker === undefined) {
      try {
        this.server = await startHealthServer(this, c.listen, c.healthPort);
      } catch (err) {
        await this.dataplane.close();
        await this.stopProbe();
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new Error(`cannot listen for HTTP on ${c.listen}:${c.healthPort}: ${code}`);
      }
      this.server.on('error', (err) => this.warnLimited('health server error', { error: err }));
    }
    this.lag.start();
    this.every(TICK_MS, () => this.tick());
    this.every(SWEEP_MS, () => this.sweep());
    this.log.info(this.options.worker ? 'worker started' : 'gwlb-agent started', {
      listen: c.listen, port: c.port, healthPort: c.healthPort, replyMode: c.replyMode,
      policy: c.policyFile ?? null, policyRules: this.policyRules(), policyGeneration: this.inspector.policyGeneration,
      serverNameRules: this.inspector.policy.nameRules.length, workers: this.options.worker ? undefined : 1, drainSeconds: c.drainSeconds, tcpIdleSeconds: c.tcpIdleSeconds, udpIdleSeconds: c.udpIdleSeconds,
      maxFlows: c.maxFlows, recvBufferBytes: buffers.recv, sendBufferBytes: buffers.send, pid: process.pid,
      sendPath: this.dataplane.sendPath?.path.name, sendPathReason: this.dataplane.sendPath?.reason || undefined,
      io: this.dataplane.io?.mode, ioReason: this.dataplane.io?.reason || undefined, ioAddon: this.dataplane.io?.source,
      selfProbe: this.probe && { from: this.probe.plan.source, to: this.probe.plan.target, intervalMs: this.probe.intervalMs },
    });
    if (this.options.worker !== undefined && this.options.worker.index > 0) return; // the first worker warns for all
    if (this.probe === null) {
      this.log.warn('self-probe disabled (--self-probe-interval-ms 0): /healthz does not check that packets get through the data path');
    }
    const io = this.dataplane.io;
    if (io !== null && io.mode === 'js' && c.io === 'auto') {
      this.log.warn('native batch I/O unavailable: datagrams go through node dgram (slower per packet)', { reason: io.reason });
    }
    if (c.replyMode === 'dgram') {
      this.log.warn('reply-mode dgram: replies leave from the listening port, so the GWLB source port is not kept', {
        port: c.port,
      });
    }
  }

  health(): HealthVerdict {
    this.dataplane.syncCounters();
    const recent = this.sendWindow.recent();
    return evaluateHealth({
      draining: this.draining,
      dataSocketBound: this.dataplane.isBound(),
      replySocketsOpen: this.dataplane.replyPathOpen(),
      recentSendErrors: recent.errors,
      recentSendOk: recent.ok,
      eventLoopLagMs: this.lag.currentLagMs(),
      selfProbeFailure: this.probe ? this.probe.failure() : null,
    });
  }

  /** The running self-probe (null before start and after stop). */
  get selfProbe(): SelfProbe | null {
    return this.probe;
  }

  metricsText(): string {
    return renderMetrics(this.metricsSnapshot());
  }

  /** Everything /metrics reports, as data (the worker supervisor sums these over the workers). */
  metricsSnapshot(): MetricsSnapshot {
    this.dataplane.syncCounters();
    const io = this.dataplane.io;
    return {
      counters: this.metrics,
      // The inspector counted the probe's verdicts too; customers see their own packets only.
      drops: mergeDropCounts(
        DROP_REASON_NAMES, subtractCounts(this.inspector.dropCounts, this.dataplane.probeVerdicts), runtimeDropCounts(this.metrics),
      ),
      activeFlows: this.inspector.activeFlows(),
      policyGeneration: this.inspector.policyGeneration,
      policyRules: this.policyRules(),
      replySockets: this.dataplane.replySockets,
      logSuppressed: this.dropLogLimiter.totalSuppressed + this.warnLimiter.totalSuppressed,
      eventLoopLagSeconds: this.lag.currentLagMs() / 1000,
      draining: this.draining,
      healthy: this.health().healthy,
      selfProbe: this.probeSnapshot(),
      serverNames: this.inspector.names.snapshot(this.inspector.nameDrops, this.inspector.policy.names !== null),
      io: io === null ? undefined : { native: io.mode === 'native' ? 1 : 0, js: io.mode === 'js' ? 1 : 0 },
    };
  }

  private probeSnapshot(): SelfProbeSnapshot | undefined {
    const p = this.probe;
    if (p === null) return undefined;
    return {
      results: p.results,
      lastSuccessAgeSeconds: p.lastSuccessAgeSeconds(),
      consecutiveFailures: p.consecutiveFailures,
      traffic: this.dataplane.probeMetrics,
    };
  }

  private async startProbe(): Promise<void> {
    const intervalMs = this.config.selfProbeIntervalMs;
    if (intervalMs === 0) return; // disabled: start() warns
    const address = this.dataplane.address();
    if (address === null) throw new Error('the data socket is not bound');
    const worker = this.options.worker;
    const probe = new SelfProbe({
      listenAddress: this.config.listen, listenPort: address.port, replyMode: this.config.replyMode,
      intervalMs, timeoutMs: probeTimeoutFor(intervalMs), ...this.options.selfProbe,
      worker: worker ? { index: worker.index } : undefined,
    });
    this.dataplane.attachProbe(probe);
    this.probe = probe;
    try {
      await probe.open();
      if (worker) probe.setTargetPort(await this.dataplane.openProbeIntake(probe.plan.target, probe.plan.source, probe.sourcePort));
      probe.run();
    } catch (err) {
      await this.stopProbe(); // the caller closes the data plane
      throw err;
    }
  }

  private async stopProbe(): Promise<void> {
    const probe = this.probe;
    this.probe = null;
    this.dataplane.attachProbe(null);
    if (probe) await probe.close();
  }

  /** SIGHUP: load the policy file again; keep the old policy if the new one is invalid. */
  reloadPolicy(): void {
    reloadPolicyFile({
      file: this.config.policyFile, log: this.log, metrics: this.metrics, generation: () => this.inspector.policyGeneration,
      apply: (_text, policy) => {
        this.setPolicy(policy);
        return {};
      },
    });
  }

  /** Run a validated policy from now on (e.g. a new SSM parameter version); `source` is logged. */
  applyPolicy(_text: string, policy: CompiledPolicy, source: Record<string, unknown>): void {
    this.setPolicy(policy);
    this.log.info('policy reloaded', { ...source, policyRules: policy.ruleCount, serverNameRules: policy.nameRules.length, policyGeneration: this.inspector.policyGeneration });
  }

  /** Replace the running policy (a reload; counted in gwlb_agent_policy_reloads_total). */
  setPolicy(policy: CompiledPolicy): void {
    this.inspector.setPolicy(policy);
    this.policyRuleCount = policy.ruleCount;
    this.metrics.policyReloads++;
  }

  /** Report draining from now on (workers: the supervisor times the drain). */
  startDraining(): void {
    this.draining = true;
  }

  /** SIGTERM/SIGINT: report unhealthy at once, keep forwarding for drainSeconds, then resolve. */
  drain(signal: string): Promise<void> {
    this.draining = true;
    this.log.info('draining', { signal, drainSeconds: this.config.drainSeconds });
    return new Promise((resolve) => setTimeout(resolve, this.config.drainSeconds * 1000));
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.flowSweep.stop();
    this.lag.stop();
    this.clock.stop();
    // Data plane first: with --listen 0.0.0.0 a probe reply still in flight would otherwise reach
    // the listening socket after the probe is detached and be treated as customer traffic.
    await this.dataplane.close();
    await this.stopProbe();
    const server = this.server;
    this.server = null;
    if (server) await closeHealthServer(server);
  }

  private policyRules(): number {
    return this.policyRuleCount;
  }

  packetsIn(): number {
    return this.metrics.packetsIn;
  }

  /** Nothing to gather: this agent's state is in this thread. */
  refresh(): Promise<void> {
    return Promise.resolve();
  }

  packetsOut(): number {
    this.dataplane.syncCounters();
    return this.metrics.packetsOut;
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private tick(): void {
    this.dataplane.syncCounters();
    this.sendWindow.sample(this.metrics.packetsOut, this.metrics.sendErrors);
    const lastError = this.dataplane.sender.lastError;
    if (lastError) {
      this.dataplane.sender.lastError = null;
      this.warnLimited('reply send failed', { error: lastError, sendErrorsTotal: this.metrics.sendErrors });
    }
    const inspectorError = this.inspector.lastError;
    if (inspectorError !== undefined) {
      this.inspector.lastError = undefined;
      this.log.error('inspector error (packet dropped as internal_error, or onPolicyDrop threw)', { error: inspectorError });
    }
    this.flushSuppressed();
    this.logProbeChange();
  }

  /** Log when the self-probe starts failing /healthz and when it recovers. */
  private logProbeChange(): void {
    const failure = this.probe ? this.probe.failure() : null;
    if ((failure !== null) === this.probeFailureLogged) return;
    if (failure !== null) this.log.error('data path self-probe failing; /healthz reports 503', { reason: failure });
    else this.log.info('data path self-probe recovered');
    this.probeFailureLogged = failure !== null;
  }

  private sweep(): void {
    try {
      this.inspector.sweepNames();
      this.dataplane.sweep();
    } catch (err) {
      this.log.error('sweep failed', { error: err });
    }
    this.flowSweep.run();
  }

  /** Logs a policy drop that `wantPolicyDrop` accepted (it took the limiter's token). */
  private logPolicyDrop(e: PolicyDropEvent): void {
    const suppressed = this.dropLogLimiter.takeSuppressed();
    this.log.info('policy drop', suppressed > 0 ? { ...e, suppressed } : { ...e });
  }

  private warnLimited(msg: string, fields: Record<string, unknown>): void {
    if (!this.log.enabled('warn') || !this.warnLimiter.take()) return;
    const suppressed = this.warnLimiter.takeSuppressed();
    this.log.warn(msg, suppressed > 0 ? { ...fields, suppressed } : fields);
  }

  /** Report events suppressed by rate limiting even when no new event comes to carry the count. */
  private flushSuppressed(): void {
    const drops = this.dropLogLimiter.suppressedPending;
    if (drops > 0 && this.dropLogLimiter.take()) {
      this.log.info('policy drop logs suppressed', { suppressed: this.dropLogLimiter.takeSuppressed() });
    }
  }
}
