/**
 * The target group: appliances, their health (HTTP checks with interval and thresholds like a
 * GWLB target group) and the choice of a target for a new flow.
 */
import * as http from 'node:http';
import { SimConfig, TargetSpec } from './config';
import { hashString, rendezvous } from './flow-hash';
import { SimLog } from './log';

export enum TargetHealth {
  /** Registered, not yet passed `healthyThreshold` checks in a row. */
  INITIAL = 'initial',
  HEALTHY = 'healthy',
  UNHEALTHY = 'unhealthy',
}

export class Target {
  health = TargetHealth.INITIAL;
  consecutiveOk = 0;
  consecutiveFail = 0;
  lastCheck = '';
  flows = 0;
  packetsSent = 0;
  packetsReturned = 0;
  flowsAssigned = 0;
  private checking = false;

  constructor(readonly index: number, readonly spec: TargetSpec, readonly seed: number) {}

  get address(): string {
    return this.spec.address;
  }

  get port(): number {
    return this.spec.port;
  }

  get name(): string {
    return `${this.spec.address}:${this.spec.port}`;
  }

  /** Starts one check unless one is still running; `done(ok, detail)` is called once. */
  check(healthPort: number, path: string, timeoutMs: number, done: (ok: boolean, detail: string) => void): void {
    if (this.checking) return;
    this.checking = true;
    let finished = false;
    const finish = (ok: boolean, detail: string): void => {
      if (finished) return;
      finished = true;
      this.checking = false;
      done(ok, detail);
    };
    const req = http.get({ host: this.address, port: healthPort, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      finish(code >= 200 && code <= 399, `HTTP ${code}`);
    });
    req.on('timeout', () => {
      req.destroy();
      finish(false, `timeout after ${timeoutMs} ms`);
    });
    req.on('error', (err) => finish(false, (err as NodeJS.ErrnoException).code ?? err.message));
  }
}

export type HealthChangeListener = (target: Target, from: TargetHealth) => void;

export class TargetGroup {
  readonly targets: readonly Target[];
  /** New flows sent to all targets because none was healthy. */
  failOpenChoices = 0;
  private timer?: NodeJS.Timeout;
  private readonly seeds: number[];
  private readonly listeners: HealthChangeListener[] = [];

  constructor(private readonly config: SimConfig, private readonly log: SimLog) {
    this.targets = config.targets.map((spec, i) => new Target(i, spec, hashString(`${spec.address}:${spec.port}`)));
    this.seeds = this.targets.map((t) => t.seed);
  }

  onHealthChange(listener: HealthChangeListener): void {
    this.listeners.push(listener);
  }

  /** Target for a new flow with stickiness hash `hash`; `exclude` is skipped when another exists. */
  choose(hash: number, exclude?: Target): Target {
    let candidates = this.targets.filter((t) => t.health === TargetHealth.HEALTHY && t !== exclude).map((t) => t.index);
    if (candidates.length === 0) {
      this.failOpenChoices++;
      candidates = this.targets.filter((t) => t !== exclude).map((t) => t.index);
      if (candidates.length === 0) candidates = [0];
    }
    return this.targets[rendezvous(hash, candidates, this.seeds)];
  }

  byAddress(address: string, port: number): Target | undefined {
    return this.targets.find((t) => t.address === address && t.port === port);
  }

  /** Checks every target now and then every interval. */
  start(): void {
    this.checkAll();
    this.timer = setInterval(() => this.checkAll(), this.config.healthIntervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private checkAll(): void {
    const c = this.config;
    for (const t of this.targets) {
      t.check(c.healthPort, c.healthPath, c.healthTimeoutMs, (ok, detail) => this.record(t, ok, detail));
    }
  }

  private record(t: Target, ok: boolean, detail: string): void {
    t.lastCheck = detail;
    const from = t.health;
    if (ok) {
      t.consecutiveOk++;
      t.consecutiveFail = 0;
      if (t.health !== TargetHealth.HEALTHY && t.consecutiveOk >= this.config.healthyThreshold) t.health = TargetHealth.HEALTHY;
    } else {
      t.consecutiveFail++;
      t.consecutiveOk = 0;
      if (t.health !== TargetHealth.UNHEALTHY && t.consecutiveFail >= this.config.unhealthyThreshold) t.health = TargetHealth.UNHEALTHY;
    }
    if (t.health !== from) {
      this.log.info('target health', { target: t.name, from, to: t.health, check: detail });
      for (const l of this.listeners) l(t, from);
    }
  }
}
