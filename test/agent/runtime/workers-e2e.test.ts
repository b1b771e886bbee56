/**
 * Several workers end to end: the bundled agent under Node 24 (dgram reusePort) with --workers 2,
 * the GWLB played from 127.0.0.2. The kernel picks a worker by the outer 4-tuple; the test finds
 * GWLB source ports that land on each worker (per-worker packet counters in /metrics) and sends the
 * two directions of one flow from ports on different workers.
 */
import { Socket } from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AGENT_ADDRESS, AgentProcess, bindUdp, closeUdp, eventually, FakeGwlb, freeTcpPort, freeUdpPort, GWLB_ADDRESS, httpGet,
  metricValue, node24,
} from './harness';
import { geneve, ipv4Udp } from './packets';

const BLOCK_EVIL = {
  defaultAction: 'allow',
  rules: [{ name: 'evil-payload', action: 'drop', protocol: 'udp', payloadContains: 'EVIL' }],
};
const BLOCK_EVIL_AND_7777 = {
  defaultAction: 'allow',
  rules: [...BLOCK_EVIL.rules, { name: 'block-udp-7777', action: 'drop', protocol: 'udp', destinationPorts: [7777] }],
};

const CLIENT = { src: '198.51.100.7', dst: '10.0.1.20', srcPort: 40001, dstPort: 5000 };
const SERVER = { src: CLIENT.dst, dst: CLIENT.src, srcPort: CLIENT.dstPort, dstPort: CLIENT.srcPort };

/** A UDP packet of the test flow; `evil` puts the forbidden bytes in its payload. */
function flowPacket(dir: typeof CLIENT, cookie: number, evil = false): Buffer {
  const inner = ipv4Udp({ ...dir, payloadLength: 64 });
  if (evil) inner.write('EVIL', 28, 'latin1');
  return geneve(inner, cookie);
}

