import { sameAz } from '../../lib/validation/az';
import { cidrRelation, CidrRelation, cidrSubnets, ipInCidr, parseIpv4Cidr } from '../../lib/validation/cidr';
import { Unresolved } from '../../lib/validation/resolve';
import { describeValue } from '../../lib/validation/tokens';

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
});
