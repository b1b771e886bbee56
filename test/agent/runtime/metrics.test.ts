import {
  AgentMetrics, escapeLabelValue, formatValue, mergeDropCounts, METRIC, MetricsSnapshot, renderMetrics, runtimeDropCounts,
  subtractCounts,
} from '../../../lib/agent/metrics';

function snapshot(over: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  const c = new AgentMetrics();
  c.packetsIn = 10;
  c.bytesIn = 2480;
  c.packetsOut = 7;
  c.bytesOut = 1736;
  c.sendErrors = 1;
  c.portsNotKept = 2;
  const probeTraffic = new AgentMetrics();
  probeTraffic.packetsIn = 12;
  probeTraffic.packetsOut = 11;
  return {
    counters: c,
    drops: [{ reason: 'policy', count: 2 }, { reason: 'truncated', count: 1 }],
    activeFlows: 5,
    policyGeneration: 3,
    policyRules: 4,
    replySockets: 6,
    logSuppressed: 9,
    eventLoopLagSeconds: 0.012,
    draining: false,
    healthy: true,
    selfProbe: {
      results: { ok: 11, timeout: 1, mismatch: 2 }, lastSuccessAgeSeconds: 1.5, consecutiveFailures: 0, traffic: probeTraffic,
    },
    workers: { configured: 2, running: 1, restarts: 3, packetsIn: [6, 4], sharedBlockedFlows: 8, sharedBlockEvictions: 1 },
    serverNames: { outcomes: [{ outcome: 'name_rule', count: 1 }], drops: [{ rule: 'r', name: 'a.example', count: 1 }], pendingFlows: 0 },
    io: { native: 2, js: 1 },
    ...over,
  };
}

// A sample line: name, optional {label="value",...}, space, value.
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (NaN|[+-]Inf|-?[0-9.e+-]+)$/;

