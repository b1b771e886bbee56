/**
 * gwlb-sim with two real gwlb-agent targets: per-flow stickiness checked on the agents' own
 * /metrics, and failover when an agent stops (health checks every 0.5 s, thresholds 2/2).
 */
import { Stickiness } from '../../lib/sim/config';
import { clientTuple, expectedTarget, portsHashingTo } from './helpers/expected';
import { ADDR, Lab, LabProcess, sleep, waitFor } from './helpers/lab';

const INTERVAL_S = 0.5;
const UNHEALTHY_THRESHOLD = 2;
/** The sim's default health-check timeout is the interval (at most 5 s). */
const TIMEOUT_S = INTERVAL_S;
const lab = new Lab();
const agents: LabProcess[] = [];
let sim: LabProcess | undefined;

const received = async (i: number): Promise<number> => (await lab.agentMetrics(i)).get('gwlb_agent_packets_received_total') ?? 0;
const health = async (i: number): Promise<string> => (await lab.simStatus()).targets[i - 1].health;

async function restartAgent(i: number): Promise<void> {
  await agents[i - 1]?.stop();
  agents[i - 1] = await lab.startAgent(i);
}

async function restartSim(extra: string[] = []): Promise<void> {
  await sim?.stop();
  sim = await lab.startSim([1, 2], ['--strict', ...extra]);
}

beforeAll(async () => {
  await lab.up(2);
  await lab.startServer();
  await restartAgent(1);
  await restartAgent(2);
  await restartSim();
}, 60000);

afterAll(async () => {
  if (process.env.E2E_LOGS) process.stderr.write(lab.logs() + '\n');
  await lab.down();
}, 30000);

describe('two agents behind gwlb-sim', () => {
  test('every packet of a flow, both directions, reaches the same agent', async () => {
    const before = [await received(1), await received(2)];
    const port = 44001;
    const res = await lab.fetch('/bytes/300000', { localPort: port, maxTimeS: 20 });
    expect(res.code).toBe(0);
    const status = await lab.simStatus();
    const flow = status.flows.find((f) => f.clientPort === port)!;
    expect(flow.target).toBe(expectedTarget(clientTuple(6, port, 8000), Stickiness.FIVE_TUPLE, [1, 2]));
    expect(Object.keys(flow.returnedFrom)).toEqual([flow.target.split(':')[0]]);
    expect(flow.packetsReturned).toBe(flow.packetsSent);
    // The agents' own counters: the flow's packets at one agent (all, unless a UDP buffer
    // overflowed on the way there), none at the other.
    const chosen = flow.target.startsWith(`${ADDR.agent(1)}:`) ? 1 : 2;
    const other = 3 - chosen;
    const atChosen = (await received(chosen)) - before[chosen - 1];
    expect(atChosen).toBeGreaterThanOrEqual(flow.packetsReturned);
    expect(atChosen).toBeLessThanOrEqual(flow.packetsSent);
    expect(flow.packetsSent).toBeGreaterThan(200); // 300 kB: a few hundred segments and acks
    expect((await received(other)) - before[other - 1]).toBe(0);
  });

  test('flows are spread over both agents and each stays on its agent', async () => {
    const ports = [...portsHashingTo(1, [1, 2], 6, 8000, 44100, 3), ...portsHashingTo(2, [1, 2], 6, 8000, 44100, 3)];
    for (const p of ports) expect((await lab.fetch('/hello', { localPort: p })).code).toBe(0);
    const status = await lab.simStatus();
    for (const [i, p] of ports.entries()) {
      const flow = status.flows.find((f) => f.clientPort === p)!;
      expect(flow.target).toBe(`${ADDR.agent(i < 3 ? 1 : 2)}:6081`);
      expect(Object.keys(flow.returnedFrom)).toEqual([ADDR.agent(i < 3 ? 1 : 2)]);
    }
  });

  test('stopping an agent moves new flows to the other within the health-check thresholds', async () => {
    const ports = portsHashingTo(2, [1, 2], 6, 8000, 44200, 4);
    await agents[1].stop();
    const stoppedAt = Date.now();
    await waitFor(async () => (await health(2)) === 'unhealthy', 10000, 'agent2 unhealthy', 50);
    const detectedS = (Date.now() - stoppedAt) / 1000;
    // Not before `threshold` failed checks (one interval apart), at most `threshold` intervals plus
    // a timeout later; 2 s of slack for a busy machine.
    expect(detectedS).toBeGreaterThanOrEqual((UNHEALTHY_THRESHOLD - 1) * INTERVAL_S * 0.8);
    expect(detectedS).toBeLessThanOrEqual(UNHEALTHY_THRESHOLD * INTERVAL_S + TIMEOUT_S + 2);
    for (const p of ports) expect((await lab.fetch('/hello', { localPort: p, maxTimeS: 3 })).code).toBe(0);
    const status = await lab.simStatus();
    for (const p of ports) expect(status.flows.find((f) => f.clientPort === p)?.target).toBe(`${ADDR.agent(1)}:6081`);
    expect(status.targets[0].health).toBe('healthy');
  });

  test('a restarted agent turns healthy again and receives new flows', async () => {
    await restartAgent(2);
    await waitFor(async () => (await health(2)) === 'healthy', 10000, 'agent2 healthy again');
    const [port] = portsHashingTo(2, [1, 2], 6, 8000, 44300, 1);
    expect((await lab.fetch('/hello', { localPort: port })).code).toBe(0);
    expect((await lab.simStatus()).flows.find((f) => f.clientPort === port)?.target).toBe(`${ADDR.agent(2)}:6081`);
  });

  test('without --rebalance an existing flow stays on its stopped agent', async () => {
    await restartAgent(2);
    await restartSim();
    const [port] = portsHashingTo(2, [1, 2], 17, 9000, 44400, 1);
    expect(await lab.udp('one', 3000, port)).toBe('echo:one');
    await agents[1].stop();
    await waitFor(async () => (await health(2)) === 'unhealthy', 10000, 'agent2 unhealthy');
    expect(await lab.udp('two', 1500, port)).toBeNull();
    const flow = (await lab.simStatus()).flows.find((f) => f.clientPort === port);
    expect(flow?.target).toBe(`${ADDR.agent(2)}:6081`);
  });

  test('with --rebalance an existing flow moves to the healthy agent', async () => {
    await restartAgent(2);
    await restartSim(['--rebalance']);
    const [port] = portsHashingTo(2, [1, 2], 17, 9000, 44500, 1);
    expect(await lab.udp('one', 3000, port)).toBe('echo:one');
    await agents[1].stop();
    await waitFor(async () => (await health(2)) === 'unhealthy', 10000, 'agent2 unhealthy');
    await sleep(100);
    expect(await lab.udp('two', 3000, port)).toBe('echo:two');
    const status = await lab.simStatus();
    const flow = status.flows.find((f) => f.clientPort === port)!;
    expect(flow.target).toBe(`${ADDR.agent(1)}:6081`);
    expect(flow.returnedFrom).toEqual({ [ADDR.agent(2)]: 2, [ADDR.agent(1)]: 2 });
    expect(status.counters.flowsRebalanced).toBeGreaterThanOrEqual(1);
  });
});
