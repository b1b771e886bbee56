import { AgentMetrics, MetricsSnapshot } from '../../../lib/agent/metrics';
import { sumSnapshots } from '../../../lib/agent/metrics-sum';

function worker(packetsIn: number, lag: number, probeAge: number, reloads: number): MetricsSnapshot {
  const c = new AgentMetrics();
  c.packetsIn = packetsIn;
  c.packetsOut = packetsIn - 1;
  c.policyReloads = reloads;
  const traffic = new AgentMetrics();
  traffic.packetsIn = 3;
  return {
    counters: c, drops: [{ reason: 'policy', count: 1 }, { reason: 'flow_blocked', count: packetsIn }], activeFlows: 10,
    policyGeneration: 7, policyRules: 9, replySockets: 2, logSuppressed: 1, eventLoopLagSeconds: lag, draining: false,
    healthy: true, selfProbe: { results: { ok: 2, timeout: 1, mismatch: 0 }, lastSuccessAgeSeconds: probeAge, consecutiveFailures: 1, traffic },
    io: reloads > 1 ? { native: 0, js: 1 } : { native: 1, js: 0 },
  };
}

describe('sumSnapshots', () => {
  test('adds counters, drops and gauges of flows and sockets; takes the worst lag and probe age; policy from the supervisor', () => {
    const own = new AgentMetrics();
    own.policyReloads = 1;
    const sum = sumSnapshots([worker(5, 0.01, 1, 1), worker(7, 0.2, 3, 1)], {
      counters: own, policyGeneration: 1, policyRules: 2, draining: true, healthy: false, eventLoopLagSeconds: 0.05, logSuppressed: 0,
    });
    expect(sum.counters.packetsIn).toBe(12);
    expect(sum.counters.packetsOut).toBe(10);
    expect(sum.counters.policyReloads).toBe(1); // counted once, by the supervisor
    expect(sum.drops).toEqual([{ reason: 'policy', count: 2 }, { reason: 'flow_blocked', count: 12 }]);
    expect([sum.activeFlows, sum.replySockets, sum.logSuppressed]).toEqual([20, 4, 2]);
    expect(sum.eventLoopLagSeconds).toBe(0.2);
    expect([sum.policyGeneration, sum.policyRules, sum.draining, sum.healthy]).toEqual([1, 2, true, false]);
    expect(sum.selfProbe).toMatchObject({ results: { ok: 4, timeout: 2, mismatch: 0 }, lastSuccessAgeSeconds: 3, consecutiveFailures: 1 });
    expect(sum.selfProbe?.traffic.packetsIn).toBe(6);
    expect(sum.io).toEqual({ native: 2, js: 0 });
    const mixed = sumSnapshots([worker(1, 0, 1, 1), worker(1, 0, 1, 2)], {
      counters: own, policyGeneration: 1, policyRules: 2, draining: false, healthy: true, eventLoopLagSeconds: 0, logSuppressed: 0,
    });
    expect(mixed.io).toEqual({ native: 1, js: 1 }); // one worker fell back: both paths show
  });
});
