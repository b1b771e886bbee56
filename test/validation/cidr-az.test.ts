import { sameAz } from '../../lib/validation/az';
import { AddressFamily, cidrRelation, CidrRelation, cidrSubnets, ipInCidr, parseIpv4Cidr, parseIpv6Cidr } from '../../lib/validation/cidr';
import { Unresolved } from '../../lib/validation/resolve';
import { cidrToken, describeValue, itemToken } from '../../lib/validation/tokens';

describe('cidr helpers', () => {
  test('parseIpv4Cidr normalizes the network and rejects malformed blocks', () => {
    expect(parseIpv4Cidr('10.0.1.7/24')).toEqual({ network: (10 << 24 | 1 << 8) >>> 0, prefix: 24 });
    expect(parseIpv4Cidr('10.0.300.0/24')).toBeUndefined();
    expect(parseIpv4Cidr('10.0.0.0/33')).toBeUndefined();
    expect(parseIpv4Cidr('fd00::/8')).toBeUndefined();
  });

  test('cidrRelation: equal, contains, other, unknown', () => {
    expect(cidrRelation('10.0.1.0/24', '10.0.1.0/24')).toBe(CidrRelation.EQUAL);
    expect(cidrRelation('10.0.1.9/24', '10.0.1.0/24')).toBe(CidrRelation.EQUAL);
    expect(cidrRelation('0.0.0.0/0', '10.0.1.0/24')).toBe(CidrRelation.CONTAINS);
    expect(cidrRelation('10.0.1.0/24', '10.0.0.0/16')).toBe(CidrRelation.OTHER);
    expect(cidrRelation('10.0.2.0/24', '10.0.1.0/24')).toBe(CidrRelation.OTHER);
    expect(cidrRelation('{{param:S0.Cidr}}', '10.0.1.0/24')).toBe(CidrRelation.UNKNOWN);
    expect(cidrRelation('{{param:S0.Cidr}}', '{{param:S0.Cidr}}')).toBe(CidrRelation.EQUAL);
  });

  test('cidrSubnets implements Fn::Cidr and refuses impossible splits', () => {
    expect(cidrSubnets('192.168.0.0/24', 4, 6)).toEqual(['192.168.0.0/26', '192.168.0.64/26', '192.168.0.128/26', '192.168.0.192/26']);
    expect(cidrSubnets('192.168.0.0/24', 5, 6)).toBeUndefined();
    expect(cidrSubnets('192.168.0.0/24', 1, 9)).toBeUndefined();
  });

  test('parseIpv6Cidr handles :: compression, a dotted IPv4 tail and normalizes the network', () => {
    expect(parseIpv6Cidr('2600:1f18:4000:aa0b::1/64')).toEqual({ family: AddressFamily.IPV6, network: 0x26001f184000aa0bn << 64n, prefix: 64 });
    expect(parseIpv6Cidr('::/0')).toEqual({ family: AddressFamily.IPV6, network: 0n, prefix: 0 });
    expect(parseIpv6Cidr('64:ff9b::1.2.3.4/128')?.network).toBe((0x64ff9bn << 96n) | 0x01020304n);
    expect(parseIpv6Cidr('1:2:3:4:5:6:7:8/128')?.network).toBe(0x00010002000300040005000600070008n);
    for (const bad of ['1::2::3/64', '1:2:3/64', '12345::/64', '::/129', '10.0.0.0/8', '1:2:3:4:5:6:7:8::/64']) {
      expect(parseIpv6Cidr(bad)).toBeUndefined();
    }
  });

  test('cidrRelation compares IPv6 blocks and never mixes families', () => {
    expect(cidrRelation('::/0', '2600:1f18:4000:aa0b::/64')).toBe(CidrRelation.CONTAINS);
    expect(cidrRelation('2600:1f18:4000:aa0a::/63', '2600:1f18:4000:aa0b::/64')).toBe(CidrRelation.CONTAINS);
    expect(cidrRelation('2600:1f18:4000:aa0a::/64', '2600:1f18:4000:aa0b::/64')).toBe(CidrRelation.OTHER);
    expect(cidrRelation('2600:1f18:4000:aa0b:0::/64', '2600:1f18:4000:aa0b::/64')).toBe(CidrRelation.EQUAL);
    expect(cidrRelation('::/0', '10.0.0.0/8')).toBe(CidrRelation.OTHER);
  });

  test('cidrRelation compares Fn::Cidr blocks of the same deploy-time block by their offsets', () => {
    const vpc = itemToken('{{att:S0.Vpc.Ipv6CidrBlocks}}', 0);
    expect(cidrRelation(cidrToken(vpc, '64', 10), cidrToken(vpc, '64', 10))).toBe(CidrRelation.EQUAL);
    expect(cidrRelation(cidrToken(vpc, '64', 10), cidrToken(vpc, '64', 11))).toBe(CidrRelation.OTHER);
    expect(cidrRelation(cidrToken(vpc, '68', 0), cidrToken(vpc, '64', 15))).toBe(CidrRelation.CONTAINS);
    expect(cidrRelation(cidrToken(vpc, '64', 15), cidrToken(vpc, '68', 0))).toBe(CidrRelation.OTHER);
    expect(cidrRelation(cidrToken(vpc, '64', 0), cidrToken(itemToken('{{att:S0.Vpc.Ipv6CidrBlocks}}', 1), '64', 0))).toBe(CidrRelation.UNKNOWN);
    expect(cidrRelation(cidrToken(vpc, '64', 0), '2600::/64')).toBe(CidrRelation.UNKNOWN);
  });

  test('cidrSubnets implements Fn::Cidr for IPv6 (RFC 5952 text)', () => {
    expect(cidrSubnets('2600:1f18:4000:aa00::/56', 3, 64)).toEqual(['2600:1f18:4000:aa00::/64', '2600:1f18:4000:aa01::/64', '2600:1f18:4000:aa02::/64']);
    expect(cidrSubnets('2600:1f18:4000:aa00::/56', 256, 64)?.[255]).toBe('2600:1f18:4000:aaff::/64');
    expect(cidrSubnets('2600:1f18:4000:aa00::/56', 257, 64)).toBeUndefined();
    expect(cidrSubnets('fd00::/120', 2, 4)).toEqual(['fd00::/124', 'fd00::10/124']);
  });

  test('ipInCidr', () => {
    expect(ipInCidr('10.1.10.5', '10.1.10.0/24')).toBe(true);
    expect(ipInCidr('10.1.11.5', '10.1.10.0/24')).toBe(false);
  });
});

