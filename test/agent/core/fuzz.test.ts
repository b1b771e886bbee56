/**
 * Seeded fuzz: 120,000 mutations (bit flips, byte overwrites, truncations, length-field corruption,
 * appended bytes) of valid GWLB packets. inspect() must never throw, must return a known code other
 * than INTERNAL_ERROR, and must agree with an independent, straightforward GENEVE checker written
 * here: a packet it forwards (or judges by policy) is valid GENEVE with the three AWS options.
 */
import { DROP_REASON_NAMES, DropReason, isDropReasonCode } from '../../../lib/agent/drop-reasons';
import { Inspector } from '../../../lib/agent/inspector';
import { parsePolicy } from '../../../lib/agent/policy';
import { geneve, icmp, ipv4, ipv6, mulberry32, tcp, udp } from './builders';
import { awsOptions } from '../../../lib/agent/geneve';

const ITERATIONS = 120_000;

/** Oracle: is this a GENEVE packet GWLB-valid at the GENEVE layer? Returns the flow cookie or -1. */
function oracleCookie(b: Buffer): number {
  if (b.length < 8 || (b[0] >> 6) !== 0 || (b[1] & 0x80) !== 0) return -1;
  const headerLength = 8 + (b[0] & 0x3f) * 4;
  if (headerLength > b.length) return -1;
  const seen = new Map<number, number>(); // AWS type -> data length
  let cookie = -1;
  let at = 8;
  while (at < headerLength) {
    const cls = b.readUInt16BE(at);
    const type = b[at + 2];
    const len = (b[at + 3] & 0x1f) * 4;
    if (at + 4 + len > headerLength) return -1;
    const aws = cls === 0x0108 && type >= 1 && type <= 3;
    if (aws) {
      if (seen.has(type) || len !== (type === 3 ? 4 : 8)) return -1;
      seen.set(type, len);
      if (type === 3) cookie = b.readUInt32BE(at + 4);
    } else if (type & 0x80) {
      return -1;
    }
    at += 4 + len;
  }
  const proto = b.readUInt16BE(2);
  if (seen.size !== 3 || (proto !== 0x0800 && proto !== 0x86dd)) return -1;
  return cookie;
}

const GENEVE_REASONS = new Set<number>([DropReason.TRUNCATED, DropReason.BAD_VERSION, DropReason.OAM, DropReason.OPTION_LENGTH_MISMATCH,
  DropReason.UNKNOWN_CRITICAL_OPTION, DropReason.MISSING_AWS_OPTIONS, DropReason.UNSUPPORTED_PROTOCOL_TYPE, DropReason.BAD_AWS_OPTION]);

function seeds(): Buffer[] {
  const extra = [...awsOptions({ eniId: 1n, attachmentId: 2n, flowCookie: 3 }), { optionClass: 0x0200, type: 0x05, data: Buffer.alloc(8, 9) }];
  return [
    geneve(ipv4(tcp({ dport: 80, payload: 'GET /EVIL HTTP/1.1\r\n' }))),
    geneve(ipv4(tcp({ dport: 23, optionBytes: 8, payload: 'login' }), { options: Buffer.from([1, 1, 1, 0]) })),
    geneve(ipv4(udp({ dport: 53, payload: 'query' }), { protocol: 17 }), { options: extra }),
    geneve(ipv4(icmp(8, 0, 'ping'), { protocol: 1 })),
    geneve(ipv4(Buffer.from('fragment-data!!!'), { fragmentOffset8: 3, protocol: 17 })),
    geneve(ipv6(tcp({ dport: 443, payload: 'hello EVIL' }))),
    geneve(ipv6(udp({ dport: 4789, payload: 'x' }), { protocol: 17, extensions: [{ type: 0 }, { type: 43, size: 16 }, { type: 44 }, { type: 60 }] })),
    geneve(ipv6(icmp(128, 0, 'ping6'), { protocol: 58, extensions: [{ type: 51, size: 16 }] })),
    geneve(ipv6(Buffer.from('more'), { extensions: [{ type: 44, fragment: { offset8: 9, more: false } }] })),
  ];
}

/** Offsets of length-ish fields worth corrupting in a seed (GENEVE Opt Len, option lengths, IP and L4 lengths). */
function lengthFields(b: Buffer): number[] {
  const fields = [0];
  const headerLength = 8 + (b[0] & 0x3f) * 4;
  for (let at = 8; at < headerLength; at += 4 + (b[at + 3] & 0x1f) * 4) fields.push(at + 3);
  const ip = headerLength;
  if (b[ip] >> 4 === 4) fields.push(ip, ip + 2, ip + 3, ip + 6, ip + 7, ip + 20 + 4, ip + 20 + 5, ip + 20 + 12);
  else fields.push(ip + 4, ip + 5, ip + 6, ip + 40, ip + 41, ip + 48, ip + 49);
  return fields.filter(f => f < b.length);
}

