/**
 * gwlb-agent entry point: parse flags, load the policy, start the data plane
 * and the health server, and handle signals.
 *
 *   SIGHUP          reload --policy; an invalid file keeps the running policy.
 *   SIGTERM/SIGINT  /healthz turns 503 ("draining") at once, forwarding goes on
 *                   for --drain-seconds, then exit 0. A second signal exits now.
 *
 * /healthz also reflects the data path: a self-probe (self-probe.ts) sends a GENEVE
 * packet through the agent every 2 s (--self-probe-interval-ms; 0 turns it off, with a
 * warning) and expects it back unchanged.
 *
 * Exit codes: 0 normal, 1 runtime failure (e.g. port in use), 2 bad flags or policy.
 */
import type { Server } from 'node:http';
import { AgentConfig, CliError, HELP, parseCli } from './cli';
import { CoarseClock } from './coarse-clock';
import { Dataplane } from './dataplane';
import { DROP_REASON_NAMES } from './drop-reasons';
import { evaluateHealth, HealthSource, HealthVerdict, LagMonitor, SendWindow, startHealthServer } from './health';
import { Inspector, PolicyDropEvent } from './inspector';
import { Logger, LogSink, RateLimiter } from './log';
import { AgentMetrics, mergeDropCounts, renderMetrics, runtimeDropCounts, SelfProbeSnapshot, subtractCounts } from './metrics';
import { allowAllPolicy, CompiledPolicy, loadPolicyFile, PolicyError } from './policy';
import { probeTimeoutFor, SelfProbe, SelfProbeOptions } from './self-probe';

/** Housekeeping period: send-window sample, log flushes. */
const TICK_MS = 1000;
/** Flow table sweep and reply-socket retry period. */
const SWEEP_MS = 5000;

/** Tuning for tests and embedders; the CLI uses the defaults. */
export interface AgentOptions {
  /**
   * Self-probe timing; overrides the interval from the config (--self-probe-interval-ms). No probe
   * runs when the config's interval is 0. @default - config interval, probeTimeoutFor() it, 503 after 2 failures
   */
  readonly selfProbe?: Pick<SelfProbeOptions, 'intervalMs' | 'timeoutMs' | 'failureThreshold'>;
}

export class Agent implements HealthSource {
  readonly metrics = new AgentMetrics();
  readonly inspector: Inspector;
  readonly dataplane: Dataplane;
  /** The packet path's clock (flow idle timers): a cached value refreshed every 100 ms. */
  private readonly clock = new CoarseClock();
  private readonly lag = new LagMonitor();
  private readonly sendWindow = new SendWindow(10);
  private readonly dropLogLimiter = new RateLimiter({ burst: 20, perSecond: 10 });
  private readonly warnLimiter = new RateLimiter({ burst: 10, perSecond: 1 });
  private server: Server | null = null;
  private probe: SelfProbe | null = null;
  /** True after logging that the self-probe fails, until it recovers. */
  private probeFailureLogged = false;
  private timers: NodeJS.Timeout[] = [];
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
    this.inspector = new Inspector(policy, {
      tcpIdleSeconds: config.tcpIdleSeconds,
      otherIdleSeconds: config.udpIdleSeconds,
      maxFlows: config.maxFlows,
      now: this.clock.now,
    });
    // The probe is exempt from policy, not dropped; other drops are logged as the limiter allows.
    this.inspector.wantPolicyDrop = () =>
      !this.dataplane.inspectingProbe && this.log.enabled('info') && this.dropLogLimiter.take();
    this.inspector.onPolicyDrop = (e) => this.logPolicyDrop(e);
    this.dataplane = new Dataplane(
      {
        listen: config.listen, port: config.port, replyMode: config.replyMode, warn: (m, f) => this.warnLimited(m, f),
        sendPath: config.sendPath === 'dgram' ? 'dgram' : 'native',
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
    try {
      this.server = await startHealthServer(this, c.listen, c.healthPort);
    } catch (err) {
      await this.dataplane.close();
      await this.stopProbe();
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`cannot listen for HTTP on ${c.listen}:${c.healthPort}: ${code}`);
    }
    this.server.on('error', (err) => this.warnLimited('health server error', { error: err }));
    this.lag.start();
    this.every(TICK_MS, () => this.tick());
    this.every(SWEEP_MS, () => this.sweep());
    this.log.info('gwlb-agent started', {
      listen: c.listen, port: c.port, healthPort: c.healthPort, replyMode: c.replyMode,
      policy: c.policyFile ?? null, policyRules: this.policyRules(), policyGeneration: this.inspector.policyGeneration,
      serverNameRules: this.inspector.policy.nameRules.length,
      drainSeconds: c.drainSeconds, tcpIdleSeconds: c.tcpIdleSeconds, udpIdleSeconds: c.udpIdleSeconds,
      maxFlows: c.maxFlows, recvBufferBytes: buffers.recv, sendBufferBytes: buffers.send, pid: process.pid,
      sendPath: this.dataplane.sendPath?.path.name, sendPathReason: this.dataplane.sendPath?.reason || undefined,
      selfProbe: this.probe && { from: this.probe.plan.source, to: this.probe.plan.target, intervalMs: this.probe.intervalMs },
    });
    if (this.probe === null) {
      this.log.warn('self-probe disabled (--self-probe-interval-ms 0): /healthz does not check that packets get through the data path');
    }
    if (c.replyMode === 'dgram') {
      this.log.warn('reply-mode dgram: replies leave from the listening port, so the GWLB source port is not kept', {
        port: c.port,
      });
    }
  }