describe('renderMetrics', () => {
  test('every line is a HELP, TYPE or sample line in the text format, ending with a newline', () => {
    const text = renderMetrics(snapshot());
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) {
      expect(line.startsWith('# HELP ') || line.startsWith('# TYPE ') || SAMPLE.test(line)).toBe(true);
    }
  });

  test('each family has HELP and TYPE before its samples, and counters end in _total', () => {
    const lines = renderMetrics(snapshot()).trimEnd().split('\n');
    const seen = new Set<string>();
    for (let i = 0; i < lines.length; i++) {
      const m = /^# TYPE (\S+) (counter|gauge)$/.exec(lines[i]);
      if (!m) continue;
      expect(lines[i - 1]).toMatch(new RegExp(`^# HELP ${m[1]} \\S`));
      expect(seen.has(m[1])).toBe(false);
      seen.add(m[1]);
      if (m[2] === 'counter') expect(m[1]).toMatch(/_total$/);
    }
    expect([...seen].sort()).toEqual(Object.values(METRIC).sort());
  });

  test('reports the counters, gauges and drops by reason', () => {
    const text = renderMetrics(snapshot());
    expect(text).toContain('\ngwlb_agent_packets_received_total 10\n');
    expect(text).toContain('\ngwlb_agent_bytes_received_total 2480\n');
    expect(text).toContain('\ngwlb_agent_packets_forwarded_total 7\n');
    expect(text).toContain('\ngwlb_agent_bytes_forwarded_total 1736\n');
    expect(text).toContain('\ngwlb_agent_packets_dropped_total{reason="policy"} 2\n');
    expect(text).toContain('\ngwlb_agent_packets_dropped_total{reason="truncated"} 1\n');
    expect(text).toContain('\ngwlb_agent_send_errors_total 1\n');
    expect(text).toContain('\ngwlb_agent_reply_ports_not_kept_total 2\n');
    expect(text).toContain('\ngwlb_agent_active_flows 5\n');
    expect(text).toContain('\ngwlb_agent_policy_generation 3\n');
    expect(text).toContain('\ngwlb_agent_policy_rules 4\n');
    expect(text).toContain('\ngwlb_agent_io{mode="native"} 2\ngwlb_agent_io{mode="js"} 1\n');
    expect(text).toContain('\ngwlb_agent_reply_sockets 6\n');
    expect(text).toContain('\ngwlb_agent_log_events_suppressed_total 9\n');
    expect(text).toContain('\ngwlb_agent_event_loop_lag_seconds 0.012\n');
    expect(text).toContain('\ngwlb_agent_draining 0\n');
    expect(text).toContain('\ngwlb_agent_healthy 1\n');
    const draining = renderMetrics(snapshot({ draining: true, healthy: false }));
    expect(draining).toContain('\ngwlb_agent_draining 1\n');
    expect(draining).toContain('\ngwlb_agent_healthy 0\n');
  });

  test('reports the self-probe by result, its last success age and its traffic apart from the customer counters', () => {
    const text = renderMetrics(snapshot());
    expect(text).toContain('\ngwlb_agent_self_probe_total{result="ok"} 11\n');
    expect(text).toContain('\ngwlb_agent_self_probe_total{result="timeout"} 1\n');
    expect(text).toContain('\ngwlb_agent_self_probe_total{result="mismatch"} 2\n');
    expect(text).toContain('\ngwlb_agent_self_probe_last_success_age_seconds 1.5\n');
    expect(text).toContain('\ngwlb_agent_self_probe_consecutive_failures 0\n');
    expect(text).toContain('\ngwlb_agent_self_probe_packets_received_total 12\n');
    expect(text).toContain('\ngwlb_agent_self_probe_packets_forwarded_total 11\n');
    expect(text).toContain('\ngwlb_agent_packets_received_total 10\n');
    const never = renderMetrics(snapshot({
      selfProbe: {
        results: { ok: 0, timeout: 2, mismatch: 0 }, lastSuccessAgeSeconds: Infinity, consecutiveFailures: 2, traffic: new AgentMetrics(),
      },
    }));
    expect(never).toContain('\ngwlb_agent_self_probe_last_success_age_seconds +Inf\n');
    expect(never).toContain('\ngwlb_agent_self_probe_consecutive_failures 2\n');
    expect(renderMetrics(snapshot({ selfProbe: undefined }))).not.toContain('self_probe');
  });

  test('reports the workers: configured, running, restarts, packets per worker and the shared blocks', () => {
    const text = renderMetrics(snapshot());
    expect(text).toContain('\ngwlb_agent_workers 2\n');
    expect(text).toContain('\ngwlb_agent_workers_running 1\n');
    expect(text).toContain('\ngwlb_agent_worker_restarts_total 3\n');
    expect(text).toContain('\ngwlb_agent_worker_packets_received_total{worker="0"} 6\n');
    expect(text).toContain('\ngwlb_agent_worker_packets_received_total{worker="1"} 4\n');
    expect(text).toContain('\ngwlb_agent_shared_blocked_flows 8\n');
    expect(text).toContain('\ngwlb_agent_shared_block_evictions_total 1\n');
    expect(renderMetrics(snapshot({ workers: undefined }))).not.toContain('worker');
  });

  test('escapes label values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderMetrics(snapshot({ drops: [{ reason: 'we"ird\\', count: 1 }] }));
    expect(text).toContain('gwlb_agent_packets_dropped_total{reason="we\\"ird\\\\"} 1');
  });

  test('formats special values the Prometheus way', () => {
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(2 ** 53)).toBe('9007199254740992');
  });
});

describe('subtractCounts', () => {
  test('removes the self-probe verdicts from the inspector counts, index by index', () => {
    expect(subtractCounts(Float64Array.from([10, 5, 7]), Float64Array.from([3, 0, 7]))).toEqual([7, 5, 0]);
  });
});

describe('mergeDropCounts', () => {
  test('skips code 0 (forwarded), keeps the order and sums reasons the runtime shares with the core', () => {
    const names = ['none', 'truncated', 'policy', 'internal_error'];
    const counts = Float64Array.from([99, 1, 2, 3]);
    const m = new AgentMetrics();
    m.internalErrors = 4;
    m.replyQueueDrops = 5;
    expect(mergeDropCounts(names, counts, runtimeDropCounts(m))).toEqual([
      { reason: 'truncated', count: 1 },
      { reason: 'policy', count: 2 },
      { reason: 'internal_error', count: 7 },
      { reason: 'reply_queue_full', count: 5 },
    ]);
  });
});
