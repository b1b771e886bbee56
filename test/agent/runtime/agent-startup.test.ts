/**
 * The bundled agent at startup and in dgram reply mode: bad flags and policies
 * exit non-zero naming the problem; --reply-mode dgram warns and replies from
 * the listening port; the self-probe can be turned off (with a warning).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AGENT_ADDRESS, AgentProcess, bindUdp, closeUdp, FakeGwlb, freeTcpPort, freeUdpPort, httpGet, metricValue,
} from './harness';
import { geneve, ipv4Udp } from './packets';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-agent-start-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number | null; stderr: string; agent: AgentProcess }> {
  const agent = AgentProcess.spawn(args);
  const { code } = await agent.exited;
  return { code, stderr: agent.stderr, agent };
}

describe('gwlb-agent startup', () => {
  test('fails with exit 2 on a bad flag value, naming flag and value', async () => {
    const r = await run(['--port', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gwlb-agent: --port: "70000" is not a port (1-65535)\n');
    expect(r.agent.logs).toEqual([]);
  });

  test('fails with exit 2 on an invalid policy, naming the field and value', async () => {
    const file = path.join(dir, 'bad-range.json');
    fs.writeFileSync(file, JSON.stringify({ defaultAction: 'allow', rules: [{ action: 'drop', protocol: 'tcp', destinationPorts: ['80-70'] }] }));
    const r = await run(['--policy', file, '--port', String(await freeUdpPort())]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`gwlb-agent: --policy: ${file}: rules[0].destinationPorts[0]`);
    expect(r.stderr).toContain('"80-70"');
  });

  test('fails with exit 2 on a malformed server-name pattern or inspection setting, naming the field and value', async () => {
    const file = path.join(dir, 'bad-name.json');
    fs.writeFileSync(file, JSON.stringify({ defaultAction: 'drop', rules: [{ action: 'allow', serverNames: ['github.com', 'a.*.example'] }] }));
    const r = await run(['--policy', file, '--port', String(await freeUdpPort())]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`gwlb-agent: --policy: ${file}: rules[0].serverNames[1]: "a.*.example" is not a valid server-name pattern`);
    fs.writeFileSync(file, JSON.stringify({ defaultAction: 'drop', rules: [{ action: 'allow', serverNames: 'a.example' }],
      serverNameInspection: { timeoutSeconds: 0 } }));
    const r2 = await run(['--policy', file, '--port', String(await freeUdpPort())]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('serverNameInspection.timeoutSeconds: 0 is not a number 0.1-120');
  });

  test('fails with exit 2 when the policy file is missing or not JSON', async () => {
    const missing = path.join(dir, 'missing.json');
    const r1 = await run(['--policy', missing]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`--policy: ${missing}: cannot read policy file`);
    const notJson = path.join(dir, 'not.json');
    fs.writeFileSync(notJson, '{"defaultAction": ');
    const r2 = await run(['--policy', notJson]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`--policy: ${notJson}: invalid JSON`);
  });

  test('--help prints the usage and exits 0', async () => {
    const agent = AgentProcess.spawn(['--help']);
    let out = '';
    agent.child.stdout?.on('data', (c: string) => (out += c));
    const { code } = await agent.exited;
    expect(code).toBe(0);
    expect(out).toContain('Usage: gwlb-agent [options]');
    expect(out).toContain('--reply-mode MODE');
    expect(out).toContain('--self-probe-interval-ms N');
    expect(out).toContain('--send-path MODE');
  });

  test('fails with exit 1 when the UDP port is in use', async () => {
    const port = await freeUdpPort();
    const holder = await bindUdp(AGENT_ADDRESS, port);
    try {
      const r = await run(['--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(await freeTcpPort())]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`gwlb-agent: cannot bind UDP ${AGENT_ADDRESS}:${port}: EADDRINUSE\n`);
    } finally {
      await closeUdp(holder);
    }
  });

  test('fails with exit 1 when the health port is in use', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, AGENT_ADDRESS, resolve));
    const healthPort = (server.address() as net.AddressInfo).port;
    try {
      const r = await run(['--listen', AGENT_ADDRESS, '--port', String(await freeUdpPort()), '--health-port', String(healthPort)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`gwlb-agent: cannot listen for HTTP on ${AGENT_ADDRESS}:${healthPort}: EADDRINUSE\n`);
    } finally {
      server.close();
    }
  });
});

describe('gwlb-agent --reply-mode dgram', () => {
  test('warns at startup, replies from the listening port, counts ports not kept, exits 0 on SIGINT', async () => {
    const port = await freeUdpPort();
    const healthPort = await freeTcpPort();
    const agent = AgentProcess.spawn([
      '--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort), '--reply-mode', 'dgram',
      '--log-level', 'warn',
    ]);
    await agent.waitForLog(/reply-mode dgram/, 20000); // logged once the health server listens
    const gwlb = await FakeGwlb.create(port);
    try {
      expect(agent.countLogs('gwlb-agent started')).toBe(0); // info is below --log-level warn
      const warning = agent.logs.find((r) => String(r.msg).startsWith('reply-mode dgram'));
      expect(warning).toMatchObject({ level: 'warn', port });
      expect(String(warning?.msg)).toContain('source port is not kept');
      const packet = geneve(ipv4Udp(), 0xabc);
      await gwlb.send(packet);
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(packet)).toBe(true);
      expect(reply.rinfo).toMatchObject({ address: AGENT_ADDRESS, port });
      const metrics = (await httpGet(healthPort, '/metrics')).body;
      expect(metricValue(metrics, 'gwlb_agent_reply_ports_not_kept_total')).toBe(1);
      agent.child.kill('SIGINT');
      expect((await agent.exited).code).toBe(0);
    } finally {
      await gwlb.close();
      await agent.stop();
    }
  });
});

describe('gwlb-agent --self-probe-interval-ms 0 --send-path dgram', () => {
  test('starts without a probe (warning), replies through the dgram API, /healthz 200', async () => {
    const port = await freeUdpPort();
    const healthPort = await freeTcpPort();
    const agent = AgentProcess.spawn([
      '--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort),
      '--self-probe-interval-ms', '0', '--send-path', 'dgram',
    ]);
    const started = await agent.waitForLog('gwlb-agent started', 20000);
    const gwlb = await FakeGwlb.create(port);
    try {
      expect(started).toMatchObject({ sendPath: 'dgram', selfProbe: null });
      expect(await agent.waitForLog(/^self-probe disabled/)).toMatchObject({ level: 'warn' });
      expect(await httpGet(healthPort, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
      const packet = geneve(ipv4Udp(), 0xdef);
      await gwlb.send(packet);
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(packet)).toBe(true);
      expect(reply.rinfo.port).toBe(gwlb.sender.address().port);
      const metrics = (await httpGet(healthPort, '/metrics')).body;
      expect(metricValue(metrics, 'gwlb_agent_packets_forwarded_total')).toBe(1);
      expect(metrics).not.toContain('self_probe');
    } finally {
      await gwlb.close();
      await agent.stop();
    }
  });
});
