/**
 * End to end: the bundled agent with a default-drop policy is healthy because its data-path
 * self-probe gets through (policy exemption for the probe only), with --listen 127.0.0.1 and
 * --listen 0.0.0.0, and the probe stays out of the customer counters.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AGENT_ADDRESS, AgentProcess, eventually, FakeGwlb, freeTcpPort, freeUdpPort, httpGet, metricValue,
} from './harness';
import { geneve, ipv4Udp } from './packets';

let dir: string;
let policyFile: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-agent-probe-'));
  policyFile = path.join(dir, 'drop-all.json');
  fs.writeFileSync(policyFile, JSON.stringify({ defaultAction: 'drop' }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['127.0.0.1', 'native'], ['127.0.0.1', 'js'], ['0.0.0.0', 'native'], ['0.0.0.0', 'js'],
])('gwlb-agent --listen %s --io %s with a default-drop policy', (listen, io) => {
  let agent: AgentProcess;
  let port: number;
  let healthPort: number;
  const metrics = async (): Promise<string> => (await httpGet(healthPort, '/metrics')).body;

  beforeAll(async () => {
    port = await freeUdpPort();
    healthPort = await freeTcpPort();
    agent = AgentProcess.spawn(['--listen', listen, '--port', String(port), '--health-port', String(healthPort), '--policy', policyFile,
      '--io', io]);
    await agent.waitForLog('gwlb-agent started', 20000);
  });
  afterAll(() => agent?.stop());

  test('is healthy: the self-probe passes through the real receive, inspect and bound-port reply path', async () => {
    // The first probe goes out at startup, the next ones every 2 s.
    await eventually(async () => (metricValue(await metrics(), 'gwlb_agent_self_probe_total', { result: 'ok' }) ?? 0) >= 2, 8000);
    expect(await httpGet(healthPort, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const text = await metrics();
    expect(metricValue(text, 'gwlb_agent_self_probe_total', { result: 'timeout' })).toBe(0);
    expect(metricValue(text, 'gwlb_agent_self_probe_total', { result: 'mismatch' })).toBe(0);
    expect(metricValue(text, 'gwlb_agent_self_probe_consecutive_failures')).toBe(0);
    expect(metricValue(text, 'gwlb_agent_self_probe_last_success_age_seconds')).toBeLessThan(Infinity);
    expect(metricValue(text, 'gwlb_agent_self_probe_packets_received_total')).toBeGreaterThanOrEqual(2);
    expect(metricValue(text, 'gwlb_agent_self_probe_packets_forwarded_total')).toBeGreaterThanOrEqual(2);
    // Not customer traffic, not a policy drop, one flow, one reply socket, ports kept.
    expect(metricValue(text, 'gwlb_agent_packets_received_total')).toBe(0);
    expect(metricValue(text, 'gwlb_agent_packets_forwarded_total')).toBe(0);
    expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'policy' })).toBe(0);
    expect(metricValue(text, 'gwlb_agent_active_flows')).toBe(1);
    expect(metricValue(text, 'gwlb_agent_reply_sockets')).toBe(1);
    expect(metricValue(text, 'gwlb_agent_reply_ports_not_kept_total')).toBe(0);
    expect(agent.countLogs('policy drop')).toBe(0);
    expect(agent.logs.find((r) => r.msg === 'gwlb-agent started')).toMatchObject({ msg: 'gwlb-agent started', selfProbe: { from: '127.0.0.81', to: '127.0.0.1' } });
  });

  // With --listen 0.0.0.0 a GWLB stand-in on loopback cannot receive replies (the agent owns
  // *:port), so the customer side is checked with the specific address only.
  if (listen !== AGENT_ADDRESS) return;
  test('still drops loopback customer traffic that lacks the nonce', async () => {
    const gwlb = await FakeGwlb.create(port);
    try {
      await gwlb.send(geneve(ipv4Udp(), 0x1234));
      expect(await gwlb.replies.silentFor(300)).toBe(true);
      const text = await metrics();
      expect(metricValue(text, 'gwlb_agent_packets_received_total')).toBe(1);
      expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'policy' })).toBe(1);
      await agent.waitForLog('policy drop');
    } finally {
      await gwlb.close();
    }
  });
});
