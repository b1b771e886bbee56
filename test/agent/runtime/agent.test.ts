/**
 * The Agent in-process: health reflects the data path and draining, policy drops
 * are logged rate-limited with a suppressed count, reload without a file warns, the
 * self-probe period and the send path follow the config.
 */
import { AgentConfig, DEFAULT_CONFIG } from '../../../lib/agent/cli';
import { Logger } from '../../../lib/agent/log';
import { Agent } from '../../../lib/agent/main';
import { parsePolicy } from '../../../lib/agent/policy';
import { MAX_NATIVE_NODE_MAJOR, MIN_NATIVE_NODE_MAJOR } from '../../../lib/agent/udp-send';
import { AGENT_ADDRESS, eventually, FakeGwlb, freeTcpPort, freeUdpPort, metricValue } from './harness';
import { geneve, ipv4Udp } from './packets';

async function startAgent(
  policy: unknown, overrides: Partial<AgentConfig> = {},
): Promise<{ agent: Agent; records: Array<Record<string, unknown>>; config: AgentConfig }> {
  const config: AgentConfig = {
    ...DEFAULT_CONFIG, listen: AGENT_ADDRESS, port: await freeUdpPort(), healthPort: await freeTcpPort(), ...overrides,
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

  test('--self-probe-interval-ms sets the probe period and a timeout below it', async () => {
    const { agent, records } = await startAgent({ defaultAction: 'allow' }, { selfProbeIntervalMs: 150 });
    try {
      expect(agent.selfProbe).toMatchObject({ intervalMs: 150, timeoutMs: 75, failureThreshold: 2 });
      expect(records[0]).toMatchObject({ msg: 'gwlb-agent started', selfProbe: { intervalMs: 150 } });
      await eventually(() => (agent.selfProbe?.results.ok ?? 0) >= 2);
    } finally {
      await agent.stop();
    }
  });

  test('--self-probe-interval-ms 0: no probe, a warning saying what /healthz no longer checks, health from the rest', async () => {
    const { agent, records, config } = await startAgent({ defaultAction: 'allow' }, { selfProbeIntervalMs: 0 });
    const gwlb = await FakeGwlb.create(config.port);
    try {
      expect(agent.selfProbe).toBeNull();
      expect(records[0]).toMatchObject({ msg: 'gwlb-agent started', selfProbe: null });
      expect(records.find((r) => r.level === 'warn')).toMatchObject({
        msg: 'self-probe disabled (--self-probe-interval-ms 0): /healthz does not check that packets get through the data path',
      });
      expect(agent.health()).toEqual({ healthy: true, reasons: [] });
      expect(agent.metricsText()).not.toContain('self_probe');
      const packet = geneve(ipv4Udp(), 1);
      await gwlb.send(packet);
      expect((await gwlb.replies.next()).msg.equals(packet)).toBe(true); // the data path itself is unchanged
      await agent.dataplane.close();
      expect(agent.health().reasons).toEqual(['data socket not bound', 'reply socket closed']);
    } finally {
      await gwlb.close();
      await agent.stop();
    }
  });

  // The native path needs a node major it is verified on (udp-send.ts); elsewhere auto means dgram.
  const major = Number(process.versions.node.split('.')[0]);
  const autoPath = major >= MIN_NATIVE_NODE_MAJOR && major <= MAX_NATIVE_NODE_MAJOR ? 'native' : 'dgram';
  test.each([['auto', autoPath], ['dgram', 'dgram']] as const)('--send-path %s replies through the %s path and says so', async (mode, path) => {
    const { agent, records, config } = await startAgent({ defaultAction: 'allow' }, { sendPath: mode });
    const gwlb = await FakeGwlb.create(config.port);
    try {
      expect(records[0]).toMatchObject({ msg: 'gwlb-agent started', sendPath: path });
      expect(agent.dataplane.sendPath?.path.name).toBe(path);
      const packet = geneve(ipv4Udp(), 2);
      await gwlb.send(packet);
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(packet)).toBe(true);
      expect(reply.rinfo.port).toBe(gwlb.sender.address().port); // bound-port: the GWLB source port is kept
      await eventually(() => agent.metrics.packetsOut === 1);
      expect(agent.metrics).toMatchObject({ packetsIn: 1, packetsOut: 1, bytesOut: packet.length, sendErrors: 0 });
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
