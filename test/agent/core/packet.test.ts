import { formatAddress } from '../../../lib/agent/cidr';
import { DropReason } from '../../../lib/agent/drop-reasons';
import { ParsedPacket, parseIpPacket } from '../../../lib/agent/packet';
import { icmp, ipv4, ipv6, tcp, udp } from './builders';

function parse(buf: Buffer, expectedVersion = 0, offset = 0): [number, ParsedPacket] {
  const p = new ParsedPacket();
  return [parseIpPacket(buf, offset, buf.length - offset, p, expectedVersion), p];
}

const payloadOf = (buf: Buffer, p: ParsedPacket): string => buf.toString('latin1', p.payloadOffset, p.payloadOffset + p.payloadLength);

describe('IPv4', () => {
  test('TCP: addresses, ports and the payload after the data offset (with TCP and IP options)', () => {
    const buf = ipv4(tcp({ sport: 1234, dport: 443, optionBytes: 12, payload: 'GET /' }), { options: Buffer.from([1, 1, 1, 0]) });
    const [r, p] = parse(buf, 4);
    expect(r).toBe(DropReason.NONE);
    expect([p.ipVersion, p.protocol, p.srcPort, p.dstPort, p.hasL4Header, p.isFragment]).toEqual([4, 6, 1234, 443, true, false]);
    expect([formatAddress(4, p.src), formatAddress(4, p.dst)]).toEqual(['198.51.100.10', '10.0.1.20']);
    expect(p.l4Offset).toBe(24);
    expect(payloadOf(buf, p)).toBe('GET /');
    expect(p.ipLength).toBe(buf.length);
  });

  test('UDP payload is bounded by the UDP length; ICMP has type/code and no ports', () => {
    const u = ipv4(udp({ sport: 5000, dport: 53, payload: 'query' }), { protocol: 17 });
    const [r1, p1] = parse(u);
    expect([r1, p1.srcPort, p1.dstPort, payloadOf(u, p1)]).toEqual([0, 5000, 53, 'query']);
    const i = ipv4(icmp(8, 0, 'abc'), { protocol: 1 });
    const [r2, p2] = parse(i);
    expect([r2, p2.protocol, p2.icmpType, p2.icmpCode, p2.srcPort, p2.dstPort, payloadOf(i, p2)]).toEqual([0, 1, 8, 0, 0, 0, 'abc']);
  });

  test('parses at an offset and ignores bytes after Total Length', () => {
    const pkt = ipv4(tcp({ payload: 'xy' }));
    const buf = Buffer.concat([Buffer.alloc(7), pkt, Buffer.from('TRAILER')]);
    const [r, p] = parse(buf, 4, 7);
    expect(r).toBe(DropReason.NONE);
    expect([p.ipOffset, p.ipLength, payloadOf(buf, p)]).toEqual([7, pkt.length, 'xy']);
  });

  test('a non-first fragment has no L4 header: protocol and addresses only, data as payload', () => {
    // Bytes that would read as ports 0x4142/0x4344 if (wrongly) parsed as TCP.
    const buf = ipv4(Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWX'), { fragmentOffset8: 185 });
    const [r, p] = parse(buf);
    expect(r).toBe(DropReason.NONE);
    expect([p.protocol, p.isFragment, p.hasL4Header, p.srcPort, p.dstPort]).toEqual([6, true, false, 0, 0]);
    expect(payloadOf(buf, p)).toBe('ABCDEFGHIJKLMNOPQRSTUVWX');
  });

  test('a first fragment is parsed to L4; its UDP length may exceed the fragment', () => {
    const full = udp({ dport: 53, payload: 'x'.repeat(100) });
    const first = full.subarray(0, 40);
    const [r, p] = parse(ipv4(first, { protocol: 17, mf: true }));
    expect([r, p.isFragment, p.hasL4Header, p.dstPort, p.payloadLength]).toEqual([0, true, true, 53, 32]);
  });

  const malformed: [string, Buffer][] = [
    ['shorter than 20 bytes', ipv4(tcp()).subarray(0, 19)],
    ['IHL below 5', ipv4(tcp(), { ihl: 4 })],
    ['IHL beyond Total Length', ipv4(Buffer.alloc(0), { ihl: 15, totalLength: 40, protocol: 59 })],
    ['Total Length beyond the data', ipv4(tcp(), { totalLength: 100 })],
    ['Total Length below the header', ipv4(tcp(), { totalLength: 19 })],
    ['TCP header cut short', ipv4(tcp().subarray(0, 19))],
    ['TCP data offset below 5', ipv4(tcp({ dataOffsetWords: 4 }))],
    ['TCP data offset beyond the segment', ipv4(tcp({ dataOffsetWords: 6 }))],
    ['UDP length below 8', ipv4(udp({ length: 7 }), { protocol: 17 })],
    ['UDP length beyond the datagram', ipv4(udp({ length: 30 }), { protocol: 17 })],
    ['ICMP shorter than 8 bytes', ipv4(icmp().subarray(0, 7), { protocol: 1 })],
    ['tiny first fragment without the whole TCP header', ipv4(tcp().subarray(0, 16), { mf: true })],
    ['TCP fragment at offset 8 bytes (RFC 1858)', ipv4(Buffer.alloc(16), { fragmentOffset8: 1 })],
    ['version 5', ipv4(tcp(), { version: 5 })],
  ];
  test.each(malformed)('INNER_MALFORMED: %s', (_name, buf) => {
    expect(parse(buf)[0]).toBe(DropReason.INNER_MALFORMED);
  });

  test('INNER_MALFORMED when GENEVE said IPv6 but the packet is IPv4, and for empty input', () => {
    expect(parse(ipv4(tcp()), 6)[0]).toBe(DropReason.INNER_MALFORMED);
    expect(parse(Buffer.alloc(0))[0]).toBe(DropReason.INNER_MALFORMED);
  });
});

describe('IPv6', () => {
  test('TCP directly after the header', () => {
    const buf = ipv6(tcp({ sport: 2222, dport: 22, payload: 'SSH-2.0' }));
    const [r, p] = parse(buf, 6);
    expect(r).toBe(DropReason.NONE);
    expect([p.ipVersion, p.protocol, p.srcPort, p.dstPort, payloadOf(buf, p)]).toEqual([6, 6, 2222, 22, 'SSH-2.0']);
    expect([formatAddress(6, p.src), formatAddress(6, p.dst)]).toEqual(['2001:db8:1::10', '2001:db8:2::20']);
  });

  test('walks hop-by-hop, routing, destination options, AH and an atomic fragment header to UDP', () => {
    const buf = ipv6(udp({ dport: 4789, payload: 'vx' }), {
      protocol: 17,
      extensions: [{ type: 0, size: 8 }, { type: 43, size: 24 }, { type: 60, size: 16 }, { type: 51, size: 24 },
        { type: 44, fragment: { offset8: 0, more: false } }],
    });
    const [r, p] = parse(buf);
    expect(r).toBe(DropReason.NONE);
    expect([p.protocol, p.dstPort, p.isFragment, p.l4Offset]).toEqual([17, 4789, false, 40 + 8 + 24 + 16 + 24 + 8]);
    expect(payloadOf(buf, p)).toBe('vx');
  });

  test('ICMPv6 echo', () => {
    const buf = ipv6(icmp(128, 0, 'ping6'), { protocol: 58 });
    const [r, p] = parse(buf);
    expect([r, p.protocol, p.icmpType, payloadOf(buf, p)]).toEqual([0, 58, 128, 'ping6']);
  });

  test('first fragment goes on to L4; a later fragment stops at the fragment header', () => {
    const [r1, p1] = parse(ipv6(tcp({ dport: 25 }), { extensions: [{ type: 44, fragment: { offset8: 0, more: true } }] }));
    expect([r1, p1.isFragment, p1.hasL4Header, p1.dstPort]).toEqual([0, true, true, 25]);
    const later = ipv6(Buffer.from('continuation'), { extensions: [{ type: 60 }, { type: 44, fragment: { offset8: 100, more: true } }] });
    const [r2, p2] = parse(later);
    expect([r2, p2.protocol, p2.isFragment, p2.hasL4Header, p2.dstPort, payloadOf(later, p2)]).toEqual([0, 6, true, false, 0, 'continuation']);
  });

  test('ESP and No Next Header stop the walk without an L4 header', () => {
    const [r1, p1] = parse(ipv6(Buffer.alloc(24, 7), { protocol: 50, extensions: [{ type: 60 }] }));
    expect([r1, p1.protocol, p1.hasL4Header, p1.payloadLength]).toEqual([0, 50, false, 24]);
    const [r2, p2] = parse(ipv6(Buffer.alloc(0), { protocol: 59 }));
    expect([r2, p2.protocol, p2.hasL4Header]).toEqual([0, 59, false]);
  });

  const malformed: [string, Buffer][] = [
    ['shorter than 40 bytes', ipv6(tcp()).subarray(0, 39)],
    ['Payload Length beyond the data', ipv6(tcp(), { payloadLength: 200 })],
    ['hop-by-hop not first', ipv6(tcp(), { extensions: [{ type: 60 }, { type: 0 }] })],
    ['extension header shorter than 8 bytes', ipv6(Buffer.alloc(4), { protocol: 43 })],
    ['AH length beyond Payload Length', ipv6(Buffer.from([59, 9, 0, 0, 0, 0, 0, 0]), { protocol: 51 })],
    ['routing header length beyond Payload Length', (() => {
      const b = ipv6(Buffer.alloc(0), { protocol: 59, extensions: [{ type: 43 }] });
      b[41] = 5; // claims 48 bytes
      return b;
    })()],
    ['fragment header cut short', ipv6(Buffer.alloc(4), { protocol: 44 })],
    ['tiny first fragment without the whole TCP header', ipv6(tcp().subarray(0, 10), { extensions: [{ type: 44, fragment: { offset8: 0, more: true } }] })],
    ['UDP length beyond the datagram', ipv6(udp({ length: 99 }), { protocol: 17 })],
  ];
  test.each(malformed)('INNER_MALFORMED: %s', (_name, buf) => {
    expect(parse(buf)[0]).toBe(DropReason.INNER_MALFORMED);
  });

  test('INNER_MALFORMED when GENEVE said IPv4 but the packet is IPv6', () => {
    expect(parse(ipv6(tcp()), 4)[0]).toBe(DropReason.INNER_MALFORMED);
  });

  test('a reused ParsedPacket does not keep fields from the previous packet', () => {
    const p = new ParsedPacket();
    const a = ipv6(tcp({ sport: 1, dport: 2 }));
    const b = ipv4(Buffer.alloc(8), { fragmentOffset8: 10, protocol: 17 });
    expect(parseIpPacket(a, 0, a.length, p)).toBe(0);
    expect(parseIpPacket(b, 0, b.length, p)).toBe(0);
    expect([p.ipVersion, p.srcPort, p.dstPort, p.src[1], p.src[3], p.dst[3]]).toEqual([4, 0, 0, 0, 0, 0]);
  });
});