describe('sameAz', () => {
  const az = (region: string, i: number) => `{{az:${region}#${i}}}`;

  test('literal AZ names compare literally', () => {
    expect(sameAz('us-east-1a', 'us-east-1a')).toBe(true);
    expect(sameAz('us-east-1a', 'us-east-1b')).toBe(false);
  });

  test('Fn::GetAZs selections compare by region and index', () => {
    expect(sameAz(az('AWS::Region', 0), az('AWS::Region', 0))).toBe(true);
    expect(sameAz(az('AWS::Region', 0), az('AWS::Region', 1))).toBe(false);
    expect(sameAz(az('eu-west-1', 0), az('us-east-1', 0))).toBe(false);
  });

  test('a literal against a symbolic AZ, or an unresolved one, cannot be decided', () => {
    expect(sameAz('us-east-1a', az('AWS::Region', 0))).toBeUndefined();
    expect(sameAz(az('eu-west-1', 0), az('AWS::Region', 0))).toBeUndefined();
    expect(sameAz(new Unresolved('x'), 'us-east-1a')).toBeUndefined();
    expect(sameAz(undefined, 'us-east-1a')).toBeUndefined();
  });

  test('describeValue renders tokens readably', () => {
    expect(describeValue(az('AWS::Region', 1))).toBe('GetAZs[1]');
    expect(describeValue(az('eu-west-1', 0))).toBe('GetAZs(eu-west-1)[0]');
    expect(describeValue('com.amazonaws.vpce.{{AWS::Region}}.{{ref:S1.Service}}')).toBe('com.amazonaws.vpce.${AWS::Region}.Service');
  });

  test('describeValue renders nested list items and Fn::Cidr blocks innermost first', () => {
    const block = cidrToken(itemToken('{{att:S0.Vpc.Ipv6CidrBlocks}}', 0), '64', 3);
    expect(describeValue(block)).toBe('Cidr(Vpc.Ipv6CidrBlocks[0], 64 host bits)[3]');
    expect(describeValue(cidrToken('{{param:S1.Base}}', '8', 2))).toBe('Cidr(parameter Base, 8 host bits)[2]');
    expect(describeValue('AZ {{az:eu-west-1#2}} of (x)')).toBe('AZ GetAZs(eu-west-1)[2] of (x)');
  });
});
