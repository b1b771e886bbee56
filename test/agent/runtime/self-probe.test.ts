/**
 * The data-path self-probe against the real data plane (real sockets, inspector, repliers):
 * it passes under a default-drop policy in both reply modes and with --listen 127.0.0.1 and
 * 0.0.0.0, counts apart from customer traffic, holds one flow, and detects broken replies.
 */
import * as os from 'node:os';
import type { ReplyMode } from '../../../lib/agent/cli';
import { Dataplane, isOtherEniAtUsualPlace, isProbeSource } from '../../../lib/agent/dataplane';
import { DropReason } from '../../../lib/agent/drop-reasons';
import { awsOptions, decode, encode, ETHERTYPE_IPV4 } from '../../../lib/agent/geneve';
import { Inspector } from '../../../lib/agent/inspector';
import { AgentMetrics } from '../../../lib/agent/metrics';
import { ParsedPacket, parseIpPacket } from '../../../lib/agent/packet';
import { parsePolicy } from '../../../lib/agent/policy';
import { FAILED_RETRY_MS } from '../../../lib/agent/reply-bound-port';
import {
  buildProbePacket, planProbeAddresses, PROBE_FLOW_COOKIE, PROBE_SOURCE_ADDRESS, SelfProbe,
} from '../../../lib/agent/self-probe';
import { bindUdp, closeUdp, eventually, Inbox } from './harness';

const DROP_ALL = { defaultAction: 'drop' };

interface Rig {
  readonly dataplane: Dataplane;
  readonly inspector: Inspector;
  readonly metrics: AgentMetrics;
  readonly probe: SelfProbe;
  close(): Promise<void>;
}

async function startRig(listen: string, replyMode: ReplyMode, policy: unknown = DROP_ALL): Promise<Rig> {
  const metrics = new AgentMetrics();
  const inspector = new Inspector(parsePolicy(policy));
  const dataplane = new Dataplane({ listen, port: 0, replyMode, warn: () => undefined }, inspector, metrics);
  await dataplane.start();
  const listenPort = (dataplane.address() as { port: number }).port;
  // A long interval: the tests drive the probes with runOnce().
  const probe = new SelfProbe({ listenAddress: listen, listenPort, replyMode, intervalMs: 60_000, timeoutMs: 500 });
  dataplane.attachProbe(probe);
  await probe.open();
  return {
    dataplane, inspector, metrics, probe,
    close: async () => {
      await probe.close();
      await dataplane.close();
    },
  };
}

describe('planProbeAddresses', () => {
  test('probes a specific listen address directly; the wildcard through 127.0.0.1 with the reply on the listening socket', () => {
    expect(planProbeAddresses('127.0.0.1')).toEqual({ source: '127.0.0.81', target: '127.0.0.1', replyViaListeningSocket: false });
    expect(planProbeAddresses('10.0.0.5')).toEqual({ source: '127.0.0.81', target: '10.0.0.5', replyViaListeningSocket: false });
    expect(planProbeAddresses('0.0.0.0')).toEqual({ source: '127.0.0.81', target: '127.0.0.1', replyViaListeningSocket: true });
  });

  test('never sends from the listen address itself (its port p would collide with the reply socket)', () => {
    expect(planProbeAddresses(PROBE_SOURCE_ADDRESS).source).toBe('127.0.0.82');
  });
});

describe('buildProbePacket', () => {
  test('is a valid GWLB GENEVE packet: three AWS options, the nonce as ENI id, one inner IPv4/UDP flow', () => {
    const a = buildProbePacket(0x0123456789abcdefn, 1);
    const b = buildProbePacket(0x0123456789abcdefn, 2);
    const d = decode(a);
    expect(d.headerLength).toBe(40);
    expect(d.options.map((o) => [o.optionClass, o.type])).toEqual([[0x0108, 1], [0x0108, 2], [0x0108, 3]]);
    expect(d.aws).toEqual({ eniId: 0x0123456789abcdefn, attachmentId: 0n, flowCookie: PROBE_FLOW_COOKIE });
    const p = new ParsedPacket();
    expect(parseIpPacket(a, 40, a.length - 40, p, 4)).toBe(DropReason.NONE);
    expect([p.protocol, p.srcPort, p.dstPort]).toEqual([17, 49152, 9]);
    expect(a.equals(b)).toBe(false); // the sequence number tells probes apart ...
    expect(a.subarray(0, 68).equals(b.subarray(0, 68))).toBe(true); // ... in the payload only: same flow
  });
});

