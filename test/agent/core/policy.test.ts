import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ParsedPacket, parseIpPacket } from '../../../lib/agent/packet';
import { allowAllPolicy, CompiledPolicy, loadPolicyFile, parsePolicy, PolicyError } from '../../../lib/agent/policy';
import { icmp, ipv4, ipv6, tcp, udp } from './builders';

/** Name of the rule that decides `pkt` under `policy`, or "default". */
function decide(policy: CompiledPolicy, pkt: Buffer): string {
  const p = new ParsedPacket();
  if (parseIpPacket(pkt, 0, pkt.length, p) !== 0) throw new Error('test packet does not parse');
  const i = policy.match(p, pkt);
  return i < 0 ? 'default' : policy.rules[i].name;
}

const tcp4 = (dport: number, o: { src?: string; dst?: string; sport?: number; payload?: string | Buffer } = {}): Buffer =>
  ipv4(tcp({ dport, sport: o.sport, payload: o.payload }), { src: o.src, dst: o.dst });
const tcp6 = (dport: number, o: { src?: string; dst?: string; payload?: string } = {}): Buffer =>
  ipv6(tcp({ dport, payload: o.payload }), { src: o.src, dst: o.dst });

describe('matching', () => {
  const issuePolicy = parsePolicy({
    defaultAction: 'allow',
    rules: [{
      name: 'no-telnet', action: 'drop', protocol: 'tcp', destinationPorts: [23, '8000-8080'],
      source: ['192.0.2.0/24', '2001:db8:bad::/48'],
    }],
  });

  test.each([
    ['IPv4 source in range, port 23', tcp4(23, { src: '192.0.2.50' }), 'no-telnet'],
    ['IPv4 source in range, port 8000 (range start)', tcp4(8000, { src: '192.0.2.50' }), 'no-telnet'],
    ['IPv4 source in range, port 8080 (range end)', tcp4(8080, { src: '192.0.2.50' }), 'no-telnet'],
    ['IPv4 source in range, port 8081', tcp4(8081, { src: '192.0.2.50' }), 'default'],
    ['IPv4 source outside', tcp4(23, { src: '192.0.3.1' }), 'default'],
    ['IPv6 source in range', tcp6(23, { src: '2001:db8:bad:1::5' }), 'no-telnet'],
    ['IPv6 source outside', tcp6(23, { src: '2001:db8:bae::5' }), 'default'],
    ['UDP to port 23', ipv4(udp({ dport: 23 }), { src: '192.0.2.50', protocol: 17 }), 'default'],
  ])('issue example: %s', (_n, pkt, expected) => {
    expect(decide(issuePolicy, pkt)).toBe(expected);
  });

  test('first matching rule wins, then defaultAction', () => {
    const policy = parsePolicy({
      defaultAction: 'drop',
      rules: [
        { name: 'allow-admin', action: 'allow', source: '10.9.0.0/16' },
        { name: 'drop-ssh', action: 'drop', protocol: 'tcp', destinationPorts: 22 },
        { name: 'allow-web', action: 'allow', protocol: 6, destinationPorts: [80, 443] },
      ],
    });
    expect(decide(policy, tcp4(22, { src: '10.9.1.1' }))).toBe('allow-admin');
    expect(decide(policy, tcp4(22))).toBe('drop-ssh');
    expect(decide(policy, tcp4(443))).toBe('allow-web');
    expect(decide(policy, tcp4(8443))).toBe('default');
    expect(policy.defaultDrop).toBe(true);
    const p = new ParsedPacket();
    const pkt = tcp4(8443);
    parseIpPacket(pkt, 0, pkt.length, p);
    expect(policy.drops(p, pkt)).toBe(true);
  });

  test('source ports, destination CIDRs and protocol numbers', () => {
    const policy = parsePolicy({
      defaultAction: 'allow',
      rules: [
        { name: 'from-ephemeral-to-db', action: 'drop', sourcePorts: ['49152-65535'], destination: ['10.0.5.0/24', 'fd00:5::/32'] },
        { name: 'gre', action: 'drop', protocol: 47 },
        { name: 'icmp6-only', action: 'drop', protocol: 'icmpv6' },
      ],
    });
    expect(decide(policy, tcp4(5432, { sport: 50000, dst: '10.0.5.9' }))).toBe('from-ephemeral-to-db');
    expect(decide(policy, tcp4(5432, { sport: 40000, dst: '10.0.5.9' }))).toBe('default');
    expect(decide(policy, tcp6(5432, { dst: 'fd00:5::9' }))).toBe('default'); // builder sport 40000
    expect(decide(policy, ipv6(tcp({ sport: 60000 }), { dst: 'fd00:5:ffff::1' }))).toBe('from-ephemeral-to-db');
    expect(decide(policy, ipv4(Buffer.alloc(8), { protocol: 47 }))).toBe('gre');
    expect(decide(policy, ipv4(icmp(), { protocol: 1 }))).toBe('default');
    expect(decide(policy, ipv6(icmp(128), { protocol: 58 }))).toBe('icmp6-only');
  });

  test('port rules do not match packets without ports (ICMP, non-first fragments)', () => {
    const policy = parsePolicy({ defaultAction: 'allow', rules: [{ name: 'low-ports', action: 'drop', destinationPorts: ['0-1023'] }] });
    expect(decide(policy, tcp4(80))).toBe('low-ports');
    expect(decide(policy, ipv4(icmp(), { protocol: 1 }))).toBe('default');
    expect(decide(policy, ipv4(Buffer.alloc(16), { fragmentOffset8: 100 }))).toBe('default');
  });

  test('payloadContains and payloadHex search only within the L4 payload', () => {
    const policy = parsePolicy({
      defaultAction: 'allow',
      rules: [
        { name: 'evil', action: 'drop', payloadContains: 'EVIL' },
        { name: 'magic', action: 'drop', protocol: 'udp', payloadHex: 'DEADbeef' },
        { name: 'utf8', action: 'drop', payloadContains: 'ünï' },
      ],
    });
    expect(decide(policy, tcp4(80, { payload: 'GET /EVIL HTTP/1.1' }))).toBe('evil');
    expect(decide(policy, tcp4(80, { payload: 'EVI' }))).toBe('default');
    expect(decide(policy, tcp4(80, { payload: 'EVIL' }))).toBe('evil'); // whole payload
    expect(decide(policy, ipv4(udp({ payload: Buffer.from('00deadbeef00', 'hex') }), { protocol: 17 }))).toBe('magic');
    expect(decide(policy, ipv4(udp({ payload: Buffer.from('00deadbe', 'hex') }), { protocol: 17 }))).toBe('default');
    expect(decide(policy, tcp4(80, { payload: Buffer.from('xünïx', 'utf8') }))).toBe('utf8');
    // The pattern spelled by header bytes must not match: TCP sport 0x4556 ('EV'), dport 0x494c ('IL').
    expect(decide(policy, ipv4(tcp({ sport: 0x4556, dport: 0x494c, payload: 'clean' })))).toBe('default');
  });

  test('payload matching stops at the end of the packet, not the end of the buffer', () => {
    const policy = parsePolicy({ defaultAction: 'allow', rules: [{ name: 'evil', action: 'drop', payloadContains: 'EVIL' }] });
    const pkt = tcp4(80, { payload: 'xxEV' });
    const buf = Buffer.concat([pkt, Buffer.from('IL and more EVIL')]);
    const p = new ParsedPacket();
    expect(parseIpPacket(buf, 0, buf.length, p)).toBe(0);
    expect(policy.match(p, buf)).toBe(-1);
  });

  test('a rule without an action does the opposite of defaultAction; names are case-insensitive', () => {
    const blocklist = parsePolicy({ defaultAction: 'allow', rules: [{ name: 'telnet', protocol: 'TCP', destinationPorts: [23] }] });
    expect(blocklist.rules[0].drop).toBe(true);
    const allowlist = parsePolicy({ defaultAction: 'DROP', rules: [{ name: 'web', protocol: 'tcp', destinationPorts: [443] }] });
    expect(allowlist.defaultDrop).toBe(true);
    expect(allowlist.rules[0].drop).toBe(false);
    expect(parsePolicy({ defaultAction: 'allow', rules: [{ action: 'Drop', protocol: 'UDP' }] }).rules[0].drop).toBe(true);
  });

  test('a rule with only an action matches everything; allowAllPolicy has no rules', () => {
    expect(decide(parsePolicy({ defaultAction: 'allow', rules: [{ action: 'drop' }] }), tcp6(1))).toBe('rules[0]');
    const all = allowAllPolicy();
    expect([all.ruleCount, all.defaultDrop, decide(all, tcp4(1))]).toEqual([0, false, 'default']);
  });
});

