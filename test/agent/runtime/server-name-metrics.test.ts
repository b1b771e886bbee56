import { AgentMetrics, METRIC, renderMetrics } from '../../../lib/agent/metrics';
import { NameDropCounts, OTHER_LABEL } from '../../../lib/agent/name-drop-counts';

describe('server-name metrics', () => {
  test('drops by rule and name are bounded: new names beyond the bound count as "_other"', () => {
    const c = new NameDropCounts(3);
    for (const n of ['a.example', 'b.example', 'a.example', 'c.example', 'd.example', 'e.example']) c.add('deny', n);
    c.add('defaultAction', undefined);
    const byKey = Object.fromEntries(c.samples().map((s) => [`${s.rule}/${s.name}`, s.count]));
    expect(byKey).toEqual({ 'deny/a.example': 2, 'deny/b.example': 1, 'deny/c.example': 1, [`deny/${OTHER_LABEL}`]: 2, 'defaultAction/_other': 1 });
    for (let i = 0; i < 1000; i++) c.add(`rule${i}`, `n${i}.example`);
    expect(c.seriesCount).toBeLessThanOrEqual(2 * 3 + 1);
    expect(c.samples().reduce((n, s) => n + s.count, 0)).toBe(1007); // nothing lost
  });

  test('rendered with escaped labels next to the verdict counts and the pending gauge', () => {
    const text = renderMetrics({
      counters: new AgentMetrics(), drops: [], activeFlows: 0, policyGeneration: 0, policyRules: 1, replySockets: 0,
      logSuppressed: 0, eventLoopLagSeconds: 0, draining: false, healthy: true,
      serverNames: {
        outcomes: [{ outcome: 'name_rule', count: 4 }, { outcome: 'malformed', count: 1 }],
        drops: [{ rule: 'no "social"', name: 'www.facebook.com', count: 2 }],
        pendingFlows: 3,
      },
    });
    expect(text).toContain(`${METRIC.serverNameVerdicts}{outcome="name_rule"} 4\n`);
    expect(text).toContain(`${METRIC.serverNameDrops}{rule="no \\"social\\"",name="www.facebook.com"} 2\n`);
    expect(text).toContain(`${METRIC.serverNamePending} 3\n`);
  });
});
