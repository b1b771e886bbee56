/**
 * The Agent in-process: health reflects the data path and draining, policy drops
 * are logged rate-limited with a suppressed count, reload without a file warns.
 */
import { AgentConfig, DEFAULT_CONFIG } from '../../../lib/agent/cli';
import { Logger } from '../../../lib/agent/log';
import { Agent } from '../../../lib/agent/main';
import { parsePolicy } from '../../../lib/agent/policy';
import { AGENT_ADDRESS, eventually, FakeGwlb, freeTcpPort, freeUdpPort, metricValue } from './harness';
import { geneve, ipv4Udp } from './packets';

async function startAgent(policy: unknown): Promise<{ agent: Agent; records: Array<Record<string, unknown>>; config: AgentConfig }> {
  const config: AgentConfig = {
    ...DEFAULT_CONFIG, listen: AGENT_ADDRESS, port: await freeUdpPort(), healthPort: await freeTcpPort(),
  };
  const records: Array<Record<string, unknown>> = [];
  const agent = new Agent(config, parsePolicy(policy), new Logger('info', (line) => records.push(JSON.parse(line))));
  await agent.start();
  return { agent, records, config };
}

describe('Agent', () => {
  test('health: ok while serving, 503 reasons when draining and when the data socket is gone', async () => {
    const { agent, records } = await startAgent({ defaultAction: 'allow' });
    try {
      expect(agent.health()).toEqual({ healthy: true, reasons: [] });
      expect(records[0]).toMatchObject({ level: 'info', msg: 'gwlb-agent started', replyMode: 'bound-port' });
      void agent.drain('SIGTERM');
      expect(agent.health()).toEqual({ healthy: false, reasons: ['draining'] });
      await agent.dataplane.close();
      expect(agent.health().reasons).toEqual(['draining', 'data socket not bound', 'reply socket closed']);
      expect(metricValue(agent.metricsText(), 'gwlb_agent_healthy')).toBe(0);
    } finally {
      await agent.stop();
    }
  });

  test('logs policy drops rate-limited and counts the suppressed ones', async () => {
    const { agent, records, config } = await startAgent({ defaultAction: 'drop' });
    const gwlb = await FakeGwlb.create(config.port);
    try {
      for (let i = 0; i < 60; i++) await gwlb.send(geneve(ipv4Udp({ srcPort: 20000 + i }), i));
      await eventually(() => agent.metrics.packetsIn === 60);
      const drops = records.filter((r) => r.msg === 'policy drop');
      expect(drops.length).toBeGreaterThanOrEqual(20); // the burst
      expect(drops.length).toBeLessThan(60);
      expect(drops[0]).toMatchObject({ rule: 'defaultAction', protocol: 17, src: '198.51.100.7', dst: '10.0.1.20', srcPort: 20000, dstPort: 53 });
      const text = agent.metricsText();
      expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'policy' })).toBe(60);
      expect(metricValue(text, 'gwlb_agent_log_events_suppressed_total')).toBe(60 - drops.length);
      expect(await gwlb.replies.silentFor(100)).toBe(true);
    } finally {
      await gwlb.close();
      await agent.stop();
    }
  });

  test('SIGHUP without --policy warns and keeps the policy', async () => {
    const { agent, records } = await startAgent({ defaultAction: 'allow' });
    try {
      agent.reloadPolicy();
      expect(records.at(-1)).toMatchObject({ level: 'warn', msg: 'SIGHUP: no --policy file given, nothing to reload' });
      expect(agent.inspector.policyGeneration).toBe(0);
    } finally {
      await agent.stop();
    }
  });
});
