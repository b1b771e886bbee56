import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Appliance, AppliancePolicy, GwlbInspection, InspectionVpc, PortRange, RuleAction, RuleProtocol } from '../../lib/patterns';
import { onlyResource, userDataText } from './support/synth';

function synth(policy: AppliancePolicy): Template {
  const app = new App();
  const stack = new Stack(app, 'Inspected', { env: { account: '111122223333', region: 'eu-west-1' } });
  new GwlbInspection(stack, 'Gwlb', { inspectionVpcProps: { appliance: Appliance.agent({ policy }) } });
  return Template.fromStack(stack);
}

describe('live policy: the policy lives in an SSM parameter, not in the launch template', () => {
  const permissive = AppliancePolicy.allowAll();
  const strict = AppliancePolicy.fromRules({
    defaultAction: RuleAction.DROP,
    rules: [
      { name: 'web', action: RuleAction.ALLOW, protocol: RuleProtocol.TCP, destinationPorts: [PortRange.port(80), PortRange.port(443)] },
      { name: 'no-evil', action: RuleAction.DROP, payloadContains: 'EVIL' },
    ],
  });

  test('two apps that differ only in the policy have byte-identical launch templates and user data', () => {
    const a = synth(permissive);
    const b = synth(strict);
    const launchTemplates = (t: Template) => JSON.stringify(t.findResources('AWS::EC2::LaunchTemplate'));
    expect(launchTemplates(a)).toBe(launchTemplates(b));
    expect(Object.keys(a.findResources('AWS::EC2::LaunchTemplate'))).toHaveLength(2); // appliances and web servers
    const applianceUserData = (t: Template) => Object.values(t.findResources('AWS::EC2::LaunchTemplate'))
      .map((lt) => userDataText(lt)).find((u) => u.includes('gwlb-agent'))!;
    expect(applianceUserData(a)).toBe(applianceUserData(b));
    // ... and the Auto Scaling groups too: nothing that would start a rolling replacement changes.
    expect(JSON.stringify(a.findResources('AWS::AutoScaling::AutoScalingGroup'))).toBe(JSON.stringify(b.findResources('AWS::AutoScaling::AutoScalingGroup')));
    // Only the parameter's value differs.
    const value = (t: Template) => onlyResource(t, 'AWS::SSM::Parameter')[1].Properties.Value;
    expect(value(a)).toBe('{"defaultAction":"allow"}');
    expect(JSON.parse(value(b))).toEqual({ defaultAction: 'drop', rules: [
      { name: 'web', action: 'allow', protocol: 'tcp', destinationPorts: [80, 443] },
      { name: 'no-evil', action: 'drop', payloadContains: 'EVIL' },
    ] });
  });

  test('a policy above 4 KB goes into an advanced-tier parameter', () => {
    const rules = Array.from({ length: 70 }, (_, i) => ({ name: `block-${i}`, action: RuleAction.DROP, sources: [`198.51.100.${i}/32`] }));
    const t = synth(AppliancePolicy.fromRules({ rules }));
    expect(AppliancePolicy.fromRules({ rules }).estimatedParameterBytes()).toBeGreaterThan(4096);
    t.hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Advanced' });
  });

  test('fails at synth for a policy larger than an SSM parameter holds, naming the size and the limit', () => {
    const rules = Array.from({ length: 200 }, (_, i) => ({ name: `block-${i}`, action: RuleAction.DROP, sources: [`198.51.100.${i % 250}/32`] }));
    expect(() => synth(AppliancePolicy.fromRules({ rules }))).toThrow(/policy is about \d+ bytes as compact JSON; an SSM parameter holds at most 8192/);
  });

  test('fails at synth for a metrics interval or poll interval out of range, and for an AWS/ namespace', () => {
    const stack = () => new Stack(new App(), 'S');
    const { Duration } = jest.requireActual('aws-cdk-lib');
    expect(() => new InspectionVpc(stack(), 'I', { appliance: Appliance.agent({ metricsInterval: Duration.seconds(5) }) }))
      .toThrow(/metricsInterval must be 10\.\.3600 whole seconds, got 5 s/);
    expect(() => new InspectionVpc(stack(), 'I', { appliance: Appliance.agent({ policyPollInterval: Duration.hours(2) }) }))
      .toThrow(/policyPollInterval must be 5\.\.3600 whole seconds, got 7200 s/);
    expect(() => new InspectionVpc(stack(), 'I', { appliance: Appliance.agent({ metricsNamespace: 'AWS/Mine' }) }))
      .toThrow(/metricsNamespace "AWS\/Mine" is not a custom CloudWatch namespace/);
  });
});

describe('fail fast: instances signal CloudFormation only when healthy', () => {
  const t = synth(AppliancePolicy.allowAll());
  const groups = Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'));

  test('both groups wait for a signal per instance at creation and in every rolling batch', () => {
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      expect(g.CreationPolicy.ResourceSignal).toEqual({ Count: 2, Timeout: expect.stringMatching(/^PT1[05]M$/) });
      expect(g.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 1, WaitOnResourceSignals: true });
    }
  });

  test('the user data installs cfn-signal, signals its exit status, and fails unless the service answers', () => {
    const scripts = Object.entries(t.findResources('AWS::EC2::LaunchTemplate'))
      .map(([, lt]) => userDataText(lt));
    for (const script of scripts) {
      expect(script).toMatch(/^#!\/bin\/bash\nfunction exitTrap\(\)\{\nexitCode=\$\?\n\/opt\/aws\/bin\/cfn-signal --stack Inspected --resource \S+ --region eu-west-1 -e \$exitCode/);
      expect(script).toContain('trap exitTrap EXIT\nset -euo pipefail\n');
      expect(script).toContain('dnf install -y aws-cfn-bootstrap\n');
    }
    expect(scripts.some((s) => s.includes("until curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:8080/healthz"))).toBe(true);
    expect(scripts.some((s) => s.includes("timeout 300 bash -c 'until curl -fsS -o /dev/null --max-time 2 http://127.0.0.1/;"))).toBe(true);
  });
});
