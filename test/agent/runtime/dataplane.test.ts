/**
 * The data plane in-process with the real inspector: reply-socket fallback,
 * LRU bound, send-error accounting, dgram mode. GWLB played from 127.0.0.2.
 * Every test runs on both datagram I/O paths: node's dgram (--io js) and the native batch addon.
 */
import { Socket } from 'node:dgram';
import type { IoMode } from '../../../lib/agent/batch-io';
import { Dataplane } from '../../../lib/agent/dataplane';
import { Inspector } from '../../../lib/agent/inspector';
import { AgentMetrics } from '../../../lib/agent/metrics';
import { allowAllPolicy } from '../../../lib/agent/policy';
import { FAILED_RETRY_MS } from '../../../lib/agent/reply-bound-port';
import { AGENT_ADDRESS, bindUdp, closeUdp, eventually, FakeGwlb, freeUdpPort, GWLB_ADDRESS, Inbox } from './harness';
import { geneve, ipv4Udp } from './packets';

interface Rig {
  dataplane: Dataplane;
  /** The data plane's counters, native I/O counters folded in first. */
  readonly metrics: AgentMetrics;
  port: number;
  warnings: string[];
}

const IO_PATHS: readonly IoMode[] = ['js', 'native'];

describe.each(IO_PATHS)('--io %s', (io) => {
  async function startDataplane(replyMode: 'bound-port' | 'dgram', maxReplySockets?: number): Promise<Rig> {
    const port = await freeUdpPort();
    const metrics = new AgentMetrics();
    const warnings: string[] = [];
    const dataplane = new Dataplane(
      { listen: AGENT_ADDRESS, port, replyMode, maxReplySockets, warn: (msg) => warnings.push(msg), io },
      new Inspector(allowAllPolicy()),
      metrics,
    );
    await dataplane.start();
    expect(dataplane.io?.mode).toBe(io);
    return {
      dataplane, port, warnings,
      get metrics() {
        dataplane.syncCounters();
        return metrics;
      },
    };
  }

  describe('Dataplane, bound-port mode', () => {
    let rig: Rig;
    let gwlb: FakeGwlb;
    const extra: Socket[] = [];

    beforeEach(async () => {
      rig = await startDataplane('bound-port', 2);
    });

    afterEach(async () => {
      for (const s of extra.splice(0)) await closeUdp(s);
      await gwlb?.close();
      await rig.dataplane.close();
    });

    test('falls back to the listening port when the GWLB source port is taken, counts it, and retries later', async () => {
      const sourcePort = await freeUdpPort();
      const blocker = await bindUdp(AGENT_ADDRESS, sourcePort); // holds (agent address, GWLB source port)
      gwlb = await FakeGwlb.create(rig.port, sourcePort);
      const packet = geneve(ipv4Udp(), 1);

      await gwlb.send(packet);
      const first = await gwlb.replies.next();
      expect(first.msg.equals(packet)).toBe(true);
      expect(first.rinfo).toMatchObject({ address: AGENT_ADDRESS, port: rig.port }); // from the listening socket
      expect(rig.metrics.replyBindFailures).toBe(1);
      expect(rig.metrics.portsNotKept).toBe(1);
      expect(rig.warnings).toContain('cannot bind the GWLB source port; replying from the listening port');

      await gwlb.send(packet);
      expect((await gwlb.replies.next()).rinfo.port).toBe(rig.port);
      expect(rig.metrics.portsNotKept).toBe(2);
      expect(rig.metrics.replyBindFailures).toBe(1); // no rebind per packet

      await closeUdp(blocker);
      rig.dataplane.sweep(Date.now() + FAILED_RETRY_MS);
      await gwlb.send(packet);
      const retried = await gwlb.replies.next();
      expect(retried.rinfo.port).toBe(sourcePort); // port kept again
      expect(rig.metrics.portsNotKept).toBe(2);
      expect(rig.dataplane.replySockets).toBe(1);
    });

    test('keeps at most maxReplySockets sockets, closing the least recently used', async () => {
      gwlb = await FakeGwlb.create(rig.port);
      const senders = [gwlb.sender, await bindUdp(GWLB_ADDRESS, 0), await bindUdp(GWLB_ADDRESS, 0)];
      extra.push(senders[1], senders[2]);
      for (const s of senders) {
        await gwlb.send(geneve(ipv4Udp(), s.address().port), s);
        expect((await gwlb.replies.next()).rinfo.port).toBe(s.address().port);
      }
      expect(rig.dataplane.replySockets).toBe(2);
      expect(rig.metrics.replySocketEvictions).toBe(1);
      // The evicted one (first) binds again on demand and still keeps the port.
      await gwlb.send(geneve(ipv4Udp(), 9), senders[0]);
      expect((await gwlb.replies.next()).rinfo.port).toBe(senders[0].address().port);
      expect(rig.dataplane.replySockets).toBe(2);
      expect(rig.metrics.replySocketEvictions).toBe(2);
      expect(rig.metrics.portsNotKept).toBe(0);
      expect(rig.metrics.packetsOut).toBe(4);
    });

    test('a GWLB source port equal to the listening port is served by the listening socket', async () => {
      gwlb = await FakeGwlb.create(rig.port);
      const packet = geneve(ipv4Udp(), 3);
      await gwlb.send(packet, gwlb.replies.socket); // from 127.0.0.2:<listening port>
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(packet)).toBe(true);
      expect(reply.rinfo.port).toBe(rig.port);
      expect(rig.dataplane.replySockets).toBe(0);
      expect(rig.metrics.portsNotKept).toBe(0);
    });

    test('counts errors when nobody listens on the GWLB side, never throws, and recovers', async () => {
      const sender = await bindUdp(GWLB_ADDRESS, 0);
      extra.push(sender);
      const send = (msg: Buffer): Promise<void> =>
        new Promise((resolve, reject) => sender.send(msg, rig.port, AGENT_ADDRESS, (e) => (e ? reject(e) : resolve())));
      // No socket on 127.0.0.2:<port>: each reply draws ICMP port unreachable, reported on the
      // connected reply socket as ECONNREFUSED (to a send or as a socket error).
      for (let i = 0; i < 20; i++) {
        await send(geneve(ipv4Udp(), 100 + i));
        await new Promise((r) => setTimeout(r, 5));
      }
      await eventually(() => rig.metrics.sendErrors + rig.metrics.socketErrors > 0);
      expect(rig.dataplane.isBound()).toBe(true);

      const receiver = new Inbox(await bindUdp(GWLB_ADDRESS, rig.port));
      extra.push(receiver.socket);
      const packet = geneve(ipv4Udp(), 200);
      await eventually(async () => {
        await send(packet);
        try {
          return (await receiver.next(200)).msg.equals(packet);
        } catch {
          return false;
        }
      });
    });
  });

  describe('Dataplane, dgram mode', () => {
    test('replies from the listening socket to the GWLB listening port and counts ports not kept', async () => {
      const rig = await startDataplane('dgram');
      const gwlb = await FakeGwlb.create(rig.port);
      try {
        const packet = geneve(ipv4Udp(), 4);
        await gwlb.send(packet);
        const reply = await gwlb.replies.next();
        expect(reply.msg.equals(packet)).toBe(true);
        expect(reply.rinfo).toMatchObject({ address: AGENT_ADDRESS, port: rig.port });
        expect(rig.dataplane.replySockets).toBe(0);
        expect(rig.metrics.portsNotKept).toBe(1);
        expect(rig.metrics).toMatchObject({ packetsIn: 1, packetsOut: 1, bytesIn: packet.length, bytesOut: packet.length });
      } finally {
        await gwlb.close();
        await rig.dataplane.close();
      }
    });

    test('fails to start on a port in use, naming address, port and error', async () => {
      const port = await freeUdpPort();
      const holder = await bindUdp(AGENT_ADDRESS, port);
      try {
        const dp = new Dataplane({ listen: AGENT_ADDRESS, port, replyMode: 'dgram', warn: () => undefined, io }, new Inspector(allowAllPolicy()));
        await expect(dp.start()).rejects.toThrow(`cannot bind UDP ${AGENT_ADDRESS}:${port}: EADDRINUSE`);
        expect(dp.isBound()).toBe(false);
      } finally {
        await closeUdp(holder);
      }
    });
  });
});