describe('isProbeSource', () => {
  test('exempts only a loopback source carrying the startup nonce', () => {
    const probe = { eniIdHigh: 0x11111111, eniIdLow: 0x22222222 } as Parameters<typeof isProbeSource>[3];
    expect(isProbeSource('127.0.0.81', 0x11111111, 0x22222222, probe)).toBe(true);
    expect(isProbeSource('10.0.1.9', 0x11111111, 0x22222222, probe)).toBe(false);
    expect(isProbeSource('192.0.2.2', 0x11111111, 0x22222222, probe)).toBe(false);
    expect(isProbeSource('127.0.0.81', 0x11111111, 0x22222223, probe)).toBe(false);
    expect(isProbeSource('12.7.0.1', 0x11111111, 0x22222222, probe)).toBe(false);
  });
});

describe('isOtherEniAtUsualPlace (the data plane\'s shortcut before decoding a loopback packet)', () => {
  const probe = { eniIdHigh: 0x11111111, eniIdLow: 0x22222222 } as Parameters<typeof isOtherEniAtUsualPlace>[1];
  const inner = Buffer.alloc(28, 0x45);
  const packet = (eniId: bigint, order = [0, 1, 2]): Buffer => {
    const options = awsOptions({ eniId, attachmentId: 7n, flowCookie: 9 });
    return encode({ protocolType: ETHERTYPE_IPV4, options: order.map((i) => options[i]), payload: inner });
  };

  test('true only for the usual layout carrying another ENI id: decoding it could never yield the probe\'s', () => {
    expect(isOtherEniAtUsualPlace(packet(0x1111111122222223n), probe)).toBe(true);
    expect(isOtherEniAtUsualPlace(packet(0x2b8ee1d4db0c51c4n), probe)).toBe(true);
  });

  test('false (decode to find out) for the probe\'s own ENI id, other layouts and short datagrams', () => {
    expect(isOtherEniAtUsualPlace(packet(0x1111111122222222n), probe)).toBe(false);
    expect(isOtherEniAtUsualPlace(buildProbePacket(0x1111111122222222n, 5), probe)).toBe(false);
    const reordered = packet(0x1111111122222222n, [2, 0, 1]); // cookie first: the ENI id is elsewhere
    expect(isOtherEniAtUsualPlace(reordered, probe)).toBe(false);
    expect(decode(reordered).aws.eniId).toBe(0x1111111122222222n); // which decodeInto still finds
    const critical = packet(0x3333333344444444n);
    critical[10] |= 0x80; // same option with the critical bit: not the usual layout
    expect(isOtherEniAtUsualPlace(critical, probe)).toBe(false);
    expect(isOtherEniAtUsualPlace(packet(0x3333333344444444n).subarray(0, 19), probe)).toBe(false);
  });

  test('the same answers for a datagram at an offset of a larger buffer (native batch I/O slots)', () => {
    const at = (p: Buffer, length = p.length): [Buffer, number, number] => {
      const big = Buffer.alloc(200 + p.length, 0xee);
      p.copy(big, 100);
      return [big, 100, length];
    };
    expect(isOtherEniAtUsualPlace(...withProbe(at(packet(0x1111111122222223n))))).toBe(true);
    expect(isOtherEniAtUsualPlace(...withProbe(at(packet(0x1111111122222222n))))).toBe(false);
    expect(isOtherEniAtUsualPlace(...withProbe(at(packet(0x3333333344444444n), 19)))).toBe(false); // short, though the buffer goes on
  });
  const withProbe = ([buf, offset, length]: [Buffer, number, number]): Parameters<typeof isOtherEniAtUsualPlace> =>
    [buf, probe, offset, length];
});

