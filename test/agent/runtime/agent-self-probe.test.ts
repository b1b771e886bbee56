/**
 * The Agent in-process with its health server: /healthz follows the data-path self-probe.
 * Failures are injected into the running data path; /healthz must turn 503 with the probe's
 * reason while every other health check stays green, and 200 again once the path works.
 */
import type { IoMode } from '../../../lib/agent/batch-io';
import { AgentConfig, DEFAULT_CONFIG } from '../../../lib/agent/cli';
import { DropReason } from '../../../lib/agent/drop-reasons';
import { Logger } from '../../../lib/agent/log';
import { Agent } from '../../../lib/agent/main';
import { parsePolicy } from '../../../lib/agent/policy';
import {
  AGENT_ADDRESS, bindUdp, closeUdp, eventually, freeTcpPort, freeUdpPort, httpGet, HttpResult, metricValue,
} from './harness';

// Fast probes for tests: the production default is every 2000 ms with a 1000 ms timeout.
const FAST = { intervalMs: 150, timeoutMs: 100, failureThreshold: 2 };

interface Running {
  readonly agent: Agent;
  readonly config: AgentConfig;
  readonly records: Array<Record<string, unknown>>;
  healthz(): Promise<HttpResult>;
}

async function startAgent(io: IoMode): Promise<Running> {
  const config: AgentConfig = {
    ...DEFAULT_CONFIG, listen: AGENT_ADDRESS, port: await freeUdpPort(), healthPort: await freeTcpPort(), io,
  };
  const records: Array<Record<string, unknown>> = [];
  const log = new Logger('info', (line) => records.push(JSON.parse(line)));
  const agent = new Agent(config, parsePolicy({ defaultAction: 'drop' }), log, { selfProbe: FAST });
  await agent.start();
  expect(agent.dataplane.io?.mode).toBe(io);
  return { agent, config, records, healthz: () => httpGet(config.healthPort, '/healthz') };
}

const probeResults = (agent: Agent): number => {
  const r = agent.selfProbe?.results;
  return r ? r.ok + r.timeout + r.mismatch : 0;
};

/** Wait until `n` more probes have completed. */
async function probesPass(agent: Agent, n: number): Promise<void> {
  const target = probeResults(agent) + n;
  await eventually(() => probeResults(agent) >= target, 5000);
}

describe.each(['native', 'js'] as const)('--io %s', (io) => {
  describe('Agent /healthz with the data-path self-probe', () => {
    test('the inspector failing every packet: 503 with the probe reason (other checks green), then 200 once it works', async () => {
      const { agent, records, healthz } = await startAgent(io);
      try {
        await probesPass(agent, 1);
        expect(await healthz()).toMatchObject({ status: 200, body: 'ok\n' });

        // Inject: the inspector drops everything as an internal error (e.g. a decode regression).
        const broken = jest.spyOn(agent.inspector, 'inspect').mockImplementation(() => DropReason.INTERNAL_ERROR);
        await eventually(async () => (await healthz()).status === 503, 5000);
        const down = await healthz();
        expect(down.body).toMatch(new RegExp('^unhealthy: data path self-probe failed: the last \\d+ probes got no correct reply ' +
          'within 100 ms \\(last: timeout: no reply within 100 ms \\(the agent dropped it: internal_error\\)\\)\n$'));
        expect(agent.health().reasons).toHaveLength(1); // sockets, send errors and lag all look fine
        const metrics = agent.metricsText();
        expect(metricValue(metrics, 'gwlb_agent_self_probe_total', { result: 'timeout' })).toBeGreaterThanOrEqual(2);
        expect(metricValue(metrics, 'gwlb_agent_self_probe_consecutive_failures')).toBeGreaterThanOrEqual(2);
        expect(metricValue(metrics, 'gwlb_agent_healthy')).toBe(0);
        await eventually(() => records.some((r) => r.msg === 'data path self-probe failing; /healthz reports 503'), 3000);

        broken.mockRestore();
        await eventually(async () => (await healthz()).status === 200, 5000);
        expect(agent.selfProbe?.consecutiveFailures).toBe(0);
        await eventually(() => records.some((r) => r.msg === 'data path self-probe recovered'), 3000);
        expect(metricValue(agent.metricsText(), 'gwlb_agent_self_probe_last_success_age_seconds')).toBeLessThan(Infinity);
      } finally {
        await agent.stop();
      }
    });

    test('the listening and reply sockets closed: 503 with the probe reason too; reopened: 200', async () => {
      const { agent, healthz } = await startAgent(io);
      try {
        await probesPass(agent, 1);
        await agent.dataplane.close(); // listening socket and reply sockets
        await eventually(async () => (await healthz()).body.includes('data path self-probe failed'), 5000);
        const down = await healthz();
        expect(down.status).toBe(503);
        expect(down.body).toContain('reply socket closed');
        expect(down.body).toContain('data path self-probe failed: the last');

        await agent.dataplane.start(); // same port: the path works again
        await eventually(async () => (await healthz()).status === 200, 5000);
        expect(await healthz()).toMatchObject({ status: 200, body: 'ok\n' });
      } finally {
        await agent.stop();
      }
    });

    test('fails to start, naming the address, when the probe cannot bind; the data socket is released', async () => {
      const config: AgentConfig = {
        ...DEFAULT_CONFIG, listen: AGENT_ADDRESS, port: await freeUdpPort(), healthPort: await freeTcpPort(), io,
      };
      const squatter = await bindUdp('127.0.0.81', config.port); // where the probe receives its replies
      try {
        const agent = new Agent(config, parsePolicy({ defaultAction: 'allow' }), new Logger('error', () => undefined), { selfProbe: FAST });
        await expect(agent.start()).rejects.toThrow(
          `cannot start the data path self-probe: self-probe cannot bind UDP 127.0.0.81:${config.port}: EADDRINUSE`,
        );
        expect(agent.dataplane.isBound()).toBe(false);
        await closeUdp(await bindUdp(AGENT_ADDRESS, config.port)); // the listening port is free again
      } finally {
        await closeUdp(squatter);
      }
    });

    test('probes are neither customer traffic nor policy drops, are not logged, and hold one flow', async () => {
      const { agent, records } = await startAgent(io);
      try {
        await probesPass(agent, 3);
        const text = agent.metricsText();
        expect(metricValue(text, 'gwlb_agent_packets_received_total')).toBe(0);
        expect(metricValue(text, 'gwlb_agent_packets_forwarded_total')).toBe(0);
        expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'policy' })).toBe(0);
        expect(metricValue(text, 'gwlb_agent_self_probe_packets_received_total')).toBeGreaterThanOrEqual(3);
        expect(metricValue(text, 'gwlb_agent_self_probe_packets_forwarded_total')).toBeGreaterThanOrEqual(3);
        expect(metricValue(text, 'gwlb_agent_self_probe_total', { result: 'ok' })).toBeGreaterThanOrEqual(3);
        expect(metricValue(text, 'gwlb_agent_self_probe_total', { result: 'mismatch' })).toBe(0);
        expect(metricValue(text, 'gwlb_agent_active_flows')).toBe(1);
        expect(records.filter((r) => r.msg === 'policy drop')).toEqual([]);
        expect(records[0]).toMatchObject({
          msg: 'gwlb-agent started', selfProbe: { from: '127.0.0.81', to: AGENT_ADDRESS, intervalMs: FAST.intervalMs },
        });
      } finally {
        await agent.stop();
      }
      expect(agent.selfProbe).toBeNull(); // stop() closed it
    });
  });
});
