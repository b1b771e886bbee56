/**
 * The pure pieces of gwlb-sim: inner packet keys, flow hashing, target choice, the sent-packet
 * ledger and the flow table. No root, no namespaces.
 */
import { decode } from '../../lib/agent/geneve';
import { SimConfig, Stickiness } from '../../lib/sim/config';
import { flowKey, hashString, rendezvous, sourcePortFor, stickinessKey } from '../../lib/sim/flow-hash';
import { FlowTable } from '../../lib/sim/flow-table';
import { formatAddress, InnerTuple, isLinkScoped, parseInner } from '../../lib/sim/inner';
import { SentLedger } from '../../lib/sim/ledger';
import { SimLog } from '../../lib/sim/log';
import { Target, TargetGroup, TargetHealth } from '../../lib/sim/targets';

function ipv4(proto: number, src: string, dst: string, l4: Buffer, fragOffset = 0): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + l4.length, 2);
  h.writeUInt16BE(fragOffset, 6);
  h[8] = 64;
  h[9] = proto;
  src.split('.').forEach((o, i) => (h[12 + i] = Number(o)));
  dst.split('.').forEach((o, i) => (h[16 + i] = Number(o)));
  return Buffer.concat([h, l4]);
}

function ports(sp: number, dp: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(sp, 0);
  b.writeUInt16BE(dp, 2);
  return b;
}

/** IPv6 header (next header `next`) + raw rest. */
function ipv6(next: number, rest: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(rest.length, 4);
  h[6] = next;
  h[7] = 64;
  Buffer.from('20010002000000010000000000000002', 'hex').copy(h, 8);
  Buffer.from('20010002000000020000000000000002', 'hex').copy(h, 24);
  return Buffer.concat([h, rest]);
}

describe('parseInner', () => {
  test('reads protocol, addresses and ports of IPv4 TCP', () => {
    const p = ipv4(6, '10.77.1.2', '10.77.2.2', ports(40000, 8000));
    expect(parseInner(p, p.length)).toEqual({ version: 4, protocol: 6, src: '0a4d0102', dst: '0a4d0202', srcPort: 40000, dstPort: 8000 });
  });

  test('has no ports for a non-first IPv4 fragment or ICMP', () => {
    const frag = ipv4(17, '10.0.0.1', '10.0.0.2', ports(1, 2), 0x0010);
    expect(parseInner(frag, frag.length)).toMatchObject({ protocol: 17, srcPort: 0, dstPort: 0 });
    const icmp = ipv4(1, '10.0.0.1', '10.0.0.2', Buffer.alloc(8));
    expect(parseInner(icmp, icmp.length)).toMatchObject({ protocol: 1, srcPort: 0, dstPort: 0 });
  });

  test('walks IPv6 extension headers to the ports, and stops at a non-first fragment', () => {
    const hopByHop = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 0]), ports(5555, 443)]);
    expect(parseInner(ipv6(0, hopByHop), 40 + hopByHop.length)).toMatchObject({ version: 6, protocol: 6, srcPort: 5555, dstPort: 443 });
    const laterFragment = Buffer.concat([Buffer.from([17, 0, 0x00, 0x08, 0, 0, 0, 1]), ports(1, 2)]);
    expect(parseInner(ipv6(44, laterFragment), 40 + laterFragment.length)).toMatchObject({ protocol: 17, srcPort: 0 });
  });

  test('describes what is wrong with a packet it cannot use', () => {
    expect(parseInner(Buffer.from([0x45, 0]), 2)).toBe('IPv4 packet of 2 bytes is shorter than a header');
    expect(parseInner(Buffer.from([0x70]), 1)).toBe('IP version 7 is not 4 or 6');
    expect(parseInner(Buffer.alloc(30, 0x60), 30)).toBe('IPv6 packet of 30 bytes is shorter than a header');
  });

  test('formats addresses and recognises link-scoped packets', () => {
    expect(formatAddress('0a4d0102')).toBe('10.77.1.2');
    expect(formatAddress('20010002000000010000000000000002')).toBe('2001:2:0:1::2');
    const t = (src: string, dst: string, version: 4 | 6 = 4): InnerTuple => ({ version, protocol: 17, src, dst, srcPort: 0, dstPort: 0 });
    expect(isLinkScoped(t('0a000001', 'e0000001'))).toBe(true); // 224.0.0.1
    expect(isLinkScoped(t('0a000001', 'ffffffff'))).toBe(true);
    expect(isLinkScoped(t('0a000001', '0a000002'))).toBe(false);
    expect(isLinkScoped(t('fe80' + '0'.repeat(28), 'ff02' + '0'.repeat(26) + '16', 6))).toBe(true);
    expect(isLinkScoped(t('2001' + '0'.repeat(28), '2001' + '0'.repeat(27) + '1', 6))).toBe(false);
  });
});