/** A local address outside 127/8 (e.g. eth0), if the machine has one. */
const outside = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

describe.each<[string, ReplyMode]>([
  ['127.0.0.1', 'bound-port'],
  ['0.0.0.0', 'bound-port'],
  ['127.0.0.1', 'dgram'],
  ['0.0.0.0', 'dgram'],
  // A specific non-loopback listen address (the instance's own IP), when the machine has one.
  ...(outside ? [[outside, 'bound-port'], [outside, 'dgram']] as Array<[string, ReplyMode]> : []),
])('self-probe through the data plane, --listen %s, --reply-mode %s', (listen, replyMode) => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig(listen, replyMode);
  });
  afterEach(() => rig.close());

  test('gets every probe back under a default-drop policy, counted apart from customer traffic, in one flow', async () => {
    for (let i = 0; i < 3; i++) expect(await rig.probe.runOnce()).toEqual({ result: 'ok', detail: '' });
    expect(rig.probe.results).toEqual({ ok: 3, timeout: 0, mismatch: 0 });
    expect(rig.probe.failure()).toBeNull();
    expect(rig.probe.lastSuccessAgeSeconds()).toBeLessThan(Infinity);
    const customer = rig.metrics;
    expect([customer.packetsIn, customer.packetsOut, customer.sendErrors, customer.portsNotKept]).toEqual([0, 0, 0, 0]);
    expect(rig.dataplane.probeMetrics).toMatchObject({ packetsIn: 3, packetsOut: 3, sendErrors: 0 });
    expect(rig.dataplane.probeMetrics.portsNotKept).toBe(replyMode === 'dgram' ? 3 : 0);
    // The policy said drop, the exemption forwarded: the verdicts to subtract from the customer view.
    expect(rig.inspector.dropCounts[DropReason.POLICY]).toBe(3);
    expect(rig.dataplane.probeVerdicts[DropReason.POLICY]).toBe(3);
    expect(rig.inspector.activeFlows()).toBe(1);
    expect(rig.dataplane.replySockets).toBe(replyMode === 'bound-port' ? 1 : 0);
  });
});