  health(): HealthVerdict {
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
    return renderMetrics({
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
    });
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
    const probe = new SelfProbe({
      listenAddress: this.config.listen, listenPort: address.port, replyMode: this.config.replyMode,
      intervalMs, timeoutMs: probeTimeoutFor(intervalMs), ...this.options.selfProbe,
    });
    this.dataplane.attachProbe(probe);
    this.probe = probe;
    try {
      await probe.start();
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
    const file = this.config.policyFile;
    if (file === undefined) {
      this.log.warn('SIGHUP: no --policy file given, nothing to reload');
      return;
    }
    try {
      const policy = loadPolicyFile(file);
      this.inspector.setPolicy(policy);
      this.policyRuleCount = policy.ruleCount;
      this.metrics.policyReloads++;
      this.log.info('policy reloaded', {
        policy: file, policyRules: policy.ruleCount, serverNameRules: policy.nameRules.length, policyGeneration: this.inspector.policyGeneration,
      });
    } catch (err) {
      this.metrics.policyReloadFailures++;
      this.log.error('policy reload rejected; keeping the running policy', {
        policy: file, error: (err as Error).message, policyGeneration: this.inspector.policyGeneration,
      });
    }
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
    this.lag.stop();
    this.clock.stop();
    // Data plane first: with --listen 0.0.0.0 a probe reply still in flight would otherwise reach
    // the listening socket after the probe is detached and be treated as customer traffic.
    await this.dataplane.close();
    await this.stopProbe();
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  private policyRules(): number {
    return this.policyRuleCount;
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private tick(): void {
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
      this.inspector.sweep();
      this.dataplane.sweep();
    } catch (err) {
      this.log.error('sweep failed', { error: err });
    }
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

export interface AgentIo {
  readonly stdout: LogSink;
  readonly stderr: (text: string) => void;
  readonly exit: (code: number) => void;
}

const processIo: AgentIo = {
  stdout: (line) => process.stdout.write(line),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/** Load --policy, or allow everything without one. Throws PolicyError naming the flag and file. */
export function loadInitialPolicy(config: AgentConfig): CompiledPolicy {
  if (config.policyFile === undefined) return allowAllPolicy();
  try {
    return loadPolicyFile(config.policyFile);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(`--policy: ${err.message}`);
    throw err;
  }
}

/** Run the agent until a signal stops it. Returns the Agent, or null when it exited early. */
export async function main(argv: readonly string[], io: AgentIo = processIo): Promise<Agent | null> {
  let config: AgentConfig;
  let policy: CompiledPolicy;
  try {
    const cli = parseCli(argv);
    if (cli.kind === 'help') {
      io.stdout(HELP);
      io.exit(0);
      return null;
    }
    config = cli.config;
    policy = loadInitialPolicy(config);
  } catch (err) {
    if (!(err instanceof CliError || err instanceof PolicyError)) throw err;
    io.stderr(`gwlb-agent: ${err.message}\n`);
    io.exit(2);
    return null;
  }
  const log = new Logger(config.logLevel, io.stdout);
  const agent = new Agent(config, policy, log);
  try {
    await agent.start();
  } catch (err) {
    log.error('startup failed', { error: (err as Error).message });
    io.stderr(`gwlb-agent: ${(err as Error).message}\n`);
    io.exit(1);
    return null;
  }
  installSignalHandlers(agent, log, io);
  return agent;
}

function installSignalHandlers(agent: Agent, log: Logger, io: AgentIo): void {
  process.on('SIGHUP', () => agent.reloadPolicy());
  const onStop = (signal: NodeJS.Signals): void => {
    if (agent.isDraining) {
      log.warn('second stop signal: exiting now', { signal });
      void agent.stop().finally(() => io.exit(0));
      return;
    }
    void agent.drain(signal)
      .then(() => agent.stop())
      .then(() => {
        log.info('stopped', { packetsIn: agent.metrics.packetsIn, packetsOut: agent.metrics.packetsOut });
        io.exit(0);
      });
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
}

if (require.main === module) {
  process.on('uncaughtException', (err) => {
    process.stdout.write(JSON.stringify({
      time: new Date().toISOString(), level: 'error', msg: 'uncaught exception', error: err.message, stack: err.stack,
    }) + '\n');
    process.exit(1);
  });
  void main(process.argv.slice(2));
}