describe.each(['native', 'js'])('--io %s', (io) => {
  describe('gwlb-agent with --workers 2 (node 24, SO_REUSEPORT)', () => {
    let dir: string;
    let policyFile: string;
    let port: number;
    let healthPort: number;
    let agent: AgentProcess;
    let gwlb: FakeGwlb;
    /** GWLB source sockets whose packets the kernel hands to worker 0 and worker 1. */
    const onWorker: Socket[] = [];
    const spare: Socket[] = [];

    const metrics = async (): Promise<string> => (await httpGet(healthPort, '/metrics')).body;
    const workerPackets = async (): Promise<number[]> => {
      const text = await metrics();
      return [0, 1].map((w) => metricValue(text, 'gwlb_agent_worker_packets_received_total', { worker: String(w) }) ?? NaN);
    };

    /** Which worker receives packets from `from` (an allowed packet, replied). */
    async function workerOf(from: Socket): Promise<number> {
      const before = await workerPackets();
      await gwlb.send(geneve(ipv4Udp({ dstPort: 53 }), 0x0a0a0a0a), from);
      await gwlb.replies.next();
      const after = await workerPackets();
      return after.findIndex((n, i) => n === before[i] + 1);
    }

    /** Fill onWorker: a source socket for each worker (the kernel's choice changes when a worker restarts). */
    async function discover(): Promise<void> {
      const pool = [...onWorker, ...spare].filter((x) => x !== undefined);
      onWorker.length = 0;
      spare.length = 0;
      const seen: number[] = [];
      for (let i = 0; onWorker[0] === undefined || onWorker[1] === undefined; i++) {
        if (i >= 64) throw new Error(`no GWLB source port found for each worker in 64 tries: ${JSON.stringify(seen)}`);
        const s = pool.shift() ?? await bindUdp(GWLB_ADDRESS, 0);
        const w = await workerOf(s);
        seen.push(w);
        if (w >= 0 && onWorker[w] === undefined) onWorker[w] = s;
        else spare.push(s);
      }
      spare.push(...pool);
    }

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-agent-workers-'));
      policyFile = path.join(dir, 'policy.json');
      fs.writeFileSync(policyFile, JSON.stringify(BLOCK_EVIL));
      port = await freeUdpPort();
      healthPort = await freeTcpPort();
      agent = AgentProcess.spawn([
        '--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort),
        '--policy', policyFile, '--workers', '2', '--drain-seconds', '2', '--self-probe-interval-ms', '500', '--io', io,
      ], node24(), { ...process.env, GWLB_AGENT_TEST_HOOKS: '1' });
      await agent.waitForLog('gwlb-agent started', 20000);
      gwlb = await FakeGwlb.create(port);
      await discover();
    }, 60000);

    afterAll(async () => {
      for (const s of [...onWorker, ...spare]) if (s) await closeUdp(s);
      await gwlb?.close();
      await agent?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test(`every worker runs the ${io} I/O path`, async () => {
      expect(metricValue(await metrics(), 'gwlb_agent_io', { mode: io })).toBe(2);
      expect(agent.logs.filter((r) => r.msg === 'worker started').map((r) => r.io)).toEqual([io, io]);
    });

    test('starts two workers, each with its own self-probe, and says so', async () => {
      expect(agent.logs.find((r) => r.msg === 'gwlb-agent started')).toMatchObject({ workers: 2 });
      expect(agent.logs.filter((r) => r.msg === 'worker started').map((r) => r.worker).sort()).toEqual([0, 1]);
      expect(onWorker[0]).toBeDefined();
      expect(onWorker[1]).toBeDefined();
      const health = await httpGet(healthPort, '/healthz');
      expect(health).toMatchObject({ status: 200, body: 'ok\n' });
      const text = await metrics();
      expect(metricValue(text, 'gwlb_agent_workers')).toBe(2);
      expect(metricValue(text, 'gwlb_agent_workers_running')).toBe(2);
      // 500 ms probes in each worker: both workers' probes have come back.
      await eventually(async () => (metricValue(await metrics(), 'gwlb_agent_self_probe_total', { result: 'ok' }) ?? 0) >= 4, 5000);
      expect(agent.logs.filter((r) => r.msg === 'worker started').map((r) => (r.selfProbe as { from: string }).from).sort())
        .toEqual(['127.81.0.1', '127.81.0.2']);
    });

    test('a payload drop seen by one worker blocks the flow in the other, in both directions', async () => {
      const cookie = 0x1234abcd;
      await gwlb.send(flowPacket(CLIENT, cookie), onWorker[0]);
      expect((await gwlb.replies.next()).msg.equals(flowPacket(CLIENT, cookie))).toBe(true); // worker 0 forwards it
      const before = await workerPackets();
      await gwlb.send(flowPacket(SERVER, cookie, true), onWorker[1]); // the reply direction carries EVIL, on worker 1
      expect(await gwlb.replies.silentFor(300)).toBe(true);
      await gwlb.send(flowPacket(CLIENT, cookie), onWorker[0]); // clean bytes, worker 0, which forwarded this flow
      await gwlb.send(flowPacket(SERVER, cookie), onWorker[1]);
      expect(await gwlb.replies.silentFor(300)).toBe(true);
      const after = await workerPackets();
      expect([after[0] - before[0], after[1] - before[1]]).toEqual([1, 2]);
      const text = await metrics();
      expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'flow_blocked' })).toBe(2);
      expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'policy' })).toBe(1);
      expect(metricValue(text, 'gwlb_agent_shared_blocked_flows')).toBe(1);
      // Another cookie on the same 5-tuple is another flow.
      await gwlb.send(flowPacket(CLIENT, cookie + 1), onWorker[0]);
      expect((await gwlb.replies.next()).msg.equals(flowPacket(CLIENT, cookie + 1))).toBe(true);
    });

    test('a crashed worker is restarted without touching the other, and the block holds in the new one', async () => {
      const cookie = 0x2222beef;
      await gwlb.send(flowPacket(CLIENT, cookie, true), onWorker[1]); // blocked by worker 1
      expect(await gwlb.replies.silentFor(200)).toBe(true);
      const before = await workerPackets();
      agent.child.kill('SIGUSR2'); // test hook: worker 0 throws an uncaught exception
      await agent.waitForLog('worker exited; restarting it', 5000);
      await agent.waitForLog('worker restarted', 5000);
      await eventually(async () => metricValue(await metrics(), 'gwlb_agent_workers_running') === 2, 5000);
      const text = await metrics();
      expect(metricValue(text, 'gwlb_agent_worker_restarts_total')).toBe(1);
      expect(agent.logs.filter((r) => r.msg === 'worker started' && r.worker === 1)).toHaveLength(1); // worker 1 kept running
      // Which worker a source port lands on changes with the new socket: look again.
      await discover();
      const now = await workerPackets();
      expect(now[0]).toBeGreaterThanOrEqual(before[0]); // counters of the old worker 0 are kept
      expect(now[1]).toBeGreaterThan(before[1]);
      const mid = await workerPackets();
      for (const from of onWorker) {
        await gwlb.send(flowPacket(SERVER, cookie), from);
        await gwlb.send(flowPacket(CLIENT, cookie), from);
      }
      expect(await gwlb.replies.silentFor(300)).toBe(true);
      const end = await workerPackets();
      expect([end[0] - mid[0], end[1] - mid[1]]).toEqual([2, 2]); // the restarted worker 0 dropped its two too
      expect(await httpGet(healthPort, '/healthz')).toMatchObject({ status: 200 });
      expect(agent.child.exitCode).toBeNull();
    });

    test('/healthz covers every worker: a stuck worker makes it 503, named, until it answers again', async () => {
      expect((await httpGet(healthPort, '/healthz')).status).toBe(200);
      agent.child.kill('SIGWINCH'); // test hook: worker 0 blocks its event loop for 3 s
      await eventually(async () => (await httpGet(healthPort, '/healthz')).status === 503, 3000);
      expect((await httpGet(healthPort, '/healthz')).body).toMatch(/worker 0: no answer within 1000 ms/);
      await eventually(async () => (await httpGet(healthPort, '/healthz')).status === 200, 8000);
      expect(metricValue(await metrics(), 'gwlb_agent_workers_running')).toBe(2);
    }, 20000);

    test('SIGHUP reloads the policy in every worker', async () => {
      for (const from of onWorker) {
        await gwlb.send(geneve(ipv4Udp({ dstPort: 7777 }), 0x7777), from);
        await gwlb.replies.next();
      }
      fs.writeFileSync(policyFile, JSON.stringify(BLOCK_EVIL_AND_7777));
      agent.child.kill('SIGHUP');
      await agent.waitForLog('policy reloaded');
      await eventually(async () => metricValue(await metrics(), 'gwlb_agent_policy_generation') === 1);
      const before = await workerPackets();
      for (const from of onWorker) await gwlb.send(geneve(ipv4Udp({ dstPort: 7777 }), 0x7778), from);
      expect(await gwlb.replies.silentFor(300)).toBe(true);
      const after = await workerPackets();
      expect(after[0]).toBeGreaterThan(before[0]);
      expect(after[1]).toBeGreaterThan(before[1]);
      expect(metricValue(await metrics(), 'gwlb_agent_policy_reloads_total')).toBe(1);
    });

    test('SIGTERM: /healthz 503 draining at once, forwarding goes on in every worker, then exit 0', async () => {
      agent.child.kill('SIGTERM');
      await eventually(async () => (await httpGet(healthPort, '/healthz')).status === 503);
      expect((await httpGet(healthPort, '/healthz')).body).toMatch(/draining/);
      for (const from of onWorker) {
        const packet = geneve(ipv4Udp({ dstPort: 53 }), 0x5353);
        await gwlb.send(packet, from);
        expect((await gwlb.replies.next()).msg.equals(packet)).toBe(true);
      }
      expect(await agent.exited).toEqual({ code: 0, signal: null });
      expect(agent.logs.find((r) => r.msg === 'stopped')).toBeDefined();
    });
  });
});

