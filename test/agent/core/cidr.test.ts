import {
  CidrError, CidrSet, cidrContainsIPv4, cidrContainsIPv6, formatCidr, formatIPv4, formatIPv6, parseCidr, parseIPv4, parseIPv6,
} from '../../../lib/agent/cidr';

const v6words = (text: string): Uint32Array => {
  const w = new Uint32Array(4);
  if (!parseIPv6(text, w)) throw new Error(`bad test address ${text}`);
  return w;
};

describe('parsing', () => {
  test.each([
    ['10.0.0.0/8', 4, 8, '10.0.0.0/8'],
    ['192.0.2.7', 4, 32, '192.0.2.7/32'],
    ['0.0.0.0/0', 4, 0, '0.0.0.0/0'],
    ['2001:db8:bad::/48', 6, 48, '2001:db8:bad::/48'],
    ['2001:DB8:0:0:0:0:0:1', 6, 128, '2001:db8::1/128'],
    ['::/0', 6, 0, '::/0'],
    ['::ffff:192.0.2.0/120', 6, 120, '::ffff:c000:200/120'],
    ['fe80::/10', 6, 10, 'fe80::/10'],
  ])('%s', (text, family, prefix, formatted) => {
    const c = parseCidr(text);
    expect([c.family, c.prefixLength, formatCidr(c)]).toEqual([family, prefix, formatted]);
  });

  test.each([
    ['10.0.0.0/33', '"10.0.0.0/33" is not a valid CIDR: prefix length "33" is not an integer 0-32'],
    ['10.0.0.0/08', '"10.0.0.0/08" is not a valid CIDR: prefix length "08" is not an integer 0-32'],
    ['10.0.0.0/', '"10.0.0.0/" is not a valid CIDR: prefix length "" is not an integer 0-32'],
    ['2001:db8::/129', '"2001:db8::/129" is not a valid CIDR: prefix length "129" is not an integer 0-128'],
    ['256.0.0.0/8', '"256.0.0.0/8" is not a valid CIDR: "256.0.0.0" is not an IPv4 address'],
    ['010.0.0.0/8', '"010.0.0.0/8" is not a valid CIDR: "010.0.0.0" is not an IPv4 address'],
    ['10.0.0/8', '"10.0.0/8" is not a valid CIDR: "10.0.0" is not an IPv4 address'],
    [' 10.0.0.0/8', '" 10.0.0.0/8" is not a valid CIDR: " 10.0.0.0" is not an IPv4 address'],
    ['2001:db8::1::/64', '"2001:db8::1::/64" is not a valid CIDR: "2001:db8::1::" is not an IPv6 address'],
    ['2001:db8:0:0:0:0:0:0:0/64', '"2001:db8:0:0:0:0:0:0:0/64" is not a valid CIDR: "2001:db8:0:0:0:0:0:0:0" is not an IPv6 address'],
    ['1:2:3:4:5:6:7::8/128', '"1:2:3:4:5:6:7::8/128" is not a valid CIDR: "1:2:3:4:5:6:7::8" is not an IPv6 address'],
    ['fe80::1%eth0', '"fe80::1%eth0" is not a valid CIDR: "fe80::1%eth0" is not an IPv6 address'],
    ['12345::/16', '"12345::/16" is not a valid CIDR: "12345::" is not an IPv6 address'],
    ['192.0.2.1/24', '"192.0.2.1/24" is not a valid CIDR: host bits are set (did you mean 192.0.2.0/24?)'],
    ['2001:db8::1/32', '"2001:db8::1/32" is not a valid CIDR: host bits are set (did you mean 2001:db8::/32?)'],
    ['', '"" is not a valid CIDR: "" is not an IPv4 address'],
  ])('fails on %j', (text, message) => {
    expect(() => parseCidr(text)).toThrow(new CidrError(message));
  });

  test('parseIPv4 returns the u32, or -1', () => {
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304);
    expect(parseIPv4('1.2.3.4.5')).toBe(-1);
    expect(parseIPv4('1.2.3.x')).toBe(-1);
  });
});

describe('matching', () => {
  test('IPv4 at the edges of a /24 and /0', () => {
    const c = parseCidr('192.0.2.0/24');
    expect(cidrContainsIPv4(c, parseIPv4('192.0.2.0'))).toBe(true);
    expect(cidrContainsIPv4(c, parseIPv4('192.0.2.255'))).toBe(true);
    expect(cidrContainsIPv4(c, parseIPv4('192.0.3.0'))).toBe(false);
    expect(cidrContainsIPv4(c, parseIPv4('192.0.1.255'))).toBe(false);
    expect(cidrContainsIPv4(parseCidr('0.0.0.0/0'), 0xffffffff)).toBe(true);
    expect(cidrContainsIPv4(parseCidr('128.0.0.0/1'), 0x80000000)).toBe(true);
    expect(cidrContainsIPv4(parseCidr('128.0.0.0/1'), 0x7fffffff)).toBe(false);
  });

  test('IPv6 prefixes that end inside a word and on word boundaries', () => {
    const c48 = parseCidr('2001:db8:bad::/48');
    expect(cidrContainsIPv6(c48, v6words('2001:db8:bad:ffff::1'))).toBe(true);
    expect(cidrContainsIPv6(c48, v6words('2001:db8:bae::'))).toBe(false);
    const c64 = parseCidr('2001:db8:0:1::/64');
    expect(cidrContainsIPv6(c64, v6words('2001:db8:0:1:ffff:ffff:ffff:ffff'))).toBe(true);
    expect(cidrContainsIPv6(c64, v6words('2001:db8:0:2::'))).toBe(false);
    const host = parseCidr('2001:db8::ffff:ffff');
    expect(cidrContainsIPv6(host, v6words('2001:db8::ffff:ffff'))).toBe(true);
    expect(cidrContainsIPv6(host, v6words('2001:db8::ffff:fffe'))).toBe(false);
  });

  test('families never cross-match', () => {
    expect(cidrContainsIPv4(parseCidr('::/0'), 0)).toBe(false);
    expect(cidrContainsIPv6(parseCidr('0.0.0.0/0'), new Uint32Array(4))).toBe(false);
    const set = new CidrSet([parseCidr('0.0.0.0/0')]);
    expect(set.contains(6, new Uint32Array(4))).toBe(false);
    expect(set.contains(4, new Uint32Array(4))).toBe(true);
  });

  test('CidrSet matches any of its mixed-family entries', () => {
    const set = new CidrSet(['10.0.0.0/8', '192.0.2.0/24', '2001:db8:bad::/48', 'fd00::/8'].map(parseCidr));
    const a4 = new Uint32Array(4);
    a4[0] = parseIPv4('192.0.2.99');
    expect(set.contains(4, a4)).toBe(true);
    a4[0] = parseIPv4('11.0.0.1');
    expect(set.contains(4, a4)).toBe(false);
    expect(set.contains(6, v6words('fdff::1'))).toBe(true);
    expect(set.contains(6, v6words('fe00::1'))).toBe(false);
    expect(set.contains(6, v6words('2001:db8:bad::9'))).toBe(true);
    expect([set.size, set.hasFamily(4), set.hasFamily(6)]).toEqual([4, true, true]);
  });
});

describe('formatting (RFC 5952)', () => {
  test.each([
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['FE80:0:0:0:0:0:0:ABCD', 'fe80::abcd'],
  ])('%s -> %s', (input, expected) => {
    expect(formatIPv6(v6words(input))).toBe(expected);
  });

  test('IPv4 from a u32, including the high bit', () => {
    expect(formatIPv4(0xc0000201)).toBe('192.0.2.1');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
  });
});