test('inspect never throws on 120,000 mutated packets and agrees with the oracle', () => {
  const rnd = mulberry32(0x6e6576);
  const int = (n: number): number => Math.floor(rnd() * n);
  const policy = parsePolicy({
    defaultAction: 'allow',
    rules: [
      { name: 'evil', action: 'drop', payloadContains: 'EVIL' },
      { name: 'telnet', action: 'drop', protocol: 'tcp', destinationPorts: [23, '2300-2399'] },
      { name: 'v6-net', action: 'drop', source: '2001:db8:dead::/48' },
    ],
  });
  let clock = 0;
  const inspector = new Inspector(policy, { maxFlows: 500, now: () => clock });
  const base = seeds();
  const fields = base.map(lengthFields);
  const seen = new Map<number, number>();
  // The packet sits at OFFSET inside a larger buffer with junk on both sides, as a receive buffer might.
  const OFFSET = 7;
  const scratch = Buffer.alloc(4096, 0xee);
  const at = (k: number): number => OFFSET + k;

  for (let i = 0; i < ITERATIONS; i++) {
    clock += 50;
    const s = int(base.length);
    const seed = base[s];
    seed.copy(scratch, OFFSET);
    let length = seed.length;
    const mutations = 1 + int(3);
    for (let m = 0; m < mutations; m++) {
      switch (int(5)) {
        case 0: { // flip 1..4 bits
          for (let k = 1 + int(4); k > 0; k--) scratch[at(int(length))] ^= 1 << int(8);
          break;
        }
        case 1: // overwrite a byte
          scratch[at(int(length))] = int(256);
          break;
        case 2: // truncate
          length = int(length + 1);
          break;
        case 3: { // corrupt a length field
          const f = fields[s][int(fields[s].length)];
          if (f < length) scratch[at(f)] = rnd() < 0.5 ? int(256) : scratch[at(f)] + (rnd() < 0.5 ? 1 : -1);
          break;
        }
        default: { // append random bytes
          const n = 1 + int(16);
          for (let k = 0; k < n && at(length) < scratch.length - 64; k++) scratch[at(length++)] = int(256);
        }
      }
      if (length === 0) break;
    }
    const packet = scratch.subarray(OFFSET, OFFSET + length);
    let r: number;
    try {
      r = inspector.inspect(scratch, OFFSET, length);
    } catch (e) {
      throw new Error(`iteration ${i}: inspect threw ${String(e)} for ${packet.toString('hex')}`);
    }
    if (!isDropReasonCode(r) || r === DropReason.INTERNAL_ERROR) {
      throw new Error(`iteration ${i}: invalid result ${r} (${String(inspector.lastError)}) for ${packet.toString('hex')}`);
    }
    seen.set(r, (seen.get(r) ?? 0) + 1);
    const cookie = oracleCookie(packet);
    if (GENEVE_REASONS.has(r) !== (cookie < 0)) {
      throw new Error(`iteration ${i}: inspector ${DROP_REASON_NAMES[r]} but oracle cookie ${cookie} for ${packet.toString('hex')}`);
    }
    if (r === DropReason.NONE || r === DropReason.POLICY || r === DropReason.FLOW_BLOCKED) {
      // Accepted at the GENEVE layer and parsed: the inner IP version agrees with Protocol Type.
      const ip = 8 + (packet[0] & 0x3f) * 4;
      const version = packet.readUInt16BE(2) === 0x0800 ? 4 : 6;
      if (ip >= length || packet[ip] >> 4 !== version) throw new Error(`iteration ${i}: accepted inner packet of wrong version`);
    }
  }
  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  expect(total).toBe(ITERATIONS);
  expect(Array.from(inspector.dropCounts).reduce((a, b) => a + b, 0)).toBe(ITERATIONS);
  // The mutations reach every layer.
  for (const reason of [DropReason.NONE, DropReason.TRUNCATED, DropReason.BAD_VERSION, DropReason.OAM, DropReason.OPTION_LENGTH_MISMATCH,
    DropReason.UNKNOWN_CRITICAL_OPTION, DropReason.MISSING_AWS_OPTIONS, DropReason.UNSUPPORTED_PROTOCOL_TYPE, DropReason.BAD_AWS_OPTION,
    DropReason.INNER_MALFORMED, DropReason.POLICY, DropReason.FLOW_BLOCKED]) {
    if (!seen.get(reason)) throw new Error(`fuzz never produced ${DROP_REASON_NAMES[reason]}: ${JSON.stringify([...seen])}`);
  }
});
