/**
 * End to end: the bundled agent as a process, the GWLB played from 127.0.0.2
 * with real UDP. Reply mode bound-port (the default). On both datagram I/O paths (--io).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decode } from '../../../lib/agent/geneve';
import {
  AGENT_ADDRESS, AgentProcess, bindUdp, closeUdp, eventually, FakeGwlb, freeTcpPort, freeUdpPort, httpGet, metricValue,
} from './harness';
import { geneve, ipv4Tcp, ipv4Udp } from './packets';

const BLOCK_UDP_9999 = {
  defaultAction: 'allow',
  rules: [{ name: 'block-udp-9999', action: 'drop', protocol: 'udp', destinationPorts: [9999] }],
};
const BLOCK_UDP_9999_AND_7777 = {
  defaultAction: 'allow',
  rules: [
    { name: 'block-udp-9999', action: 'drop', protocol: 'udp', destinationPorts: [9999] },
    { name: 'block-udp-7777', action: 'drop', protocol: 'udp', destinationPorts: [7777] },
  ],
};

describe.each(['native', 'js'])('--io %s', (io) => {
  describe('gwlb-agent process (bound-port replies)', () => {
    let dir: string;
    let policyFile: string;
    let port: number;
    let healthPort: number;
    let agent: AgentProcess;
    let gwlb: FakeGwlb;

    const metrics = async (): Promise<string> => (await httpGet(healthPort, '/metrics')).body;
    const generation = async (): Promise<number | undefined> => metricValue(await metrics(), 'gwlb_agent_policy_generation');

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-agent-e2e-'));
      policyFile = path.join(dir, 'policy.json');
      fs.writeFileSync(policyFile, JSON.stringify(BLOCK_UDP_9999));
      port = await freeUdpPort();
      healthPort = await freeTcpPort();
      agent = AgentProcess.spawn([
        '--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort),
        '--policy', policyFile, '--drain-seconds', '2', '--io', io,
      ]);
      await agent.waitForLog('gwlb-agent started', 20000);
      gwlb = await FakeGwlb.create(port);
    });

    afterAll(async () => {
      await gwlb?.close();
      await agent?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test(`runs the ${io} I/O path and says so at start and in /metrics`, async () => {
      expect((await agent.waitForLog('gwlb-agent started')).io).toBe(io);
      const text = await metrics();
      expect(metricValue(text, 'gwlb_agent_io', { mode: io })).toBe(1);
      expect(metricValue(text, 'gwlb_agent_io', { mode: io === 'js' ? 'native' : 'js' })).toBe(0);
    });

    test('returns an allowed packet byte-for-byte from the GWLB source port to the listening port', async () => {
      const packet = geneve(ipv4Udp({ dstPort: 53 }), 0x11111111);
      await gwlb.send(packet);
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(packet)).toBe(true);
      expect(reply.rinfo.address).toBe(AGENT_ADDRESS);
      expect(reply.rinfo.port).toBe(gwlb.sourcePort);
      expect(gwlb.replies.socket.address().port).toBe(port);
    });

    test('keeps each GWLB source port apart (one reply socket per source port)', async () => {
      const second = await bindUdp('127.0.0.2', 0);
      try {
        const a = geneve(ipv4Tcp({ srcPort: 41000 }), 0x22222222);
        const b = geneve(ipv4Tcp({ srcPort: 41001 }), 0x33333333);
        await gwlb.send(a);
        const ra = await gwlb.replies.next();
        await gwlb.send(b, second);
        const rb = await gwlb.replies.next();
        expect(ra.msg.equals(a)).toBe(true);
        expect(ra.rinfo.port).toBe(gwlb.sourcePort);
        expect(rb.msg.equals(b)).toBe(true);
        expect(rb.rinfo.port).toBe(second.address().port);
        const text = await metrics();
        expect(metricValue(text, 'gwlb_agent_reply_sockets')).toBeGreaterThanOrEqual(2);
        expect(metricValue(text, 'gwlb_agent_reply_ports_not_kept_total')).toBe(0);
      } finally {
        await closeUdp(second);
      }
    });

    test('passes an 8500-byte inner packet intact (8540-byte GENEVE payload)', async () => {
      const inner = ipv4Udp({ payloadLength: 8500 - 28 });
      expect(inner.length).toBe(8500);
      const packet = geneve(inner, 0x44444444);
      expect(packet.length).toBe(8540);
      await gwlb.send(packet);
      const reply = await gwlb.replies.next();
      expect(reply.msg.length).toBe(8540);
      expect(reply.msg.equals(packet)).toBe(true);
      expect(decode(reply.msg).payload.equals(inner)).toBe(true);
    });

    test('drops a packet denied by the policy: no reply, counted in /metrics, logged', async () => {
      const before = metricValue(await metrics(), 'gwlb_agent_packets_dropped_total', { reason: 'policy' }) ?? 0;
      await gwlb.send(geneve(ipv4Udp({ dstPort: 9999 }), 0x55555555));
      expect(await gwlb.replies.silentFor(300)).toBe(true);
      const text = await metrics();
      expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'policy' })).toBe(before + 1);
      const logged = await agent.waitForLog('policy drop');
      expect(logged).toMatchObject({ level: 'info', rule: 'block-udp-9999', dstPort: 9999 });
    });

    test('counts malformed packets by reason and keeps running', async () => {
      const good = geneve(ipv4Udp(), 0x66666666);
      const badVersion = Buffer.from(good);
      badVersion[0] |= 0x40; // Ver = 1
      const noOptions = Buffer.concat([Buffer.from([0, 0, 0x08, 0, 0, 0, 0, 0]), ipv4Udp()]);
      await gwlb.send(Buffer.from([0x00, 0x01, 0x08]));
      await gwlb.send(badVersion);
      await gwlb.send(noOptions);
      await gwlb.send(Buffer.alloc(0));
      await gwlb.send(good);
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(good)).toBe(true); // still forwarding after garbage
      const text = await metrics();
      expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'truncated' })).toBe(2);
      expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'bad_version' })).toBe(1);
      expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'missing_aws_options' })).toBe(1);
      expect(agent.child.exitCode).toBeNull();
    });

    test('SIGHUP reloads the policy file and changes the verdict without losing the socket', async () => {
      const probe = geneve(ipv4Udp({ dstPort: 7777 }), 0x77777777);
      await gwlb.send(probe);
      expect((await gwlb.replies.next()).msg.equals(probe)).toBe(true);
      const genBefore = await generation();

      fs.writeFileSync(policyFile, JSON.stringify(BLOCK_UDP_9999_AND_7777));
      agent.child.kill('SIGHUP');
      await agent.waitForLog('policy reloaded');
      expect(await generation()).toBe((genBefore ?? 0) + 1);
      expect(metricValue(await metrics(), 'gwlb_agent_policy_rules')).toBe(2);

      await gwlb.send(probe);
      expect(await gwlb.replies.silentFor(300)).toBe(true);
      const other = geneve(ipv4Udp({ dstPort: 53 }), 0x77777778);
      await gwlb.send(other);
      expect((await gwlb.replies.next()).msg.equals(other)).toBe(true);
    });

    test('an invalid policy on SIGHUP keeps the running policy and logs why', async () => {
      const genBefore = await generation();
      fs.writeFileSync(policyFile, JSON.stringify({ defaultAction: 'allow', rules: [{ action: 'explode' }] }));
      agent.child.kill('SIGHUP');
      const logged = await agent.waitForLog('policy reload rejected; keeping the running policy');
      expect(String(logged.error)).toContain('rules[0].action');
      expect(String(logged.error)).toContain('explode');
      const text = await metrics();
      expect(metricValue(text, 'gwlb_agent_policy_generation')).toBe(genBefore);
      expect(metricValue(text, 'gwlb_agent_policy_reload_failures_total')).toBe(1);
      await gwlb.send(geneve(ipv4Udp({ dstPort: 7777 }), 0x88888888));
      expect(await gwlb.replies.silentFor(300)).toBe(true); // the 7777 rule is still active
    });

    test('serves /healthz, /metrics and 404 for other paths', async () => {
      const health = await httpGet(healthPort, '/healthz');
      expect(health).toMatchObject({ status: 200, body: 'ok\n' });
      const m = await httpGet(healthPort, '/metrics');
      expect(m.status).toBe(200);
      expect(m.contentType).toContain('text/plain; version=0.0.4');
      expect(metricValue(m.body, 'gwlb_agent_packets_received_total')).toBeGreaterThan(0);
      expect(metricValue(m.body, 'gwlb_agent_packets_forwarded_total')).toBeGreaterThan(0);
      expect(metricValue(m.body, 'gwlb_agent_healthy')).toBe(1);
      expect((await httpGet(healthPort, '/')).status).toBe(404);
      expect((await httpGet(healthPort, '/healthz/extra')).status).toBe(404);
    });

    test('SIGTERM: /healthz turns 503 draining, a packet sent during the drain still gets its reply, then exit 0 unprompted', async () => {
      agent.child.kill('SIGTERM');
      await eventually(async () => (await httpGet(healthPort, '/healthz')).status === 503, 1000);
      expect((await httpGet(healthPort, '/healthz')).body).toBe('unhealthy: draining\n');
      expect(await agent.waitForLog('draining')).toMatchObject({ signal: 'SIGTERM', drainSeconds: 2 });

      // Sent after SIGTERM was handled (health is 503), answered while the process still runs.
      const packet = geneve(ipv4Udp({ dstPort: 123 }), 0x99999999);
      await gwlb.send(packet);
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(packet)).toBe(true);
      expect(reply.rinfo.port).toBe(gwlb.sourcePort);
      expect(agent.child.exitCode).toBeNull();
      expect(agent.countLogs('stopped')).toBe(0);

      // Nothing else is sent to the process: it ends the drain and exits 0 on its own.
      expect(await agent.exited).toEqual({ code: 0, signal: null });
      await eventually(() => agent.countLogs('stopped') === 1, 1000); // stdout may trail the exit event
    });
  });
});