describe('flow hashing', () => {
  const a: InnerTuple = { version: 4, protocol: 6, src: '0a4d0102', dst: '0a4d0202', srcPort: 40000, dstPort: 8000 };
  const reply: InnerTuple = { ...a, src: a.dst, dst: a.src, srcPort: a.dstPort, dstPort: a.srcPort };

  test('both directions of a connection have the same flow and stickiness keys', () => {
    expect(flowKey(reply)).toBe(flowKey(a));
    for (const mode of [Stickiness.FIVE_TUPLE, Stickiness.THREE_TUPLE, Stickiness.TWO_TUPLE]) {
      expect(stickinessKey(reply, mode)).toBe(stickinessKey(a, mode));
    }
  });

  test('3-tuple and 2-tuple keys ignore ports, 2-tuple also the protocol', () => {
    const other = { ...a, srcPort: 40001, protocol: 17 };
    expect(stickinessKey(other, Stickiness.FIVE_TUPLE)).not.toBe(stickinessKey(a, Stickiness.FIVE_TUPLE));
    expect(stickinessKey({ ...a, srcPort: 40001 }, Stickiness.THREE_TUPLE)).toBe(stickinessKey(a, Stickiness.THREE_TUPLE));
    expect(stickinessKey(other, Stickiness.THREE_TUPLE)).not.toBe(stickinessKey(a, Stickiness.THREE_TUPLE));
    expect(stickinessKey(other, Stickiness.TWO_TUPLE)).toBe(stickinessKey(a, Stickiness.TWO_TUPLE));
  });

  test('source ports stay in the range and differ between flows', () => {
    const seen = new Set<number>();
    for (let p = 1; p <= 200; p++) {
      const port = sourcePortFor(flowKey({ ...a, srcPort: p }), 40000, 40999);
      expect(port).toBeGreaterThanOrEqual(40000);
      expect(port).toBeLessThanOrEqual(40999);
      seen.add(port);
    }
    expect(seen.size).toBeGreaterThan(150);
  });

  test('rendezvous choice only moves the flows of a target that leaves', () => {
    const seeds = [0, 1, 2].map((i) => hashString(`10.0.0.${i}:6081`));
    let moved = 0;
    for (let i = 0; i < 300; i++) {
      const h = hashString(`flow-${i}`);
      const all = rendezvous(h, [0, 1, 2], seeds);
      const without2 = rendezvous(h, [0, 1], seeds);
      if (all !== 2) expect(without2).toBe(all);
      else moved++;
    }
    expect(moved).toBeGreaterThan(50); // target 2 did get about a third of the flows
  });
});

describe('SentLedger', () => {
  test('accepts each sent packet back once and rejects changed bytes or another cookie', () => {
    const ledger = new SentLedger(8);
    const pkt = Buffer.from('45000014000000004006000000000000000000000000', 'hex');
    ledger.add(SentLedger.digest(7, pkt, 0, pkt.length));
    const changed = Buffer.from(pkt);
    changed[changed.length - 1] ^= 1;
    expect(ledger.take(SentLedger.digest(7, changed, 0, changed.length))).toBe(false);
    expect(ledger.take(SentLedger.digest(8, pkt, 0, pkt.length))).toBe(false);
    expect(ledger.take(SentLedger.digest(7, pkt, 0, pkt.length))).toBe(true);
    expect(ledger.take(SentLedger.digest(7, pkt, 0, pkt.length))).toBe(false);
  });

  test('forgets the oldest packets beyond its capacity', () => {
    const ledger = new SentLedger(4);
    const digests = [1, 2, 3, 4, 5, 6].map((i) => SentLedger.digest(i, Buffer.from([i]), 0, 1));
    digests.forEach((d) => ledger.add(d));
    expect(ledger.outstanding).toBe(4);
    expect(ledger.take(digests[0])).toBe(false);
    expect(ledger.take(digests[5])).toBe(true);
  });
});

describe('FlowTable and TargetGroup', () => {
  const config = {
    targets: [{ address: '10.0.0.11', port: 6081 }, { address: '10.0.0.12', port: 6081 }],
    healthIntervalMs: 1000, healthTimeoutMs: 500, healthyThreshold: 2, unhealthyThreshold: 2, healthPort: 8080, healthPath: '/healthz',
  } as unknown as SimConfig;
  const log = new SimLog('error', () => undefined);
  const tuple: InnerTuple = { version: 4, protocol: 17, src: '0a000001', dst: '0a000002', srcPort: 1000, dstPort: 53 };

  test('a flow carries a 40-byte GWLB header with its own cookie; idle flows expire by protocol', () => {
    const target = new Target(0, config.targets[0], 1);
    const table = new FlowTable({ eniId: 0x2b8ee1d4db0c51c4n, attachmentId: 0x0123456789abcdefn }, 350_000, 120_000);
    const udp = table.create(flowKey(tuple), tuple, target, 40001, 5, 0);
    const tcpTuple = { ...tuple, protocol: 6 };
    const tcp = table.create(flowKey(tcpTuple), tcpTuple, target, 40002, 5, 0);
    expect(udp.header.length).toBe(40);
    expect(decode(udp.header).aws).toEqual({ eniId: 0x2b8ee1d4db0c51c4n, attachmentId: 0x0123456789abcdefn, flowCookie: udp.cookie });
    expect(udp.cookie).not.toBe(tcp.cookie);
    expect(table.byCookie.get(tcp.cookie)).toBe(tcp);
    expect(target.flows).toBe(2);
    expect(table.sweep(120_001)).toBe(1);
    expect(table.get(flowKey(tuple))).toBeUndefined();
    expect(table.get(flowKey(tcpTuple))).toBe(tcp);
    expect(table.sweep(350_001)).toBe(1);
    expect(target.flows).toBe(0);
  });

  test('new flows go to healthy targets only, and to all when none is healthy (fail open)', () => {
    const group = new TargetGroup(config, log);
    const [t1, t2] = group.targets;
    t1.health = TargetHealth.HEALTHY;
    t2.health = TargetHealth.UNHEALTHY;
    for (let i = 0; i < 50; i++) expect(group.choose(hashString(`f${i}`))).toBe(t1);
    t1.health = TargetHealth.UNHEALTHY;
    const chosen = new Set(Array.from({ length: 50 }, (_, i) => group.choose(hashString(`f${i}`))));
    expect(chosen).toEqual(new Set([t1, t2]));
    expect(group.failOpenChoices).toBe(50);
  });
});
