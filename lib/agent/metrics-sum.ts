/**
 * One /metrics view over several workers: the supervisor (workers.ts) sums the workers'
 * snapshots. Counters and flow/socket gauges add up; lag, probe failure streaks and ages take the
 * worst worker; policy, draining and health come from the supervisor.
 */
import { AgentMetrics, DropSample, MetricsSnapshot, SelfProbeSnapshot, ServerNameSnapshot } from './metrics';

function addCounters(into: AgentMetrics, from: AgentMetrics): void {
  const target = into as unknown as Record<string, number>;
  const source = from as unknown as Record<string, number>;
  for (const key of Object.keys(target)) {
    if (typeof source[key] === 'number') target[key] += source[key];
  }
}

function sumDrops(all: readonly (readonly DropSample[])[]): DropSample[] {
  const order: string[] = [];
  const totals = new Map<string, number>();
  for (const drops of all) {
    for (const d of drops) {
      if (!totals.has(d.reason)) order.push(d.reason);
      totals.set(d.reason, (totals.get(d.reason) ?? 0) + d.count);
    }
  }
  return order.map((reason) => ({ reason, count: totals.get(reason) ?? 0 }));
}

function sumProbes(all: readonly SelfProbeSnapshot[]): SelfProbeSnapshot | undefined {
  if (all.length === 0) return undefined;
  const traffic = new AgentMetrics();
  const results = { ok: 0, timeout: 0, mismatch: 0 };
  let age = 0;
  let failures = 0;
  for (const p of all) {
    addCounters(traffic, p.traffic);
    results.ok += p.results.ok;
    results.timeout += p.results.timeout;
    results.mismatch += p.results.mismatch;
    age = Math.max(age, p.lastSuccessAgeSeconds);
    failures = Math.max(failures, p.consecutiveFailures);
  }
  return { results, lastSuccessAgeSeconds: age, consecutiveFailures: failures, traffic };
}

/** Server-name verdicts and drops added up by outcome and by rule + name. */
function sumServerNames(all: readonly ServerNameSnapshot[]): ServerNameSnapshot | undefined {
  if (all.length === 0) return undefined;
  const outcomes = new Map<string, number>();
  const drops = new Map<string, { rule: string; name: string; count: number }>();
  let pendingFlows = 0;
  for (const n of all) {
    for (const o of n.outcomes) outcomes.set(o.outcome, (outcomes.get(o.outcome) ?? 0) + o.count);
    for (const d of n.drops) {
      const key = `${d.rule}\u0000${d.name}`;
      const cur = drops.get(key);
      if (cur) cur.count += d.count;
      else drops.set(key, { ...d });
    }
    pendingFlows += n.pendingFlows;
  }
  return {
    outcomes: [...outcomes].map(([outcome, count]) => ({ outcome, count })),
    drops: [...drops.values()],
    pendingFlows,
  };
}

/** What the supervisor itself knows, laid over the sum. */
export interface SupervisorView {
  readonly counters: AgentMetrics;
  readonly policyGeneration: number;
  readonly policyRules: number;
  readonly draining: boolean;
  readonly healthy: boolean;
  readonly eventLoopLagSeconds: number;
  readonly logSuppressed: number;
}

export function sumSnapshots(workers: readonly MetricsSnapshot[], own: SupervisorView): MetricsSnapshot {
  const counters = new AgentMetrics();
  addCounters(counters, own.counters);
  let activeFlows = 0;
  let replySockets = 0;
  let logSuppressed = own.logSuppressed;
  let lag = own.eventLoopLagSeconds;
  for (const w of workers) {
    const c = w.counters;
    // Reloads are counted once, by the supervisor.
    addCounters(counters, { ...c, policyReloads: 0, policyReloadFailures: 0 } as AgentMetrics);
    activeFlows += w.activeFlows;
    replySockets += w.replySockets;
    logSuppressed += w.logSuppressed;
    lag = Math.max(lag, w.eventLoopLagSeconds);
  }
  return {
    counters,
    drops: sumDrops(workers.map((w) => w.drops)),
    activeFlows,
    policyGeneration: own.policyGeneration,
    policyRules: own.policyRules,
    replySockets,
    logSuppressed,
    eventLoopLagSeconds: lag,
    draining: own.draining,
    healthy: own.healthy,
    selfProbe: sumProbes(workers.flatMap((w) => (w.selfProbe ? [w.selfProbe] : []))),
    serverNames: sumServerNames(workers.flatMap((w) => (w.serverNames ? [w.serverNames] : []))),
    io: workers.some((w) => w.io) ? {
      native: workers.reduce((n, w) => n + (w.io?.native ?? 0), 0), js: workers.reduce((n, w) => n + (w.io?.js ?? 0), 0),
    } : undefined,
  };
}
