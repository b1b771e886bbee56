/**
 * Counters of the agent runtime and their Prometheus text exposition
 * (format version 0.0.4). Counters are plain number fields so the packet path
 * only does `metrics.x++`; rendering happens on a /metrics request.
 */

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Mutable counters updated by the data plane. */
export class AgentMetrics {
  packetsIn = 0;
  bytesIn = 0;
  packetsOut = 0;
  bytesOut = 0;
  /** Reply sends that failed (synchronously or in the completion callback). */
  sendErrors = 0;
  /** 'error' events on any socket (e.g. ICMP errors reported on a connected socket). */
  socketErrors = 0;
  /** Replies that left from the listening port instead of the GWLB's source port. */
  portsNotKept = 0;
  /** Reply sockets that could not be bound/connected to the GWLB's source port. */
  replyBindFailures = 0;
  /** Reply sockets closed to keep the socket cache bounded. */
  replySocketEvictions = 0;
  /** Packets dropped because a reply socket was still binding and its queue was full. */
  replyQueueDrops = 0;
  /** Packets dropped because inspect() threw (a bug; the packet is not forwarded). */
  internalErrors = 0;
  policyReloads = 0;
  policyReloadFailures = 0;
}

/** Drop counts of the runtime itself, reported next to the inspector's reasons. */
export function runtimeDropCounts(m: AgentMetrics): DropSample[] {
  return [
    { reason: 'reply_queue_full', count: m.replyQueueDrops },
    { reason: 'internal_error', count: m.internalErrors },
  ];
}

/**
 * One sample per reason: the inspector's counts (indexed by drop-reason code,
 * code 0 = forwarded is skipped) plus the runtime's, summed when a reason
 * appears in both (Prometheus forbids duplicate label sets).
 */
export function mergeDropCounts(
  names: readonly string[],
  counts: ArrayLike<number>,
  runtime: readonly DropSample[],
): DropSample[] {
  const merged = new Map<string, number>();
  for (let code = 1; code < names.length; code++) {
    merged.set(names[code], (merged.get(names[code]) ?? 0) + (counts[code] ?? 0));
  }
  for (const r of runtime) merged.set(r.reason, (merged.get(r.reason) ?? 0) + r.count);
  return [...merged].map(([reason, count]) => ({ reason, count }));
}

/** `total - part` per index: the inspector's counts without the self-probe's verdicts. */
export function subtractCounts(total: ArrayLike<number>, part: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < total.length; i++) out.push(total[i] - (part[i] ?? 0));
  return out;
}

export interface DropSample {
  readonly reason: string;
  readonly count: number;
}

/** Everything /metrics reports, gathered at request time. */
export interface MetricsSnapshot {
  readonly counters: AgentMetrics;
  readonly drops: readonly DropSample[];
  readonly activeFlows: number;
  readonly policyGeneration: number;
  readonly policyRules: number;
  readonly replySockets: number;
  readonly logSuppressed: number;
  readonly eventLoopLagSeconds: number;
  readonly draining: boolean;
  readonly healthy: boolean;
  /** @default - no self-probe metrics */
  readonly selfProbe?: SelfProbeSnapshot;
  /** Several workers (workers.ts). @default - one agent, no worker metrics */
  readonly workers?: WorkersSnapshot;
  /** @default - no server-name metrics */
  readonly serverNames?: ServerNameSnapshot;
  /** Data planes on each I/O path (one agent: 1 and 0; several workers: summed). @default - not reported */
  readonly io?: IoSnapshot;
}

/** How many data planes run native batch I/O and how many node's dgram (batch-dataplane.ts). */
export interface IoSnapshot {
  readonly native: number;
  readonly js: number;
}

/** The worker supervisor's state. */
export interface WorkersSnapshot {
  /** Workers configured. */
  readonly configured: number;
  /** Workers running and answering. */
  readonly running: number;
  readonly restarts: number;
  /** Packets received per worker (index = worker). */
  readonly packetsIn: readonly number[];
  readonly sharedBlockedFlows: number;
  readonly sharedBlockEvictions: number;
}

/** Server-name verdicts (server-names.ts) and the flows they blocked, by rule and name (bounded). */
export interface ServerNameSnapshot {
  readonly outcomes: readonly { readonly outcome: string; readonly count: number }[];
  readonly drops: readonly { readonly rule: string; readonly name: string; readonly count: number }[];
  readonly pendingFlows: number;
}

/** The data-path self-probe's state (self-probe.ts). */
export interface SelfProbeSnapshot {
  readonly results: Readonly<Record<'ok' | 'timeout' | 'mismatch', number>>;
  /** Infinity before the first correct reply. */
  readonly lastSuccessAgeSeconds: number;
  readonly consecutiveFailures: number;
  /** Probe traffic through the data plane, kept out of the customer counters. */
  readonly traffic: AgentMetrics;
}

