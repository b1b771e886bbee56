/**
 * The AWS side of the agent, wired in by main.ts with a few calls: CloudWatch metrics
 * (metrics-publisher.ts), CloudWatch Logs (log-shipper.ts) and the policy from SSM
 * (policy-source.ts). Everything runs on timers off the packet path, with bounded buffers;
 * a failing AWS endpoint never throws into the agent and never holds the event loop.
 */
import type { LogSink, Logger } from '../log';
import type { MetricsSnapshot } from '../metrics';
import type { CompiledPolicy } from '../policy';
import { FetchedPolicy, fetchInitialPolicy, PolicyPoller } from '../policy-source';
import { AwsClientOptions, AwsClients } from './aws-clients';
import { describeAwsError, Backoff } from './backoff';
import { defaultMetadataSource, MetadataSource, resolveIdentity } from './instance-identity';
import { LogShipper } from './log-shipper';
import { InstanceIdentity, TelemetrySample } from './metric-datums';
import { MetricsPublisher } from './metrics-publisher';
import type { AwsConfig } from './options';

/**
 * What the integration reads from the running agent: one Agent, or the worker supervisor whose
 * snapshot is the sum over its workers (agent.ts's AgentRuntime has all of it).
 */
export interface TelemetryAgent {
  readonly metrics: { policyReloadFailures: number };
  /** Gather fresh state (several workers: ask each); metricsSnapshot() then reflects it. */
  refresh(): Promise<void>;
  metricsSnapshot(): MetricsSnapshot;
  applyPolicy(text: string, policy: CompiledPolicy, source: Record<string, unknown>): void;
}

/** How often the worker state is gathered for the next sample (a sample is at most this old). */
const REFRESH_MS = 5000;

export interface AwsIntegrationOptions {
  readonly config: AwsConfig;
  /** @default - from the config, else AWS_REGION, else IMDS */
  readonly clientOptions?: Partial<AwsClientOptions>;
  /** @default - IMDSv2 */
  readonly metadata?: MetadataSource;
  /** @default - 5 s, shorter in tests */
  readonly logFlushMs?: number;
  /** Backoff of the metrics and log requests. @default - 1 s to 5 min */
  readonly backoff?: () => Backoff;
}

export class AwsIntegration {
  /** Resolve the region (flag, AWS_REGION, IMDS) and create the clients; throws when no region can be found. */
  static async prepare(options: AwsIntegrationOptions): Promise<AwsIntegration> {
    const metadata = options.metadata ?? defaultMetadataSource();
    let region = options.clientOptions?.region ?? options.config.region ?? process.env.AWS_REGION;
    if (region === undefined) {
      try {
        region = (await resolveIdentity(metadata)).region;
      } catch (err) {
        throw new Error(`--aws-region: not given, AWS_REGION is not set and the instance metadata service did not answer (${describeAwsError(err).message})`);
      }
    }
    return new AwsIntegration(options, new AwsClients({ ...options.clientOptions, region }), metadata);
  }

  readonly shipper?: LogShipper;
  publisher?: MetricsPublisher;
  poller?: PolicyPoller;
  private identity: InstanceIdentity | undefined;
  private refreshTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(
    private readonly options: AwsIntegrationOptions,
    readonly clients: AwsClients,
    private readonly metadata: MetadataSource,
  ) {
    const c = options.config;
    if (c.logGroup !== undefined) {
      this.shipper = new LogShipper({
        client: clients.logs, logGroup: c.logGroup, flushMs: options.logFlushMs, backoff: options.backoff?.(),
        warn: (msg, fields) => this.log?.warn(msg, fields),
      });
    }
  }

  private log: Logger | undefined;

  /** The log sink: the journal (stdout) and, with --log-group, CloudWatch Logs. */
  sink(stdout: LogSink): LogSink {
    const shipper = this.shipper;
    if (shipper === undefined) return stdout;
    return (line) => {
      stdout(line);
      shipper.push(line);
    };
  }

  /** The policy from SSM, before the agent starts (undefined without --policy-parameter). */
  async initialPolicy(log: Logger): Promise<FetchedPolicy | undefined> {
    const name = this.options.config.policyParameter;
    return name === undefined ? undefined : fetchInitialPolicy(this.clients.ssm, name, log);
  }