describe('validation', () => {
  const base = (rule: Record<string, unknown>): unknown => ({ defaultAction: 'allow', rules: [{ action: 'drop', ...rule }] });
  test.each<[string, unknown, string]>([
    ['not an object', [], 'policy: [] is not a JSON object'],
    ['missing defaultAction', { rules: [] }, 'defaultAction: required field is missing (expected "allow" or "drop")'],
    ['bad defaultAction', { defaultAction: 'deny' }, 'defaultAction: "deny" is not "allow" or "drop"'],
    ['unknown top-level field', { defaultAction: 'allow', rule: [] }, 'rule: unknown field'],
    ['rules not an array', { defaultAction: 'allow', rules: {} }, 'rules: {} is not an array'],
    ['rule not an object', { defaultAction: 'allow', rules: ['drop'] }, 'rules[0]: "drop" is not an object'],
    ['misspelt field', base({ destinatonPorts: [23] }), 'rules[0].destinatonPorts: unknown field'],
    ['bad action', base({ action: 'reject' }), 'rules[0].action: "reject" is not "allow" or "drop"'],
    ['empty name', base({ name: ' ' }), 'rules[0].name: " " is not a non-empty string'],
    ['duplicate name', { defaultAction: 'allow', rules: [{ name: 'a', action: 'drop' }, { name: 'a', action: 'allow' }] },
      'rules[1].name: "a" is used by an earlier rule'],
    ['bad protocol name', base({ protocol: 'tcpx' }),
      'rules[0].protocol: "tcpx" is not a valid protocol (expected "tcp", "udp", "icmp", "icmpv6", "sctp" or an integer 0-255)'],
    ['protocol out of range', base({ protocol: 256 }),
      'rules[0].protocol: 256 is not a valid protocol (expected "tcp", "udp", "icmp", "icmpv6", "sctp" or an integer 0-255)'],
    ['reversed port range', { defaultAction: 'allow', rules: [{}, {}, { action: 'drop', destinationPorts: [80, '80-70'] }].map(r => ({ action: 'allow', ...r })) },
      'rules[2].destinationPorts[1]: "80-70" is not a valid port range'],
    ['port above 65535', base({ sourcePorts: [65536] }), 'rules[0].sourcePorts[0]: 65536 is not a valid port (0-65535)'],
    ['range end above 65535', base({ sourcePorts: ['1-70000'] }), 'rules[0].sourcePorts[0]: "1-70000" is not a valid port range'],
    ['port with spaces', base({ destinationPorts: ['80 - 90'] }), 'rules[0].destinationPorts[0]: "80 - 90" is not a valid port range'],
    ['fractional port', base({ destinationPorts: 80.5 }), 'rules[0].destinationPorts: 80.5 is not a valid port (0-65535)'],
    ['port of the wrong type', base({ destinationPorts: [true] }), 'rules[0].destinationPorts[0]: true is not a port number or "low-high" range'],
    ['empty port list', base({ destinationPorts: [] }), 'rules[0].destinationPorts: must not be an empty array (omit the field to match any port)'],
    ['ports with icmp', base({ protocol: 'icmp', destinationPorts: [1] }),
      'rules[0].destinationPorts: ports need protocol "tcp", "udp" or "sctp", not "icmp"'],
    ['bad CIDR', base({ source: ['192.0.2.0/24', '2001:db8:bad::/129'] }),
      'rules[0].source[1]: "2001:db8:bad::/129" is not a valid CIDR: prefix length "129" is not an integer 0-128'],
    ['host bits set', base({ destination: '10.1.2.3/8' }),
      'rules[0].destination: "10.1.2.3/8" is not a valid CIDR: host bits are set (did you mean 10.0.0.0/8?)'],
    ['CIDR of the wrong type', base({ destination: [10] }), 'rules[0].destination[0]: 10 is not a CIDR string'],
    ['empty CIDR list', base({ source: [] }), 'rules[0].source: must not be an empty array (omit the field to match any address)'],
    ['empty payloadContains', base({ payloadContains: '' }), 'rules[0].payloadContains: "" is not a non-empty string'],
    ['odd-length payloadHex', base({ payloadHex: 'abc' }), 'rules[0].payloadHex: "abc" is not a non-empty, even-length hex string'],
    ['non-hex payloadHex', base({ payloadHex: '0xab' }), 'rules[0].payloadHex: "0xab" is not a non-empty, even-length hex string'],
    ['both payload fields', base({ payloadHex: 'ab', payloadContains: 'x' }), 'rules[0]: payloadContains and payloadHex are mutually exclusive'],
  ])('fails on %s', (_name, doc, message) => {
    expect(() => parsePolicy(doc)).toThrow(new PolicyError(message));
  });

  test('errors are PolicyError instances', () => {
    expect(() => parsePolicy(null)).toThrow(PolicyError);
  });
});

describe('loadPolicyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwlb-policy-'));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('loads and compiles a file', () => {
    const path = write('ok.json', JSON.stringify({ defaultAction: 'drop', rules: [{ action: 'allow', protocol: 'udp' }] }));
    const policy = loadPolicyFile(path);
    expect([policy.ruleCount, policy.defaultAction]).toEqual([1, 'drop']);
  });

  test('fails naming the file on invalid JSON, a validation error, or a missing file', () => {
    const bad = write('bad.json', '{"defaultAction": ');
    expect(() => loadPolicyFile(bad)).toThrow(new RegExp(`^${bad}: invalid JSON: `));
    const invalid = write('invalid.json', '{"defaultAction": "allow", "rules": [{"action": "drop", "port": 1}]}');
    expect(() => loadPolicyFile(invalid)).toThrow(new PolicyError(`${invalid}: rules[0].port: unknown field`));
    const missing = join(dir, 'missing.json');
    expect(() => loadPolicyFile(missing)).toThrow(new RegExp(`^${missing}: cannot read policy file: ENOENT`));
  });
});