describe('gwlb-agent --workers 2 startup (node 24)', () => {
  async function start(port: number): Promise<AgentProcess> {
    return AgentProcess.spawn(['--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(await freeTcpPort()),
      '--workers', '2'], node24());
  }

  test('--max-flows bounds the flows of all workers together', async () => {
    const port = await freeUdpPort();
    const healthPort = await freeTcpPort();
    const agent = AgentProcess.spawn(['--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort),
      '--workers', '2', '--max-flows', '6'], node24());
    const gwlb = await FakeGwlb.create(port);
    const sources: Socket[] = [];
    try {
      expect(await agent.waitForLog('gwlb-agent started', 20000)).toMatchObject({ workers: 2, maxFlowsPerWorker: 3 });
      for (let i = 0; i < 16; i++) sources.push(await bindUdp(GWLB_ADDRESS, 0));
      // 48 flows from 16 source ports: both workers get some (all 16 on one: p = 2^-15); each holds at most 3.
      for (let f = 0; f < 48; f++) {
        await gwlb.send(geneve(ipv4Udp({ srcPort: 30000 + f }), 0x100 + f), sources[f % sources.length]);
        await gwlb.replies.next();
      }
      const text = (await httpGet(healthPort, '/metrics')).body;
      const perWorker = [0, 1].map((w) => metricValue(text, 'gwlb_agent_worker_packets_received_total', { worker: String(w) }) ?? 0);
      expect(perWorker.every((n) => n > 0)).toBe(true);
      expect(metricValue(text, 'gwlb_agent_active_flows')).toBe(6);
    } finally {
      for (const s of sources) await closeUdp(s);
      await gwlb.close();
      await agent.stop();
    }
  }, 30000);

  test('fails with exit 1 when the UDP port is in use', async () => {
    const port = await freeUdpPort();
    const holder = await bindUdp(AGENT_ADDRESS, port);
    try {
      const agent = await start(port);
      expect((await agent.exited).code).toBe(1);
      expect(agent.stderr).toBe(`gwlb-agent: cannot bind UDP ${AGENT_ADDRESS}:${port}: EADDRINUSE\n`);
    } finally {
      await closeUdp(holder);
    }
  });

  test('fails with exit 1 when another agent already holds the port (SO_REUSEPORT does not let it share)', async () => {
    const port = await freeUdpPort();
    const first = await start(port);
    try {
      await first.waitForLog('gwlb-agent started', 20000);
      const second = await start(port);
      expect((await second.exited).code).toBe(1);
      expect(second.stderr).toBe(`gwlb-agent: cannot bind UDP ${AGENT_ADDRESS}:${port}: EADDRINUSE\n`);
      expect(first.child.exitCode).toBeNull();
    } finally {
      await first.stop();
    }
  }, 30000);
});

describe('gwlb-agent --workers on node without reusePort', () => {
  const major = Number(process.versions.node.split('.')[0]);
  const minor = Number(process.versions.node.split('.')[1]);
  const hasReusePort = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  (hasReusePort ? test.skip : test)('runs one worker and says so at start', async () => {
    const port = await freeUdpPort();
    const healthPort = await freeTcpPort();
    const agent = AgentProcess.spawn(['--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort), '--workers', '4']);
    try {
      const warn = await agent.waitForLog(/^running 1 worker instead of 4/, 10000);
      expect(warn).toMatchObject({ level: 'warn', workersWanted: 4, workers: 1 });
      expect(await agent.waitForLog('gwlb-agent started')).toMatchObject({ workers: 1 });
    } finally {
      await agent.stop();
    }
  });
});
