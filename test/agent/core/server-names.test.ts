import { DropReason } from '../../../lib/agent/drop-reasons';
import { Inspector, PolicyDropEvent } from '../../../lib/agent/inspector';
import { NameOutcome } from '../../../lib/agent/server-names';
import { parsePolicy, PolicyDocument, PolicyError } from '../../../lib/agent/policy';
import { SharedBlockTable } from '../../../lib/agent/shared-blocks';
import { geneve, ipv4, ipv6, udp } from './builders';
import { clientHello, cryptoFrame, padding, quicInitial, records } from './tls-builders';

const CLIENT = '10.0.1.5';
const SERVER = '203.0.113.9';
const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;

interface Seg { sport?: number; dport?: number; seq: number; ack?: number; flags?: number; payload?: Buffer | string; reply?: boolean; cookie?: number; v6?: boolean }
/** A TCP segment with real sequence numbers, in GENEVE. `reply` swaps addresses (server -> client). */
function seg(o: Seg): Buffer {
  const payload = Buffer.from(o.payload ?? '');
  const h = Buffer.alloc(20);
  h.writeUInt16BE(o.sport ?? (o.reply ? 443 : 40001), 0);
  h.writeUInt16BE(o.dport ?? (o.reply ? 40001 : 443), 2);
  h.writeUInt32BE(o.seq >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = o.flags ?? PSH_ACK;
  h.writeUInt16BE(65535, 14);
  const l4 = Buffer.concat([h, payload]);
  const [src, dst] = o.reply ? [SERVER, CLIENT] : [CLIENT, SERVER];
  const inner = o.v6
    ? ipv6(l4, { src: o.reply ? '2001:db8:2::20' : '2001:db8:1::10', dst: o.reply ? '2001:db8:1::10' : '2001:db8:2::20' })
    : ipv4(l4, { src, dst });
  return geneve(inner, { cookie: o.cookie });
}

const ALLOWLIST: PolicyDocument = {
  defaultAction: 'drop',
  rules: [
    { name: 'dns', action: 'allow', protocol: 'udp', destinationPorts: [53] },
    { name: 'egress-allowlist', action: 'allow', serverNames: ['github.com', '*.amazonaws.com', '.pypi.org'] },
  ],
};

function setup(doc: PolicyDocument = ALLOWLIST) {
  const clock = { ms: 1000 };
  const inspector = new Inspector(parsePolicy(doc), { now: () => clock.ms });
  const events: PolicyDropEvent[] = [];
  inspector.onPolicyDrop = (e) => events.push(e);
  const send = (pkt: Buffer): number => inspector.inspect(pkt, 0, pkt.length);
  return { inspector, events, send, clock };
}

const ISN = 0xfffffff0; // wraps during the handshake
/** SYN, SYN-ACK, ACK of a connection; returns the client's next sequence number. */
function handshake(send: (p: Buffer) => number, o: { sport?: number; cookie?: number; v6?: boolean } = {}): number {
  expect(send(seg({ ...o, seq: ISN, flags: SYN }))).toBe(DropReason.NONE);
  expect(send(seg({ ...o, sport: 443, dport: o.sport ?? 40001, seq: 5000, ack: ISN + 1, flags: SYN | ACK, reply: true }))).toBe(DropReason.NONE);
  expect(send(seg({ ...o, seq: ISN + 1, ack: 5001, flags: ACK }))).toBe(DropReason.NONE);
  return (ISN + 1) >>> 0;
}

describe('server-name verdicts through the inspector', () => {
  test('an allowed SNI: every packet passes, both directions, also after the verdict', () => {
    const { send, inspector } = setup();
    const seq = handshake(send);
    expect(send(seg({ seq, payload: records(clientHello({ sni: ['api.s3.amazonaws.com'] })) }))).toBe(DropReason.NONE);
    expect(send(seg({ seq: 5001, reply: true, payload: 'server hello...' }))).toBe(DropReason.NONE);
    expect(inspector.names.outcomes[NameOutcome.RULE]).toBe(1);
    expect(inspector.names.pendingFlows).toBe(0);
  });

  test('a denied SNI: the packets before the verdict pass, the ClientHello and everything after it (server replies too) are dropped', () => {
    const { send, events, inspector } = setup();
    const seq = handshake(send);
    expect(send(seg({ seq, payload: records(clientHello({ sni: ['evil.example'] })) }))).toBe(DropReason.POLICY);
    expect(send(seg({ seq: 5001, reply: true, payload: 'server hello' }))).toBe(DropReason.FLOW_BLOCKED);
    expect(send(seg({ seq: seq + 10, payload: 'more' }))).toBe(DropReason.FLOW_BLOCKED);
    expect(events).toEqual([expect.objectContaining({ rule: 'defaultAction', serverName: 'evil.example', flowBlocked: true, dstPort: 443 })]);
    expect(inspector.nameDrops.samples()).toEqual([{ rule: 'defaultAction', name: 'evil.example', count: 1 }]);
  });

  test('a ClientHello split over two segments: the first passes, the verdict comes with the second', () => {
    const { send, inspector } = setup();
    const seq = handshake(send);
    const stream = records(clientHello({ sni: ['evil.example'], extensions: [padding(1800)] }));
    expect(send(seg({ seq, payload: stream.subarray(0, 1400) }))).toBe(DropReason.NONE);
    expect(inspector.names.pendingFlows).toBe(1);
    expect(send(seg({ seq: seq + 1400, payload: stream.subarray(1400) }))).toBe(DropReason.POLICY);
  });

  test('out of order: the second half first, then the first half completes the name', () => {
    const { send, events } = setup();
    const seq = handshake(send);
    const good = records(clientHello({ sni: ['github.com'], extensions: [padding(1000)] }));
    const evil = Buffer.from(good.toString('latin1').replace('github.com', 'gitlab.com'), 'latin1');
    expect(send(seg({ seq: seq + 600, payload: good.subarray(600) }))).toBe(DropReason.NONE); // second half first
    expect(send(seg({ seq, payload: good.subarray(0, 600) }))).toBe(DropReason.NONE); // completes: allowed
    // After the verdict a retransmission claiming another name changes nothing.
    expect(send(seg({ seq, payload: evil }))).toBe(DropReason.NONE);
    expect(events).toEqual([]);
  });

  test('a retransmission with other bytes before the verdict is the malformed verdict (evasion by overlap)', () => {
    const { send, events } = setup();
    const seq = handshake(send);
    const evil = records(clientHello({ sni: ['gitlab.com'], extensions: [padding(1000)] }));
    const good = Buffer.from(evil.toString('latin1').replace('gitlab.com', 'github.com'), 'latin1');
    expect(send(seg({ seq, payload: evil.subarray(0, 300) }))).toBe(DropReason.NONE); // holds the name
    expect(send(seg({ seq: seq + 50, payload: good.subarray(50, 400) }))).toBe(DropReason.POLICY); // same offsets, another name
    expect(events[0]).toMatchObject({ rule: 'serverNameInspection.malformedAction', flowBlocked: true });
  });

  test('a retransmitted first segment before the rest, across the sequence-number wrap', () => {
    const { send } = setup();
    const seq = handshake(send);
    const stream = records(clientHello({ sni: ['evil.example'] }));
    expect(send(seg({ seq, payload: stream.subarray(0, 30) }))).toBe(DropReason.NONE);
    expect(send(seg({ seq, payload: stream.subarray(0, 30) }))).toBe(DropReason.NONE); // retransmission
    expect(send(seg({ seq: (seq + 30) >>> 0, payload: stream.subarray(30) }))).toBe(DropReason.POLICY);
  });

  test('HTTP/1.1 by Host on port 80, over IPv6', () => {
    const { send } = setup();
    const ok = { sport: 40100, v6: true };
    let seq = handshake((p) => send(p), ok);
    expect(send(seg({ ...ok, dport: 80, seq, payload: 'GET / HTTP/1.1\r\nHost: files.pypi.org\r\n\r\n' }))).toBe(DropReason.NONE);
    const bad = { sport: 40101, v6: true };
    expect(send(seg({ ...bad, dport: 80, seq: 1, flags: SYN }))).toBe(DropReason.NONE);
    seq = 2;
    expect(send(seg({ ...bad, dport: 80, seq, payload: 'GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n' }))).toBe(DropReason.POLICY);
  });

  test('the same 5-tuple with another cookie is another flow with its own verdict', () => {
    const { send } = setup();
    const seq = handshake(send, { cookie: 1 });
    expect(send(seg({ cookie: 1, seq, payload: records(clientHello({ sni: ['evil.example'] })) }))).toBe(DropReason.POLICY);
    const seq2 = handshake(send, { cookie: 2 });
    expect(send(seg({ cookie: 2, seq: seq2, payload: records(clientHello({ sni: ['github.com'] })) }))).toBe(DropReason.NONE);
    expect(send(seg({ cookie: 1, seq: seq + 1, payload: 'x' }))).toBe(DropReason.FLOW_BLOCKED);
  });

  test('a deny list: names to drop in an allow-by-default policy; other names and non-TLS flows pass', () => {
    const { send, events } = setup({ defaultAction: 'allow', rules: [{ name: 'no-social', action: 'drop', serverNames: ['.facebook.com'] }] });
    let seq = handshake(send, { sport: 41000 });
    expect(send(seg({ sport: 41000, seq, payload: records(clientHello({ sni: ['www.facebook.com'] })) }))).toBe(DropReason.POLICY);
    seq = handshake(send, { sport: 41001 });
    expect(send(seg({ sport: 41001, seq, payload: records(clientHello({ sni: ['example.org'] })) }))).toBe(DropReason.NONE);
    seq = handshake(send, { sport: 41002 });
    expect(send(seg({ sport: 41002, seq, payload: 'SSH-2.0-OpenSSH\r\n' }))).toBe(DropReason.NONE);
    expect(events.map((e) => [e.rule, e.serverName])).toEqual([['no-social', 'www.facebook.com']]);
  });

  test('allow by default, but TLS flows only to listed names: a final "*" drop rule and noNameAction drop', () => {
    const { send } = setup({ defaultAction: 'allow', rules: [
      { action: 'allow', serverNames: ['github.com'] }, { name: 'unlisted', action: 'drop', serverNames: ['*'] }],
    serverNameInspection: { noNameAction: 'drop' } });
    let seq = handshake(send, { sport: 45000 });
    expect(send(seg({ sport: 45000, seq, payload: records(clientHello({ sni: ['github.com'] })) }))).toBe(DropReason.NONE);
    seq = handshake(send, { sport: 45001 });
    expect(send(seg({ sport: 45001, seq, payload: records(clientHello({ sni: ['other.example'] })) }))).toBe(DropReason.POLICY);
    seq = handshake(send, { sport: 45002 });
    expect(send(seg({ sport: 45002, seq, payload: records(clientHello()) }))).toBe(DropReason.POLICY); // no SNI
    expect(send(seg({ sport: 45003, dport: 22, seq: 1, flags: SYN }))).toBe(DropReason.NONE); // not read: defaultAction
  });

  test('malformed handshake: dropped by default, allowed with malformedAction "allow"', () => {
    const bad = Buffer.from(records(clientHello({ sni: ['a.example', 'b.example'] })));
    for (const [malformedAction, verdict] of [[undefined, DropReason.POLICY], ['allow', DropReason.NONE]] as const) {
      const doc: PolicyDocument = { defaultAction: 'allow', rules: [{ action: 'drop', serverNames: ['x.example'] }],
        ...(malformedAction ? { serverNameInspection: { malformedAction } } : {}) };
      const { send, inspector, events } = setup(doc);
      const seq = handshake(send);
      expect(send(seg({ seq, payload: bad }))).toBe(verdict);
      expect(inspector.names.outcomes[NameOutcome.MALFORMED]).toBe(1);
      if (verdict === DropReason.POLICY) expect(events[0].rule).toBe('serverNameInspection.malformedAction');
    }
  });

  test('oversize ClientHello (over maxBytes) gets the malformed verdict at once', () => {
    const { send, inspector } = setup({ ...ALLOWLIST, serverNameInspection: { maxBytes: 1024 } });
    const seq = handshake(send);
    const big = records(clientHello({ sni: ['github.com'], extensions: [padding(4000)] }));
    expect(send(seg({ seq, payload: big.subarray(0, 500) }))).toBe(DropReason.POLICY);
    expect(inspector.names.lastMalformed).toContain('exceeds the 1024-byte bound');
  });

  test('no name: the rules decide by default; noNameAction overrides', () => {
    const noSni = records(clientHello());
    const a = setup(); // allowlist: no name -> defaultAction drop
    let seq = handshake(a.send);
    expect(a.send(seg({ seq, payload: noSni }))).toBe(DropReason.POLICY);
    const b = setup({ ...ALLOWLIST, serverNameInspection: { noNameAction: 'allow' } });
    seq = handshake(b.send);
    expect(b.send(seg({ seq, payload: noSni }))).toBe(DropReason.NONE);
    expect(b.send(seg({ seq: seq + noSni.length, payload: 'app data' }))).toBe(DropReason.NONE);
  });

  test('bounds: a client that sends only part of a ClientHello is decided after maxPackets or the timeout', () => {
    const { send, inspector } = setup({ ...ALLOWLIST, serverNameInspection: { maxPackets: 6, timeoutSeconds: 2 } });
    const seq = handshake(send); // 3 packets
    const stream = records(clientHello({ sni: ['github.com'] }));
    expect(send(seg({ seq, payload: stream.subarray(0, 20) }))).toBe(DropReason.NONE); // 4
    expect(send(seg({ seq: 5001, reply: true, flags: ACK }))).toBe(DropReason.NONE); // 5
    expect(send(seg({ seq: 5001, reply: true, flags: ACK }))).toBe(DropReason.POLICY); // 6: bound reached, partial -> malformed
    expect(inspector.names.outcomes[NameOutcome.MALFORMED]).toBe(1);

    const t = setup({ ...ALLOWLIST, serverNameInspection: { timeoutSeconds: 2 } });
    handshake(t.send, { sport: 42000 });
    t.clock.ms += 2500;
    expect(t.send(seg({ sport: 443, dport: 42000, seq: 5001, reply: true, flags: ACK }))).toBe(DropReason.POLICY); // nothing sent: no name
    expect(t.inspector.names.outcomes[NameOutcome.NO_NAME]).toBe(1);
  });

  test('a flow seen only from the server side (unsolicited) gets at most maxPackets through, then the no-name verdict', () => {
    const { send } = setup({ ...ALLOWLIST, serverNameInspection: { maxPackets: 4 } });
    for (let i = 0; i < 3; i++) expect(send(seg({ seq: 5000 + i, ack: 1, flags: ACK, reply: true, payload: 'x' }))).toBe(DropReason.NONE);
    expect(send(seg({ seq: 5003, ack: 1, flags: ACK, reply: true, payload: 'x' }))).toBe(DropReason.POLICY);
    expect(send(seg({ seq: 5004, ack: 1, flags: ACK, reply: true, payload: 'x' }))).toBe(DropReason.FLOW_BLOCKED);
  });

  test('pending flows are bounded: beyond maxPendingFlows a new flow gets the malformed verdict', () => {
    const { send, inspector } = setup({ ...ALLOWLIST, serverNameInspection: { maxPendingFlows: 2 } });
    for (const sport of [43000, 43001]) expect(send(seg({ sport, seq: 1, flags: SYN }))).toBe(DropReason.NONE);
    expect(send(seg({ sport: 43002, seq: 1, flags: SYN }))).toBe(DropReason.POLICY);
    expect(inspector.names.outcomes[NameOutcome.PENDING_FULL]).toBe(1);
  });

  test('a flow first seen mid-stream (no SYN) is read from its first client segment', () => {
    const { send } = setup();
    expect(send(seg({ seq: 777, payload: records(clientHello({ sni: ['github.com'] })) }))).toBe(DropReason.NONE);
    expect(send(seg({ sport: 40002, seq: 777, payload: Buffer.from([0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5]) }))).toBe(DropReason.POLICY); // app data: no name
  });

  test('name rule conditions are checked in the client direction, so replies of an allowed flow pass', () => {
    const { send } = setup({ defaultAction: 'drop', rules: [{ action: 'allow', source: '10.0.1.0/24', destinationPorts: [443], serverNames: ['github.com'] }] });
    const seq = handshake(send);
    expect(send(seg({ seq, payload: records(clientHello({ sni: ['github.com'] })) }))).toBe(DropReason.NONE);
    expect(send(seg({ seq: 5001, reply: true, payload: 'reply' }))).toBe(DropReason.NONE);
  });

  test('QUIC: the SNI of a client Initial decides the UDP flow; a denied one drops the server side too', () => {
    const { send } = setup();
    const dcid = Buffer.from('1122334455667788', 'hex');
    const quic = (sport: number, payload: Buffer, reply = false): Buffer => geneve(ipv4(
      udp(reply ? { sport: 443, dport: sport, payload } : { sport, dport: 443, payload }), reply ? { src: SERVER, dst: CLIENT, protocol: 17 } : { src: CLIENT, dst: SERVER, protocol: 17 }));
    const hello = (name: string): Buffer => quicInitial(dcid, 0, cryptoFrame(0, clientHello({ sni: [name] })));
    expect(send(quic(50000, hello('github.com')))).toBe(DropReason.NONE);
    expect(send(quic(50000, Buffer.from('server initial'), true))).toBe(DropReason.NONE);
    expect(send(quic(50001, hello('evil.example')))).toBe(DropReason.POLICY);
    expect(send(quic(50001, Buffer.from('server initial'), true))).toBe(DropReason.FLOW_BLOCKED);
    // A ClientHello over two Initials (post-quantum key shares make them this big).
    const big = clientHello({ sni: ['evil.example'], extensions: [padding(1600)] });
    expect(send(quic(50002, quicInitial(dcid, 0, cryptoFrame(0, big.subarray(0, 1100)))))).toBe(DropReason.NONE);
    expect(send(quic(50002, quicInitial(dcid, 1, cryptoFrame(1100, big.subarray(1100)))))).toBe(DropReason.POLICY);
    // 0-RTT (v1 long header type 1) and short-header packets of the allowed flow pass.
    expect(send(quic(50000, Buffer.concat([Buffer.from([0xd0, 0, 0, 0, 1]), Buffer.alloc(60)])))).toBe(DropReason.NONE);
    expect(send(quic(50000, Buffer.concat([Buffer.from([0x40]), Buffer.alloc(60)])))).toBe(DropReason.NONE);
    // A new connection's Initial on an allowed flow's 5-tuple is read afresh.
    expect(send(quic(50000, quicInitial(Buffer.from('99', 'hex'), 0, cryptoFrame(0, clientHello({ sni: ['evil.example'] })))))).toBe(DropReason.POLICY);
    // Not QUIC on UDP 443: no name, default drop.
    expect(send(quic(50003, Buffer.from('hello')))).toBe(DropReason.POLICY);
  });

  test('a new connection on the same 5-tuple and cookie (a new SYN) is read afresh, not given the old verdict', () => {
    const { send } = setup();
    const seq = handshake(send);
    expect(send(seg({ seq, payload: records(clientHello({ sni: ['github.com'] })) }))).toBe(DropReason.NONE);
    expect(send(seg({ seq: 900, flags: SYN }))).toBe(DropReason.NONE); // reconnect from the same port
    expect(send(seg({ seq: 901, payload: records(clientHello({ sni: ['evil.example'] })) }))).toBe(DropReason.POLICY);
  });

  test('a reload keeps earlier verdicts: an allowed flow stays allowed, a blocked one blocked', () => {
    const { send, inspector } = setup();
    const s1 = handshake(send, { sport: 44000 });
    expect(send(seg({ sport: 44000, seq: s1, payload: records(clientHello({ sni: ['github.com'] })) }))).toBe(DropReason.NONE);
    inspector.setPolicy(parsePolicy({ defaultAction: 'drop', rules: [{ action: 'allow', serverNames: ['gitlab.com'] }] }));
    expect(send(seg({ sport: 44000, seq: s1 + 500, payload: 'more' }))).toBe(DropReason.NONE);
    const s2 = handshake(send, { sport: 44001 });
    expect(send(seg({ sport: 44001, seq: s2, payload: records(clientHello({ sni: ['github.com'] })) }))).toBe(DropReason.POLICY);
  });

  test('a partial ClientHello left past the timeout is decided by the sweep: resuming later cannot dodge the verdict', () => {
    const { send, inspector, clock } = setup({ defaultAction: 'allow', rules: [{ action: 'drop', serverNames: ['evil.example'] }] });
    const seq = handshake(send);
    const stream = records(clientHello({ sni: ['evil.example'] }));
    expect(send(seg({ seq, payload: stream.subarray(0, 40) }))).toBe(DropReason.NONE);
    clock.ms += 60_000;
    inspector.sweep();
    expect(inspector.names.pendingFlows).toBe(0);
    expect(send(seg({ seq: seq + 40, payload: stream.subarray(40) }))).toBe(DropReason.POLICY); // malformed (incomplete): dropped
    expect(inspector.names.outcomes[NameOutcome.MALFORMED]).toBe(1);
  });

  test('a reload to a policy without name rules drops the reading state of pending flows at the next sweep', () => {
    const { send, inspector } = setup();
    handshake(send);
    expect(inspector.names.pendingFlows).toBe(1);
    inspector.setPolicy(parsePolicy({ defaultAction: 'allow' }));
    inspector.sweep();
    expect(inspector.names.pendingFlows).toBe(0);
    expect(send(seg({ seq: 1, payload: 'anything' }))).toBe(DropReason.NONE);
  });

  test('never throws on random bytes in a read flow', () => {
    const { send, inspector } = setup();
    for (let i = 0; i < 2000; i++) {
      const payload = Buffer.alloc(1 + (i % 300));
      for (let k = 0; k < payload.length; k++) payload[k] = Math.floor(Math.random() * 256);
      if (i % 3 === 0) payload[0] = 22;
      send(seg({ sport: 10000 + (i % 50), seq: Math.floor(Math.random() * 2 ** 32), payload }));
    }
    expect(inspector.dropCounts[DropReason.INTERNAL_ERROR]).toBe(0);
  });
});

describe('policy validation of server-name fields', () => {
  test.each([
    [{ rules: [{ action: 'allow', serverNames: ['a.*.com'] }] }, 'rules[0].serverNames[0]: "a.*.com" is not a valid server-name pattern'],
    [{ rules: [{ action: 'allow', serverNames: [] }] }, 'rules[0].serverNames: must not be an empty array'],
    [{ rules: [{ action: 'allow', serverNames: [7] }] }, 'rules[0].serverNames[0]: 7 is not a server-name pattern string'],
    [{ rules: [{ action: 'allow', serverNames: 'a.com', payloadContains: 'x' }] }, 'rules[0]: serverNames (a per-flow condition) cannot be combined'],
    [{ rules: [{ action: 'allow', protocol: 'icmp', serverNames: 'a.com' }] }, 'rules[0].protocol: "icmp" cannot carry server names'],
    [{ rules: [{ action: 'allow', serverNames: 'a.com' }], serverNameInspection: { maxBytes: 100 } }, 'serverNameInspection.maxBytes: 100 is not an integer 512-65536'],
    [{ rules: [{ action: 'allow', serverNames: 'a.com' }], serverNameInspection: { tlsPorts: [0] } }, 'serverNameInspection.tlsPorts[0]: 0 is not a port 1-65535'],
    [{ rules: [{ action: 'allow', serverNames: 'a.com' }], serverNameInspection: { malformedAction: 'pass' } }, 'serverNameInspection.malformedAction: "pass" is not "allow" or "drop"'],
    [{ rules: [{ action: 'allow', serverNames: 'a.com' }], serverNameInspection: { bogus: 1 } }, 'serverNameInspection.bogus: unknown field'],
    [{ serverNameInspection: { maxBytes: 1024 } }, 'serverNameInspection: no rule has serverNames and noNameAction is not set'],
  ])('fails for %j', (doc, message) => {
    expect(() => parsePolicy({ defaultAction: 'drop', ...doc })).toThrow(PolicyError);
    expect(() => parsePolicy({ defaultAction: 'drop', ...doc })).toThrow(message);
  });

  test('a policy without name rules reads no names', () => {
    expect(parsePolicy({ defaultAction: 'allow', rules: [{ action: 'drop', protocol: 'tcp', destinationPorts: [23] }] }).names).toBeNull();
    const p = parsePolicy({ defaultAction: 'allow', rules: [{ action: 'drop', serverNames: 'x.example' }] });
    expect([...p.names!.tcpPorts].sort()).toEqual([443, 80]);
    expect([...p.names!.quicPorts]).toEqual([443]);
  });
});

describe('server-name verdicts with several workers (shared blocks)', () => {
  /** Two workers' inspectors over one shared block table: A sees the client direction, B only the replies. */
  function twoWorkers(doc: PolicyDocument) {
    const clock = { ms: 1000 };
    const shared = SharedBlockTable.create({ capacity: 64, tcpIdleMs: 350_000, otherIdleMs: 120_000, seed: 7 });
    const make = () => new Inspector(parsePolicy(doc), { now: () => clock.ms, sharedBlocks: shared });
    const a = make();
    const b = make();
    return { a: (p: Buffer) => a.inspect(p, 0, p.length), b: (p: Buffer) => b.inspect(p, 0, p.length), clock, inspectorB: b };
  }
  const BOUNDED: PolicyDocument = { ...ALLOWLIST, serverNameInspection: { maxPackets: 4, timeoutSeconds: 2 } };

  test('the worker that sees only the replies of an allowed flow leaves the verdict to the client side: nothing is cut', () => {
    const w = twoWorkers(BOUNDED);
    expect(w.a(seg({ seq: ISN, flags: SYN }))).toBe(DropReason.NONE);
    expect(w.b(seg({ seq: 5000, ack: ISN + 1, flags: SYN | ACK, reply: true }))).toBe(DropReason.NONE);
    expect(w.a(seg({ seq: ISN + 1, ack: 5001, payload: records(clientHello({ sni: ['github.com'] })) }))).toBe(DropReason.NONE);
    for (let i = 0; i < 10; i++) expect(w.b(seg({ seq: 5001 + i, ack: 1, reply: true, payload: 'x' }))).toBe(DropReason.NONE);
    w.clock.ms += 5000;
    w.inspectorB.names.sweep(w.clock.ms, parsePolicy(BOUNDED), 0);
    expect(w.b(seg({ seq: 5011, ack: 1, reply: true, payload: 'x' }))).toBe(DropReason.NONE);
    expect(w.inspectorB.names.outcomes[NameOutcome.NO_NAME]).toBe(0);
  });

  test('fails open on neither side: a denied name read by worker A drops the replies that reach worker B', () => {
    const w = twoWorkers(BOUNDED);
    expect(w.a(seg({ seq: ISN, flags: SYN }))).toBe(DropReason.NONE);
    expect(w.b(seg({ seq: 5000, ack: ISN + 1, flags: SYN | ACK, reply: true }))).toBe(DropReason.NONE);
    expect(w.a(seg({ seq: ISN + 1, ack: 5001, payload: records(clientHello({ sni: ['evil.example'] })) }))).toBe(DropReason.POLICY);
    expect(w.b(seg({ seq: 5001, ack: 1, reply: true, payload: 'server hello' }))).toBe(DropReason.FLOW_BLOCKED);
    expect(w.a(seg({ seq: ISN + 100, ack: 5001, payload: 'more' }))).toBe(DropReason.FLOW_BLOCKED);
  });
});