describe('self-probe failure detection', () => {
  test('flags a reply whose bytes differ, and ignores a late reply of an earlier probe', async () => {
    const rig = await startRig('127.0.0.1', 'bound-port');
    try {
      const { probe } = rig;
      const expected = { address: '127.0.0.1', port: probe.sourcePort };
      const running = probe.runOnce(); // probe 1; the forged reply below wins the race to the real one
      const corrupted = buildProbePacket(probe.eniId, 1);
      corrupted[75] ^= 0xff;
      probe.onReply(corrupted, expected.address, expected.port);
      expect(await running).toEqual({ result: 'mismatch', detail: 'reply differs from the probe: byte 75 is 0x9a instead of 0x65' });

      const second = probe.runOnce(); // probe 2
      probe.onReply(buildProbePacket(probe.eniId, 1), expected.address, expected.port); // late probe 1: ignored
      expect(await second).toEqual({ result: 'ok', detail: '' });
      expect(probe.results).toEqual({ ok: 1, timeout: 0, mismatch: 1 });
    } finally {
      await rig.close();
    }
  });

  test('a reply from the listening port (GWLB source port taken) fails health after 2 probes; frees and recovers', async () => {
    const rig = await startRig('127.0.0.1', 'bound-port');
    const blocker = await bindUdp('127.0.0.1', rig.probe.sourcePort); // takes the reply socket's port
    try {
      const listenPort = (rig.dataplane.address() as { port: number }).port;
      const first = await rig.probe.runOnce();
      expect(first.result).toBe('mismatch');
      expect(first.detail).toBe(`reply came from 127.0.0.1:${listenPort} to port ${listenPort}, ` +
        `expected 127.0.0.1:${rig.probe.sourcePort} to port ${listenPort} (GWLB source port not kept)`);
      expect(rig.probe.failure()).toBeNull(); // one failure is not enough
      expect((await rig.probe.runOnce()).result).toBe('mismatch');
      expect(rig.probe.failure())
        .toBe(`data path self-probe failed: the last 2 probes got no correct reply within 500 ms (last: mismatch: ${first.detail})`);
      expect(rig.metrics.portsNotKept).toBe(0); // the probe's fallback is not a customer's
      expect(rig.dataplane.probeMetrics.portsNotKept).toBe(2);

      await closeUdp(blocker);
      rig.dataplane.sweep(Date.now() + FAILED_RETRY_MS); // the replier retries the bind
      expect(await rig.probe.runOnce()).toEqual({ result: 'ok', detail: '' });
      expect(rig.probe.failure()).toBeNull();
      expect(rig.probe.consecutiveFailures).toBe(0);
    } finally {
      await closeUdp(blocker);
      await rig.close();
    }
  });

  test('times out when no agent answers, naming the timeout', async () => {
    const holder = await bindUdp('127.0.0.1', 0); // a port with a socket that never answers
    const probe = new SelfProbe({
      listenAddress: '127.0.0.1', listenPort: holder.address().port, replyMode: 'bound-port', intervalMs: 1000, timeoutMs: 100,
    });
    await probe.open();
    try {
      expect(await probe.runOnce()).toEqual({ result: 'timeout', detail: 'no reply within 100 ms' });
      await probe.runOnce();
      expect(probe.failure()).toBe('data path self-probe failed: the last 2 probes got no correct reply within 100 ms ' +
        '(last: timeout: no reply within 100 ms)');
      expect(probe.lastSuccessAgeSeconds()).toBe(Infinity);
    } finally {
      await probe.close();
      await closeUdp(holder);
    }
  });

  test('a payload rule that blocks the probe flow is waived too (policy and flow_blocked), still one flow', async () => {
    const rig = await startRig('127.0.0.1', 'bound-port', {
      defaultAction: 'allow', rules: [{ name: 'no-probes', action: 'drop', payloadContains: 'self-probe' }],
    });
    try {
      for (let i = 0; i < 3; i++) expect((await rig.probe.runOnce()).result).toBe('ok');
      expect(rig.dataplane.probeVerdicts[DropReason.POLICY]).toBe(1);
      expect(rig.dataplane.probeVerdicts[DropReason.FLOW_BLOCKED]).toBe(2);
      expect(rig.inspector.activeFlows()).toBe(1);
    } finally {
      await rig.close();
    }
  });

  test('rejects options that cannot work, naming the field and value', () => {
    const base = { listenAddress: '127.0.0.1', listenPort: 6081, replyMode: 'bound-port' as const };
    expect(() => new SelfProbe({ ...base, intervalMs: 1000, timeoutMs: 1000 }))
      .toThrow('timeoutMs: 1000 must be less than intervalMs (1000)');
    expect(() => new SelfProbe({ ...base, failureThreshold: 0 })).toThrow('failureThreshold: 0 is not a positive integer');
    expect(() => new SelfProbe({ ...base, intervalMs: 1.5 })).toThrow('intervalMs: 1.5 is not a positive integer');
  });
});

(outside ? describe : describe.skip)(`the exemption does not reach a non-loopback source (${outside})`, () => {
  test('a packet carrying the probe nonce from outside 127/8 is policed like customer traffic', async () => {
    const rig = await startRig('0.0.0.0', 'dgram');
    const rogue = new Inbox(await bindUdp(outside as string, 0));
    try {
      const port = (rig.dataplane.address() as { port: number }).port;
      rogue.socket.send(buildProbePacket(rig.probe.eniId, 1), port, outside as string);
      await eventually(() => rig.metrics.packetsIn === 1);
      expect(rig.inspector.dropCounts[DropReason.POLICY]).toBe(1);
      expect(rig.dataplane.probeVerdicts[DropReason.POLICY]).toBe(0); // a customer drop
      expect(rig.dataplane.probeMetrics.packetsIn).toBe(0);
      expect(await rogue.silentFor(200)).toBe(true);
    } finally {
      await closeUdp(rogue.socket);
      await rig.close();
    }
  });
});