  /** Start publishing, shipping and polling for a started agent. */
  attach(agent: TelemetryAgent, log: Logger, initial: FetchedPolicy | undefined): void {
    this.log = log;
    const c = this.options.config;
    if (c.policyParameter !== undefined && initial !== undefined) {
      this.poller = new PolicyPoller({
        client: this.clients.ssm, name: c.policyParameter, pollSeconds: c.policyPollSeconds, initialVersion: initial.version,
        apply: (policy, version, text) => agent.applyPolicy(text, policy, { parameter: c.policyParameter, parameterVersion: version }),
        rejected: () => { agent.metrics.policyReloadFailures++; },
        log,
      });
      this.poller.start();
    }
    if (c.metricsNamespace !== undefined) {
      const refresh = (): void => { void agent.refresh().catch(() => undefined); };
      refresh();
      this.refreshTimer = setInterval(refresh, Math.min(REFRESH_MS, c.metricsIntervalSeconds * 500));
      this.refreshTimer.unref();
      this.publisher = new MetricsPublisher({
        client: this.clients.cloudWatch, namespace: c.metricsNamespace, intervalSeconds: c.metricsIntervalSeconds,
        sample: () => this.sample(agent), identity: () => this.identity, log, backoff: this.options.backoff?.(),
      });
      this.publisher.start();
    }
    if (this.publisher !== undefined || this.shipper !== undefined) void this.resolveIdentityInBackground(log);
  }

  /** SIGHUP with --policy-parameter: poll now. False without a parameter (reload the file instead). */
  pollPolicyNow(): boolean {
    if (this.poller === undefined) return false;
    void this.poller.pollNow();
    return true;
  }

  /** Stop the timers and give the log buffer up to `flushMs` to drain. */
  async close(flushMs = 2000): Promise<void> {
    this.stopped = true;
    this.poller?.stop();
    this.publisher?.stop();
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    if (this.shipper) {
      await Promise.race([this.shipper.flush(), new Promise((r) => setTimeout(r, flushMs).unref())]);
      this.shipper.stop();
    }
    this.clients.destroy();
  }

  sample(agent: TelemetryAgent): TelemetrySample {
    const m = agent.metricsSnapshot();
    const probe = m.selfProbe?.results;
    return {
      packetsIn: m.counters.packetsIn, bytesIn: m.counters.bytesIn, packetsOut: m.counters.packetsOut, bytesOut: m.counters.bytesOut,
      drops: m.drops,
      activeFlows: m.activeFlows,
      healthy: m.healthy,
      policyVersion: this.poller?.appliedVersion ?? m.policyGeneration,
      policyRejected: m.counters.policyReloadFailures,
      selfProbe: probe ? { ok: probe.ok, failed: probe.timeout + probe.mismatch } : undefined,
      telemetryDropped: (this.publisher?.droppedDatums ?? 0) + (this.shipper?.droppedEvents ?? 0),
    };
  }

  /** IMDS in the background with backoff: forwarding never waits for it. */
  private async resolveIdentityInBackground(log: Logger): Promise<void> {
    const backoff = new Backoff(1000, 60_000);
    while (!this.stopped) {
      try {
        const id = await resolveIdentity(this.metadata);
        const fleetName = this.options.config.fleetName ?? id.autoScalingGroupName;
        this.shipper?.start(id.instanceId);
        if (fleetName === undefined) {
          if (this.publisher) {
            log.error('metrics off: the instance has no readable aws:autoscaling:groupName tag (enable instance metadata tags '
              + 'in the launch template, or pass --fleet-name)', { instanceId: id.instanceId });
            this.publisher.stop();
          }
          return;
        }
        this.identity = { fleetName, availabilityZone: id.availabilityZone, instanceId: id.instanceId };
        log.info('AWS integration ready', {
          instanceId: id.instanceId, availabilityZone: id.availabilityZone, fleetName,
          namespace: this.options.config.metricsNamespace ?? null, logGroup: this.options.config.logGroup ?? null,
          policyParameter: this.options.config.policyParameter ?? null,
        });
        return;
      } catch (err) {
        const wait = backoff.fail();
        if (backoff.consecutiveFailures === 1) {
          log.warn('instance metadata unreachable; metrics and logs wait for it', { error: describeAwsError(err), retryInMs: wait });
        }
        await new Promise((r) => setTimeout(r, wait).unref());
      }
    }
  }
}
