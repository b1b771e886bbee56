import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AppliancePolicy, PortRange, RuleAction, RuleProtocol } from '../../lib/patterns';
import { AppliancePolicyError } from '../../lib/patterns/appliance-policy-error';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

describe('AppliancePolicy', () => {
  test('allowAll renders an allow-all document with no rules', () => {
    const policy = AppliancePolicy.allowAll();
    expect(JSON.parse(policy.toJson())).toEqual({ defaultAction: 'allow' });
    expect(policy.ruleCount).toBe(0);
  });

  test('fromRules renders every typed field in the agent format', () => {
    const policy = AppliancePolicy.fromRules({
      defaultAction: RuleAction.DROP,
      rules: [
        {
          name: 'web',
          action: RuleAction.ALLOW,
          protocol: RuleProtocol.TCP,
          sources: ['10.0.0.0/8'],
          destinations: ['192.0.2.0/24', '2001:db8::/32'],
          sourcePorts: [PortRange.between(1024, 65535)],
          destinationPorts: [PortRange.port(80), PortRange.port(443)],
          payloadContains: 'GET /',
        },
        { action: RuleAction.DROP, protocol: RuleProtocol.number(47) },
        { name: 'hex', action: RuleAction.DROP, protocol: RuleProtocol.UDP, payloadHex: 'deadbeef' },
      ],
    });
    expect(policy.ruleCount).toBe(3);
    expect(JSON.parse(policy.toJson())).toEqual({
      defaultAction: 'drop',
      rules: [
        {
          name: 'web', action: 'allow', protocol: 'tcp', source: ['10.0.0.0/8'],
          destination: ['192.0.2.0/24', '2001:db8::/32'], sourcePorts: ['1024-65535'],
          destinationPorts: [80, 443], payloadContains: 'GET /',
        },
        { action: 'drop', protocol: 47 },
        { name: 'hex', action: 'drop', protocol: 'udp', payloadHex: 'deadbeef' },
      ],
    });
  });

  test('protocol constants map to the agent names', () => {
    expect([RuleProtocol.TCP, RuleProtocol.UDP, RuleProtocol.ICMP, RuleProtocol.ICMPV6, RuleProtocol.SCTP]
      .map((p) => p.value)).toEqual(['tcp', 'udp', 'icmp', 'icmpv6', 'sctp']);
  });

  test('defaultAction defaults to allow', () => {
    const policy = AppliancePolicy.fromRules({ rules: [{ action: RuleAction.DROP, protocol: RuleProtocol.ICMP }] });
    expect(JSON.parse(policy.toJson()).defaultAction).toBe('allow');
  });

  test('fromFile reads and validates a policy file', () => {
    const policy = AppliancePolicy.fromFile(fixture('policy-valid.json'));
    expect(policy.ruleCount).toBe(2);
    expect(JSON.parse(policy.toJson()).rules[1]).toEqual({ name: 'dns', action: 'allow', protocol: 'udp', destinationPorts: [53] });
  });

  test('CDK tokens are allowed in addresses and kept for deploy time', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const policy = AppliancePolicy.fromRules({
      rules: [{ action: RuleAction.ALLOW, sources: [vpc.vpcCidrBlock] }],
    });
    expect(policy.toJson()).toContain(vpc.vpcCidrBlock);
    expect(stack.resolve(policy.toJson())).toEqual({
      'Fn::Join': ['', expect.arrayContaining([{ 'Fn::GetAtt': [expect.stringMatching(/^Vpc/), 'CidrBlock'] }])],
    });
  });

  test('fails a policy with an invalid CIDR, naming the field and the value', () => {
    expect(() => AppliancePolicy.fromRules({
      rules: [{ action: RuleAction.DROP, destinations: ['10.0.0.0/33'] }],
    })).toThrow(/AppliancePolicy\.fromRules: invalid policy: rules\[0\]\.destination\[0\]: .*10\.0\.0\.0\/33/);
  });

  test('fails a policy with ports on a protocol that has none', () => {
    expect(() => AppliancePolicy.fromRules({
      rules: [{ action: RuleAction.DROP, protocol: RuleProtocol.ICMP, destinationPorts: [PortRange.port(80)] }],
    })).toThrow(/rules\[0\]\.destinationPorts: ports need protocol "tcp", "udp" or "sctp", not "icmp"/);
  });

  test('fails a policy with both payload conditions', () => {
    expect(() => AppliancePolicy.fromRules({
      rules: [{ action: RuleAction.DROP, payloadContains: 'x', payloadHex: '00' }],
    })).toThrow(AppliancePolicyError);
  });

  test('fails a policy with duplicate rule names', () => {
    expect(() => AppliancePolicy.fromRules({
      rules: [{ name: 'a', action: RuleAction.DROP }, { name: 'a', action: RuleAction.ALLOW }],
    })).toThrow(/rules\[1\]\.name: "a" is used by an earlier rule/);
  });

  test('fails a policy file with an invalid port range', () => {
    expect(() => AppliancePolicy.fromFile(fixture('policy-bad-range.json')))
      .toThrow(/policy-bad-range\.json\): invalid policy: rules\[0\]\.destinationPorts\[0\]: "80-70" is not a valid port range/);
  });

  test('fails a policy file that is not JSON', () => {
    expect(() => AppliancePolicy.fromFile(fixture('policy-not-json.json'))).toThrow(/policy-not-json\.json\): invalid JSON/);
  });

  test('fails a policy file that does not exist', () => {
    expect(() => AppliancePolicy.fromFile(fixture('missing.json'))).toThrow(/missing\.json\): cannot read the file/);
  });

  test('fails PortRange outside 0..65535 or reversed', () => {
    expect(() => PortRange.port(65536)).toThrow(/startPort must be a concrete integer 0\.\.65535, got 65536/);
    expect(() => PortRange.port(1.5)).toThrow(/got 1\.5/);
    expect(() => PortRange.between(90, 80)).toThrow(/startPort \(90\) must not exceed endPort \(80\)/);
  });

  test('fails RuleProtocol.number outside 0..255', () => {
    expect(() => RuleProtocol.number(256)).toThrow(/protocolNumber must be an integer 0\.\.255, got 256/);
  });

  test('PortRange renders a single port as a number and a range as a string', () => {
    expect(PortRange.port(22)).toMatchObject({ startPort: 22, endPort: 22 });
    const policy = AppliancePolicy.fromRules({
      rules: [{ action: RuleAction.DROP, protocol: RuleProtocol.TCP, sourcePorts: [PortRange.port(22)], destinationPorts: [PortRange.between(8000, 8080)] }],
    });
    expect(JSON.parse(policy.toJson()).rules[0]).toEqual({ action: 'drop', protocol: 'tcp', sourcePorts: [22], destinationPorts: ['8000-8080'] });
  });

  test('RuleProtocol.number is written to the policy as a number, named protocols as names', () => {
    expect(RuleProtocol.number(47).value).toBe('47');
    const policy = AppliancePolicy.fromRules({ rules: [{ action: RuleAction.DROP, protocol: RuleProtocol.number(47) }, { action: RuleAction.DROP, protocol: RuleProtocol.SCTP }] });
    expect(JSON.parse(policy.toJson()).rules.map((r: { protocol: unknown }) => r.protocol)).toEqual([47, 'sctp']);
  });
});