type MetricType = 'counter' | 'gauge';

interface Family {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: readonly Sample[];
}

interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Metric names, exported so tests and dashboards use one spelling. */
export const METRIC = {
  packetsIn: 'gwlb_agent_packets_received_total',
  bytesIn: 'gwlb_agent_bytes_received_total',
  packetsOut: 'gwlb_agent_packets_forwarded_total',
  bytesOut: 'gwlb_agent_bytes_forwarded_total',
  drops: 'gwlb_agent_packets_dropped_total',
  sendErrors: 'gwlb_agent_send_errors_total',
  socketErrors: 'gwlb_agent_socket_errors_total',
  portsNotKept: 'gwlb_agent_reply_ports_not_kept_total',
  replyBindFailures: 'gwlb_agent_reply_bind_failures_total',
  replySocketEvictions: 'gwlb_agent_reply_socket_evictions_total',
  replySockets: 'gwlb_agent_reply_sockets',
  activeFlows: 'gwlb_agent_active_flows',
  policyGeneration: 'gwlb_agent_policy_generation',
  policyRules: 'gwlb_agent_policy_rules',
  policyReloads: 'gwlb_agent_policy_reloads_total',
  policyReloadFailures: 'gwlb_agent_policy_reload_failures_total',
  logSuppressed: 'gwlb_agent_log_events_suppressed_total',
  eventLoopLag: 'gwlb_agent_event_loop_lag_seconds',
  draining: 'gwlb_agent_draining',
  healthy: 'gwlb_agent_healthy',
  selfProbe: 'gwlb_agent_self_probe_total',
  selfProbeLastSuccessAge: 'gwlb_agent_self_probe_last_success_age_seconds',
  selfProbeConsecutiveFailures: 'gwlb_agent_self_probe_consecutive_failures',
  selfProbePacketsIn: 'gwlb_agent_self_probe_packets_received_total',
  selfProbePacketsOut: 'gwlb_agent_self_probe_packets_forwarded_total',
  workers: 'gwlb_agent_workers',
  workersRunning: 'gwlb_agent_workers_running',
  workerRestarts: 'gwlb_agent_worker_restarts_total',
  workerPacketsIn: 'gwlb_agent_worker_packets_received_total',
  sharedBlockedFlows: 'gwlb_agent_shared_blocked_flows',
  sharedBlockEvictions: 'gwlb_agent_shared_block_evictions_total',
  serverNameVerdicts: 'gwlb_agent_server_name_verdicts_total',
  serverNameDrops: 'gwlb_agent_server_name_flow_drops_total',
  serverNamePending: 'gwlb_agent_server_name_pending_flows',
  io: 'gwlb_agent_io',
} as const;

function families(s: MetricsSnapshot): Family[] {
  const c = s.counters;
  const counter = (name: string, help: string, value: number): Family =>
    ({ name, type: 'counter', help, samples: [{ value }] });
  const gauge = (name: string, help: string, value: number): Family =>
    ({ name, type: 'gauge', help, samples: [{ value }] });
  return [
    counter(METRIC.packetsIn, 'GENEVE packets received from the GWLB.', c.packetsIn),
    counter(METRIC.bytesIn, 'UDP payload bytes received from the GWLB.', c.bytesIn),
    counter(METRIC.packetsOut, 'GENEVE packets returned to the GWLB.', c.packetsOut),
    counter(METRIC.bytesOut, 'UDP payload bytes returned to the GWLB.', c.bytesOut),
    {
      name: METRIC.drops,
      type: 'counter',
      help: 'Packets not returned to the GWLB, by reason.',
      samples: s.drops.map((d) => ({ labels: { reason: d.reason }, value: d.count })),
    },
    counter(METRIC.sendErrors, 'Reply sends that failed.', c.sendErrors),
    counter(METRIC.socketErrors, 'Error events on data-plane sockets.', c.socketErrors),
    counter(METRIC.portsNotKept, 'Replies sent from the listening port instead of the GWLB source port.', c.portsNotKept),
    counter(METRIC.replyBindFailures, 'Reply sockets that could not bind the GWLB source port.', c.replyBindFailures),
    counter(METRIC.replySocketEvictions, 'Reply sockets closed to bound the socket cache.', c.replySocketEvictions),
    gauge(METRIC.replySockets, 'Open reply sockets (one per GWLB address and source port).', s.replySockets),
    gauge(METRIC.activeFlows, 'Flows in the flow table.', s.activeFlows),
    gauge(METRIC.policyGeneration, 'Policy generation, incremented by each successful reload.', s.policyGeneration),
    gauge(METRIC.policyRules, 'Rules in the active policy.', s.policyRules),
    counter(METRIC.policyReloads, 'Successful policy reloads (SIGHUP).', c.policyReloads),
    counter(METRIC.policyReloadFailures, 'Rejected policy reloads; the previous policy stays active.', c.policyReloadFailures),
    counter(METRIC.logSuppressed, 'Log events suppressed by rate limiting.', s.logSuppressed),
    gauge(METRIC.eventLoopLag, 'Largest recent event loop lag.', s.eventLoopLagSeconds),
    gauge(METRIC.draining, '1 while draining after SIGTERM/SIGINT.', s.draining ? 1 : 0),
    gauge(METRIC.healthy, '1 when /healthz answers 200.', s.healthy ? 1 : 0),
    ...(s.selfProbe ? selfProbeFamilies(s.selfProbe) : []),
    ...(s.workers ? workerFamilies(s.workers) : []),
    ...(s.serverNames ? serverNameFamilies(s.serverNames) : []),
    ...(s.io ? [ioFamily(s.io)] : []),
  ];
}

