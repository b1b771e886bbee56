import { FlowTable } from '../../../lib/agent/flow-table';

const TCP = 6;
const UDP = 17;

function addr4(n: number): Uint32Array {
  const a = new Uint32Array(4);
  a[0] = n;
  return a;
}
function addr6(...words: number[]): Uint32Array {
  return Uint32Array.from(words);
}

const A = addr4(0x0a000001);
const B = addr4(0x0a000002);

function table(maxFlows = 100, tcpIdleMs = 350_000, otherIdleMs = 120_000): FlowTable {
  return new FlowTable({ maxFlows, tcpIdleMs, otherIdleMs, seed: 12345 });
}

describe('FlowTable', () => {
  test('creates a flow once, then finds it and counts packets and bytes', () => {
    const t = table();
    const s1 = t.observe(7, 4, TCP, A, B, 1000, 80, 60, 0);
    expect(t.created).toBe(true);
    const s2 = t.observe(7, 4, TCP, A, B, 1000, 80, 1500, 10);
    expect(t.created).toBe(false);
    expect(s2).toBe(s1);
    expect([t.size, t.packetCount(s1), t.byteCount(s1), t.lastSeenAt(s1)]).toEqual([1, 2, 1560, 10]);
  });

  test('both directions share a flow; cookie, protocol, version, ports and addresses all separate flows', () => {
    const t = table();
    const s = t.observe(7, 4, TCP, A, B, 1000, 80, 1, 0);
    expect(t.observe(7, 4, TCP, B, A, 80, 1000, 1, 0)).toBe(s); // reply direction
    const distinct = [
      t.observe(8, 4, TCP, A, B, 1000, 80, 1, 0), // new cookie = new flow
      t.observe(7, 4, UDP, A, B, 1000, 80, 1, 0),
      t.observe(7, 6, TCP, A, B, 1000, 80, 1, 0),
      t.observe(7, 4, TCP, A, B, 1001, 80, 1, 0),
      t.observe(7, 4, TCP, A, addr4(0x0a000003), 1000, 80, 1, 0),
      t.observe(7, 4, TCP, A, A, 1000, 80, 1, 0),
    ];
    expect(new Set([s, ...distinct]).size).toBe(7);
    expect(t.size).toBe(7);
    // Same addresses: the ports decide the canonical order.
    expect(t.observe(7, 4, TCP, A, A, 80, 1000, 1, 0)).toBe(distinct[5]);
  });

  test('IPv6 keys use all four words', () => {
    const t = table();
    const x = addr6(0x20010db8, 0, 0, 1);
    const y = addr6(0x20010db8, 0, 0, 2);
    const z = addr6(0x20010db8, 0, 1, 1);
    const s = t.observe(1, 6, UDP, x, y, 5, 6, 1, 0);
    expect(t.observe(1, 6, UDP, z, y, 5, 6, 1, 0)).not.toBe(s);
    expect(t.find(1, 6, UDP, y, x, 6, 5, 0)).toBe(s);
  });

  test('TCP idles out after 350 s, others after 120 s; an idle flow restarts with fresh counters and no block', () => {
    const t = table();
    const tcp = t.observe(1, 4, TCP, A, B, 1, 2, 100, 0);
    const udp = t.observe(1, 4, UDP, A, B, 1, 2, 100, 0);
    t.block(udp);
    expect(t.find(1, 4, UDP, A, B, 1, 2, 119_999)).toBe(udp);
    expect(t.find(1, 4, UDP, A, B, 1, 2, 120_000)).toBe(0);
    expect(t.find(1, 4, TCP, A, B, 1, 2, 349_999)).toBe(tcp);
    expect(t.find(1, 4, TCP, A, B, 1, 2, 350_000)).toBe(0);
    const again = t.observe(1, 4, UDP, A, B, 1, 2, 40, 120_000);
    expect([again, t.created, t.isBlocked(again), t.packetCount(again), t.byteCount(again), t.expirations]).toEqual([udp, true, false, 1, 40, 1]);
  });

  test('traffic keeps a flow alive', () => {
    const t = table(100, 350_000, 1000);
    const s = t.observe(1, 4, UDP, A, B, 1, 2, 1, 0);
    for (let now = 900; now <= 9000; now += 900) t.observe(1, 4, UDP, A, B, 1, 2, 1, now);
    expect(t.find(1, 4, UDP, A, B, 1, 2, 9500)).toBe(s);
    expect(t.sweep(9500)).toBe(0);
    expect(t.sweep(10_000)).toBe(1);
  });

  test('sweep removes exactly the idle flows of each kind and frees their slots for reuse', () => {
    const t = table(10, 300, 100);
    for (let i = 0; i < 4; i++) t.observe(1, 4, UDP, addr4(i), B, 1, 2, 1, i * 10); // seen at 0, 10, 20, 30
    for (let i = 0; i < 3; i++) t.observe(1, 4, TCP, addr4(i), B, 1, 2, 1, i * 10);
    expect(t.sweep(115)).toBe(2); // UDP seen at 0 and 10
    expect(t.size).toBe(5);
    expect(t.find(1, 4, UDP, addr4(1), B, 1, 2, 115)).toBe(0);
    expect(t.find(1, 4, UDP, addr4(2), B, 1, 2, 115)).not.toBe(0);
    expect(t.sweep(310)).toBe(4); // UDP 20, 30 and TCP 0, 10
    expect(t.size).toBe(1);
    for (let i = 0; i < 9; i++) t.observe(2, 4, UDP, addr4(i), B, 1, 2, 1, 320);
    expect([t.size, t.evictions]).toEqual([10, 0]);
  });

  test('sweep with a limit removes at most that many idle flows, oldest first, and the rest on later calls', () => {
    const t = table(100, 300, 100);
    for (let i = 0; i < 10; i++) t.observe(1, 4, UDP, addr4(i), B, 1, 2, 1, i); // seen at 0..9
    t.observe(1, 4, UDP, addr4(99), B, 1, 2, 1, 50); // still live at 120
    expect(t.sweep(120, 4)).toBe(4);
    expect(t.find(1, 4, UDP, addr4(3), B, 1, 2, 0)).toBe(0); // the four oldest are gone
    expect(t.find(1, 4, UDP, addr4(4), B, 1, 2, 0)).not.toBe(0);
    expect(t.sweep(120, 4)).toBe(4);
    expect(t.sweep(120, 4)).toBe(2); // fewer than the limit: nothing idle is left
    expect(t.sweep(120, 4)).toBe(0);
    expect([t.size, t.expirations]).toEqual([1, 10]);
    expect(t.find(1, 4, UDP, addr4(99), B, 1, 2, 120)).not.toBe(0);
  });

  test('when full, evicts the least recently used flow across the TCP and other lists', () => {
    const t = table(3);
    const f1 = t.observe(1, 4, TCP, addr4(1), B, 1, 2, 1, 0);
    t.observe(1, 4, UDP, addr4(2), B, 1, 2, 1, 1);
    t.observe(1, 4, TCP, addr4(3), B, 1, 2, 1, 2);
    t.observe(1, 4, TCP, addr4(1), B, 1, 2, 1, 3); // touch f1: flow 2 (UDP) is now the LRU
    t.observe(1, 4, TCP, addr4(4), B, 1, 2, 1, 4);
    expect(t.evictions).toBe(1);
    expect(t.find(1, 4, UDP, addr4(2), B, 1, 2, 5)).toBe(0);
    expect(t.find(1, 4, TCP, addr4(1), B, 1, 2, 5)).toBe(f1);
    t.observe(1, 4, UDP, addr4(5), B, 1, 2, 1, 5); // evicts flow 3 (TCP, seen at 2)
    expect(t.find(1, 4, TCP, addr4(3), B, 1, 2, 6)).toBe(0);
    expect([t.size, t.evictions]).toEqual([3, 2]);
    for (const [proto, n] of [[TCP, 1], [TCP, 4], [UDP, 5]]) expect(t.find(1, 4, proto, addr4(n), B, 1, 2, 6)).not.toBe(0);
  });

  test('stays consistent under heavy churn in a small table with colliding buckets', () => {
    const t = table(64);
    const live = new Map<number, number>();
    let now = 0;
    for (let i = 0; i < 20_000; i++) {
      const k = (i * 7919) % 500;
      now++;
      const slot = t.observe(k, 4, k % 2 ? TCP : UDP, addr4(k), B, k, 2, 1, now);
      // Model: a Map in order of last use; beyond 64 entries the least recently used one goes.
      live.delete(k);
      live.set(k, slot);
      if (live.size > 64) live.delete(live.keys().next().value as number);
    }
    expect(t.size).toBe(64);
    for (const [k, slot] of live) expect(t.find(k, 4, k % 2 ? TCP : UDP, addr4(k), B, k, 2, now)).toBe(slot);
    expect(t.find(9999, 4, TCP, addr4(9999), B, 9999, 2, now)).toBe(0);
  });

  test('fails on invalid options, naming them', () => {
    expect(() => new FlowTable({ maxFlows: 0, tcpIdleMs: 1, otherIdleMs: 1 })).toThrow('maxFlows: 0 is not an integer >= 1');
    expect(() => new FlowTable({ maxFlows: 1, tcpIdleMs: -1, otherIdleMs: 1 })).toThrow('tcpIdleMs: -1 is not a positive number');
  });
});
