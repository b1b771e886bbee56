import { DROP_REASON_COUNT, DROP_REASON_NAMES, DropReason } from '../../../lib/agent/drop-reasons';
import { Inspector, PolicyDropEvent } from '../../../lib/agent/inspector';
import { ParsedPacket } from '../../../lib/agent/packet';
import { allowAllPolicy, CompiledPolicy, parsePolicy } from '../../../lib/agent/policy';
import { geneve, GOLDEN_HEADER_HEX, ipv4, ipv6, tcp, udp } from './builders';

class FakeClock {
  ms = 1_000_000;
  readonly now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

const POLICY = parsePolicy({
  defaultAction: 'allow',
  rules: [
    { name: 'no-telnet', action: 'drop', protocol: 'tcp', destinationPorts: [23] },
    { name: 'evil', action: 'drop', payloadContains: 'EVIL' },
  ],
});

function setup(policy: CompiledPolicy = POLICY, opts: { maxFlows?: number } = {}) {
  const clock = new FakeClock();
  const inspector = new Inspector(policy, { now: clock.now, ...opts });
  const events: PolicyDropEvent[] = [];
  inspector.onPolicyDrop = e => events.push(e);
  const send = (pkt: Buffer): number => inspector.inspect(pkt, 0, pkt.length);
  return { clock, inspector, events, send };
}

const web = (payload = 'GET / HTTP/1.1', o: { sport?: number; cookie?: number } = {}): Buffer =>
  geneve(ipv4(tcp({ sport: o.sport ?? 40000, dport: 80, payload })), { cookie: o.cookie });
const webReply = (payload = 'HTTP/1.1 200 OK'): Buffer =>
  geneve(ipv4(tcp({ sport: 80, dport: 40000, payload }), { src: '10.0.1.20', dst: '198.51.100.10' }));

describe('Inspector', () => {
  test('forwards allowed packets and counts them under NONE', () => {
    const { inspector, send } = setup();
    expect(send(web())).toBe(DropReason.NONE);
    expect(send(webReply())).toBe(DropReason.NONE);
    expect(inspector.dropCounts[DropReason.NONE]).toBe(2);
    expect(inspector.activeFlows()).toBe(1); // both directions, one flow
  });

  test('counts GENEVE and inner drop reasons', () => {
    const { inspector, send } = setup();
    const bad = web();
    bad[0] = 0x48; // version 1
    expect(send(bad)).toBe(DropReason.BAD_VERSION);
    expect(send(web().subarray(0, 30))).toBe(DropReason.TRUNCATED);
    expect(send(geneve(ipv4(tcp()), { options: [] }))).toBe(DropReason.MISSING_AWS_OPTIONS);
    expect(send(geneve(ipv4(tcp()), { protocolType: 0x6558 }))).toBe(DropReason.UNSUPPORTED_PROTOCOL_TYPE);
    expect(send(geneve(ipv6(tcp()), { protocolType: 0x0800 }))).toBe(DropReason.INNER_MALFORMED);
    expect(send(geneve(Buffer.alloc(0)))).toBe(DropReason.INNER_MALFORMED);
    const counts = Array.from(inspector.dropCounts);
    expect(counts.length).toBe(DROP_REASON_COUNT);
    expect(DROP_REASON_NAMES.length).toBe(DROP_REASON_COUNT);
    expect(counts[DropReason.BAD_VERSION] + counts[DropReason.TRUNCATED] + counts[DropReason.MISSING_AWS_OPTIONS]).toBe(3);
    expect([counts[DropReason.UNSUPPORTED_PROTOCOL_TYPE], counts[DropReason.INNER_MALFORMED], counts[DropReason.NONE]]).toEqual([1, 2, 0]);
    expect(inspector.activeFlows()).toBe(0);
  });

  test('inspects buf[offset, offset + length) only', () => {
    const { send, inspector } = setup();
    const pkt = web('EV');
    const buf = Buffer.concat([Buffer.from('junk'), pkt, Buffer.from('IL')]);
    expect(inspector.inspect(buf, 4, pkt.length)).toBe(DropReason.NONE);
    expect(inspector.inspect(buf, 4, buf.length)).toBe(DropReason.TRUNCATED);
    expect(send(Buffer.from(GOLDEN_HEADER_HEX, 'hex'))).toBe(DropReason.INNER_MALFORMED);
  });

  test('a port rule drops every matching packet with POLICY and reports it, without blocking the flow', () => {
    const { send, events, inspector } = setup();
    const telnet = geneve(ipv6(tcp({ sport: 50000, dport: 23 }), { src: '2001:db8:1::10', dst: '2001:db8:2::20' }), { cookie: 42 });
    expect(send(telnet)).toBe(DropReason.POLICY);
    expect(send(telnet)).toBe(DropReason.POLICY);
    expect(events[0]).toEqual({
      rule: 'no-telnet', protocol: 6, src: '2001:db8:1::10', dst: '2001:db8:2::20', srcPort: 50000, dstPort: 23, flowCookie: 42, flowBlocked: false,
    });
    expect(inspector.dropCounts[DropReason.POLICY]).toBe(2);
    expect(inspector.dropCounts[DropReason.FLOW_BLOCKED]).toBe(0);
  });

  test('a payload drop blocks the flow in both directions until it idles out', () => {
    const { send, events, clock, inspector } = setup();
    expect(send(web('hello'))).toBe(DropReason.NONE);
    expect(send(web('GET /EVIL'))).toBe(DropReason.POLICY);
    expect(events).toEqual([{
      rule: 'evil', protocol: 6, src: '198.51.100.10', dst: '10.0.1.20', srcPort: 40000, dstPort: 80, flowCookie: 0xdeadbeef, flowBlocked: true,
    }]);
    expect(send(web('innocent'))).toBe(DropReason.FLOW_BLOCKED);
    expect(send(webReply())).toBe(DropReason.FLOW_BLOCKED);
    // Another source port or another GWLB cookie is another flow.
    expect(send(web('innocent', { sport: 40001 }))).toBe(DropReason.NONE);
    expect(send(web('innocent', { cookie: 7 }))).toBe(DropReason.NONE);
    // Blocked packets keep the flow alive; 350 s of silence ends it.
    clock.advance(349);
    expect(send(web('retry'))).toBe(DropReason.FLOW_BLOCKED);
    clock.advance(350);
    expect(send(web('retry'))).toBe(DropReason.NONE);
    expect(inspector.dropCounts[DropReason.FLOW_BLOCKED]).toBe(3);
  });

  test('UDP flows use the other idle timeout', () => {
    const { send, clock } = setup(POLICY, {});
    const dns = (q: string): Buffer => geneve(ipv4(udp({ payload: q }), { protocol: 17 }));
    expect(send(dns('EVIL'))).toBe(DropReason.POLICY);
    clock.advance(119.999);
    expect(send(dns('ok'))).toBe(DropReason.FLOW_BLOCKED);
    clock.advance(120);
    expect(send(dns('ok'))).toBe(DropReason.NONE);
  });

  test('defaultAction drop is reported as POLICY with rule "defaultAction"', () => {
    const { send, events } = setup(parsePolicy({ defaultAction: 'drop', rules: [{ action: 'allow', destinationPorts: 80 }] }));
    expect(send(web())).toBe(DropReason.NONE);
    expect(send(geneve(ipv4(udp({ dport: 53 }), { protocol: 17 })))).toBe(DropReason.POLICY);
    expect(events.map(e => [e.rule, e.flowBlocked])).toEqual([['defaultAction', false]]);
  });

  test('setPolicy bumps the generation, applies to the next packet of existing flows, and keeps blocks', () => {
    const { send, inspector } = setup();
    const blockedFlow = web('EVIL', { sport: 1111 });
    expect(send(blockedFlow)).toBe(DropReason.POLICY);
    expect(send(web())).toBe(DropReason.NONE);
    expect(inspector.policyGeneration).toBe(0);
    inspector.setPolicy(parsePolicy({ defaultAction: 'allow', rules: [{ name: 'no-web', action: 'drop', destinationPorts: 80 }] }));
    expect(inspector.policyGeneration).toBe(1);
    expect(send(web())).toBe(DropReason.POLICY);
    inspector.setPolicy(allowAllPolicy());
    expect(inspector.policyGeneration).toBe(2);
    expect(send(web())).toBe(DropReason.NONE);
    expect(send(web('fine', { sport: 1111 }))).toBe(DropReason.FLOW_BLOCKED);
  });

  test('sweep() expires idle flows by the injected clock', () => {
    const { send, inspector, clock } = setup();
    send(web());
    send(geneve(ipv4(udp(), { protocol: 17 })));
    expect(inspector.activeFlows()).toBe(2);
    clock.advance(200);
    inspector.sweep();
    expect(inspector.activeFlows()).toBe(1);
    clock.advance(200);
    inspector.sweep();
    expect(inspector.activeFlows()).toBe(0);
  });

  test('sweepFlows(maxFlows) stops at the limit and says so; later calls expire the rest', () => {
    const { send, inspector, clock } = setup();
    for (let i = 0; i < 10; i++) send(web('x', { sport: 1000 + i }));
    clock.advance(400); // past the TCP idle timeout
    expect(inspector.sweepFlows(4)).toBe(true);
    expect(inspector.activeFlows()).toBe(6);
    expect(inspector.sweepFlows(4)).toBe(true);
    expect(inspector.sweepFlows(4)).toBe(false); // removed 2 < 4: done
    expect(inspector.activeFlows()).toBe(0);
    expect(inspector.flows.expirations).toBe(10);
  });

  test('maxFlows bounds the table', () => {
    const { send, inspector } = setup(POLICY, { maxFlows: 10 });
    for (let i = 0; i < 50; i++) send(web('x', { sport: 1000 + i }));
    expect(inspector.activeFlows()).toBe(10);
    expect(inspector.flows.evictions).toBe(40);
  });

  test('wantPolicyDrop gates the event, not the verdict or the flow block', () => {
    const { inspector, events, send } = setup();
    let asked = 0;
    inspector.wantPolicyDrop = () => ++asked > 1;
    expect(send(web('EVIL'))).toBe(DropReason.POLICY);
    expect(events).toHaveLength(0);
    expect(send(web('clean'))).toBe(DropReason.FLOW_BLOCKED);
    expect(send(geneve(ipv4(tcp({ sport: 41000, dport: 23 }))))).toBe(DropReason.POLICY);
    expect(asked).toBe(2);
    expect(events.map(e => e.rule)).toEqual(['no-telnet']);
  });

  test('an exception from onPolicyDrop does not escape; the verdict stands', () => {
    const { inspector, send } = setup();
    inspector.onPolicyDrop = () => {
      throw new Error('logger broke');
    };
    expect(send(web('EVIL'))).toBe(DropReason.POLICY);
    expect(inspector.callbackErrors).toBe(1);
    expect((inspector.lastError as Error).message).toBe('logger broke');
  });

  test('an unexpected exception drops the packet as INTERNAL_ERROR instead of throwing', () => {
    class BrokenPolicy extends CompiledPolicy {
      override match(_p: ParsedPacket, _b: Buffer): number {
        throw new Error('bug');
      }
    }
    const { inspector, send } = setup(new BrokenPolicy('allow', []));
    expect(send(web())).toBe(DropReason.INTERNAL_ERROR);
    expect(inspector.dropCounts[DropReason.INTERNAL_ERROR]).toBe(1);
    expect((inspector.lastError as Error).message).toBe('bug');
  });

  test('fails on invalid options, naming them', () => {
    expect(() => new Inspector(POLICY, { tcpIdleSeconds: 0 })).toThrow('tcpIdleSeconds: 0 is not a positive number');
    expect(() => new Inspector(POLICY, { otherIdleSeconds: NaN })).toThrow('otherIdleSeconds: NaN is not a positive number');
    expect(() => new Inspector(POLICY, { maxFlows: 1.5 })).toThrow('maxFlows: 1.5 is not an integer >= 1');
  });
});
