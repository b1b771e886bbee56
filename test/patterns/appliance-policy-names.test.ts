import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { parsePolicy } from '../../lib/agent/policy';
import { AppliancePolicy, PortRange, RuleAction, RuleProtocol } from '../../lib/patterns';
import { AppliancePolicyError } from '../../lib/patterns/appliance-policy-error';

describe('AppliancePolicy server-name rules', () => {
  test('an egress allowlist renders serverNames and serverNameInspection in the agent format', () => {
    const policy = AppliancePolicy.fromRules({
      defaultAction: RuleAction.DROP,
      rules: [
        { name: 'dns', action: RuleAction.ALLOW, protocol: RuleProtocol.UDP, destinationPorts: [PortRange.port(53)] },
        { name: 'egress-allowlist', action: RuleAction.ALLOW, serverNames: ['github.com', '*.amazonaws.com', '.pypi.org'] },
      ],
      serverNameInspection: {
        tlsPorts: [443, 8443], httpPorts: [], noNameAction: RuleAction.DROP, malformedAction: RuleAction.DROP,
        maxBytes: 8192, maxPackets: 16, timeout: Duration.millis(2500), maxPendingFlows: 1000,
      },
    });
    const doc = JSON.parse(policy.toJson());
    expect(doc.rules[1]).toEqual({ name: 'egress-allowlist', action: 'allow', serverNames: ['github.com', '*.amazonaws.com', '.pypi.org'] });
    expect(doc.serverNameInspection).toEqual({
      tlsPorts: [443, 8443], httpPorts: [], noNameAction: 'drop', malformedAction: 'drop', maxBytes: 8192, maxPackets: 16,
      timeoutSeconds: 2.5, maxPendingFlows: 1000,
    });
    // The agent reads the same document the same way.
    const compiled = parsePolicy(doc);
    expect(compiled.names?.timeoutMs).toBe(2500);
    expect(compiled.rules[1].serverNames?.has('files.pypi.org')).toBe(true);
  });

  test('fails at synth for a malformed domain pattern, naming the rule field and the pattern', () => {
    expect(() => AppliancePolicy.fromRules({ rules: [{ action: RuleAction.DROP, serverNames: ['good.example', 'bad.*.example'] }] }))
      .toThrow(AppliancePolicyError);
    expect(() => AppliancePolicy.fromRules({ rules: [{ action: RuleAction.DROP, serverNames: ['good.example', 'bad.*.example'] }] }))
      .toThrow('AppliancePolicy.fromRules: invalid policy: rules[0].serverNames[1]: "bad.*.example" is not a valid server-name pattern');
  });

  test('fails for serverNames with a payload condition and for out-of-range inspection settings', () => {
    expect(() => AppliancePolicy.fromRules({ rules: [{ action: RuleAction.DROP, serverNames: ['a.example'], payloadContains: 'x' }] }))
      .toThrow(/rules\[0\]: serverNames .* cannot be combined/);
    expect(() => AppliancePolicy.fromRules({ rules: [{ action: RuleAction.DROP, serverNames: ['a.example'] }], serverNameInspection: { maxPackets: 2 } }))
      .toThrow('serverNameInspection.maxPackets: 2 is not an integer 4-1000');
    expect(() => AppliancePolicy.fromRules({ rules: [{ action: RuleAction.DROP, serverNames: ['a.example'] }], serverNameInspection: { timeout: Duration.minutes(5) } }))
      .toThrow('serverNameInspection.timeoutSeconds: 300 is not a number 0.1-120');
    expect(() => AppliancePolicy.fromRules({ serverNameInspection: { maxBytes: 4096 } }))
      .toThrow('no rule has serverNames and noNameAction is not set');
  });

  test('a rule with serverNames and a token CIDR validates (the token is checked as a CIDR, the names as names)', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const policy = AppliancePolicy.fromRules({
      defaultAction: RuleAction.DROP,
      rules: [{ action: RuleAction.ALLOW, sources: [vpc.vpcCidrBlock], serverNames: ['github.com'] }],
    });
    expect(policy.ruleCount).toBe(1);
  });

  test('a policy file with server-name rules is read and validated at synth', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'names-')), 'p.json');
    fs.writeFileSync(file, JSON.stringify({ defaultAction: 'allow', rules: [{ action: 'drop', serverNames: 'xn--.example' }] }));
    expect(() => AppliancePolicy.fromFile(file)).toThrow(/rules\[0\]\.serverNames: "xn--\.example" is not a valid server-name pattern/);
  });
});