function ioFamily(io: IoSnapshot): Family {
  return {
    name: METRIC.io,
    type: 'gauge',
    help: 'Data planes by datagram I/O path: native (recvmmsg/sendmmsg addon) or js (node dgram).',
    samples: [{ labels: { mode: 'native' }, value: io.native }, { labels: { mode: 'js' }, value: io.js }],
  };
}

function workerFamilies(w: WorkersSnapshot): Family[] {
  const one = (name: string, type: MetricType, help: string, value: number): Family => ({ name, type, help, samples: [{ value }] });
  return [
    one(METRIC.workers, 'gauge', 'Data-plane workers configured (--workers).', w.configured),
    one(METRIC.workersRunning, 'gauge', 'Data-plane workers running and answering the supervisor.', w.running),
    one(METRIC.workerRestarts, 'counter', 'Workers restarted after they exited or crashed.', w.restarts),
    {
      name: METRIC.workerPacketsIn,
      type: 'counter',
      help: 'GENEVE packets received, per worker (the kernel spreads flows by the outer 4-tuple).',
      samples: w.packetsIn.map((value, i) => ({ labels: { worker: String(i) }, value })),
    },
    one(METRIC.sharedBlockedFlows, 'gauge', 'Blocked flows in the table shared by the workers.', w.sharedBlockedFlows),
    one(METRIC.sharedBlockEvictions, 'counter', 'Blocked flows dropped from the shared table to make room.', w.sharedBlockEvictions),
  ];
}

function serverNameFamilies(n: ServerNameSnapshot): Family[] {
  return [
    {
      name: METRIC.serverNameVerdicts,
      type: 'counter',
      help: 'Per-flow server-name verdicts by outcome: name_rule, no_name_rule, no_name, malformed, pending_full.',
      samples: n.outcomes.map((o) => ({ labels: { outcome: o.outcome }, value: o.count })),
    },
    {
      name: METRIC.serverNameDrops,
      type: 'counter',
      help: 'Flows blocked by a server-name verdict, by rule and name (name "" = none read; "_other" once the label sets are used up).',
      samples: n.drops.map((d) => ({ labels: { rule: d.rule, name: d.name }, value: d.count })),
    },
    { name: METRIC.serverNamePending, type: 'gauge', help: 'Flows whose server name is being read.', samples: [{ value: n.pendingFlows }] },
  ];
}

function selfProbeFamilies(p: SelfProbeSnapshot): Family[] {
  const one = (name: string, type: MetricType, help: string, value: number): Family => ({ name, type, help, samples: [{ value }] });
  return [
    {
      name: METRIC.selfProbe,
      type: 'counter',
      help: 'Data-path self-probes by result: ok, timeout (no reply in time), mismatch (wrong bytes or ports).',
      samples: (['ok', 'timeout', 'mismatch'] as const).map((result) => ({ labels: { result }, value: p.results[result] })),
    },
    one(METRIC.selfProbeLastSuccessAge, 'gauge', 'Seconds since the last correct self-probe reply (+Inf: none yet).',
      p.lastSuccessAgeSeconds),
    one(METRIC.selfProbeConsecutiveFailures, 'gauge', 'Self-probes in a row without a correct reply.', p.consecutiveFailures),
    one(METRIC.selfProbePacketsIn, 'counter', 'Self-probe packets received (not in packets_received).', p.traffic.packetsIn),
    one(METRIC.selfProbePacketsOut, 'counter', 'Self-probe replies sent (not in packets_forwarded).', p.traffic.packetsOut),
  ];
}

/** Render a snapshot in the Prometheus text exposition format. */
export function renderMetrics(s: MetricsSnapshot): string {
  const out: string[] = [];
  for (const f of families(s)) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const sample of f.samples) {
      out.push(`${f.name}${renderLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
  }
  return out.join('\n') + '\n';
}

function renderLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (!labels) return '';
  const parts = Object.keys(labels).map((k) => `${k}="${escapeLabelValue(labels[k])}"`);
  return `{${parts.join(',')}}`;
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
