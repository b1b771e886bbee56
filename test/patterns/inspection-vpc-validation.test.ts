import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { FlowStickiness, GeneveHealthCheckProtocol } from '../../lib/gwlb';
import { Appliance, AppliancePolicy, ApplianceScaling, InspectionVpc, InspectionVpcProps, RuleAction } from '../../lib/patterns';
import { resourcesOfType } from './support/synth';

function build(props: InspectionVpcProps = {}, stack = new Stack()) {
  const inspection = new InspectionVpc(stack, 'Inspection', props);
  return { stack, inspection, template: Template.fromStack(stack) };
}

describe('InspectionVpc validation', () => {
  const importedVpc = (stack: Stack, azs: string[], cidrs?: string[]) => ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
    vpcId: 'vpc-0123456789abcdef0', availabilityZones: azs, privateSubnetIds: azs.map((_, i) => `subnet-0${i}${i}${i}${i}${i}${i}${i}${i}`), privateSubnetIpv4CidrBlocks: cidrs,
  });

  test('fails with both existingVpc and cidr', () => {
    const stack = new Stack();
    expect(() => build({ existingVpc: new ec2.Vpc(stack, 'V'), cidr: '10.0.0.0/16' }, stack))
      .toThrow(/cidr \(10\.0\.0\.0\/16\) configures a new VPC and cannot be used with existingVpc/);
  });

  test('fails with maxAzs below 2', () => {
    expect(() => build({ maxAzs: 1 })).toThrow(/maxAzs must be an integer of at least 2.*got 1/);
  });

  test('fails when the appliance subnets are in one availability zone', () => {
    const stack = new Stack();
    expect(() => build({ existingVpc: importedVpc(stack, ['eu-west-1a'], ['10.1.1.0/24']) }, stack))
      .toThrow(/applianceSubnets \(vpcSubnets\) must span at least 2 availability zones, got 1/);
  });

  test('fails when two appliance subnets share a zone', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-01111111', 'subnet-02222222', 'subnet-03333333', 'subnet-04444444'], privateSubnetIpv4CidrBlocks: ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.4.0/24'],
    });
    expect(() => build({ existingVpc: vpc }, stack)).toThrow(/applianceSubnets selected two subnets in availability zone eu-west-1a/);
  });

  test('an existing VPC with only isolated subnets hosts the appliances in them (like a new VPC with natGateways: 0)', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Isolated', { natGateways: 0, subnetConfiguration: [{ name: 'Only', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const { inspection, template } = build({ existingVpc: vpc }, stack);
    expect(inspection.applianceSubnets).toEqual(vpc.isolatedSubnets);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Subnets: vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId)),
    });
  });

  test('fails an existing VPC with only public subnets, naming the prop', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Public', { natGateways: 0, subnetConfiguration: [{ name: 'Only', subnetType: ec2.SubnetType.PUBLIC }] });
    expect(() => build({ existingVpc: vpc }, stack)).toThrow(/applianceSubnets: There are no 'Isolated' subnet groups in this VPC/);
  });

  test('fails Appliance.custom without a health check: the agent\'s 8080 /healthz is not the vendor\'s', () => {
    const userData = ec2.UserData.forLinux();
    expect(() => build({ appliance: Appliance.custom({ machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0f1e2d3c4b5a69788' }), userData }) },
      new Stack(undefined, 'S', { env: { region: 'us-east-1' } })))
      .toThrow(/S\/Inspection: healthCheck is required with Appliance.custom\(...\): the health port and path of your appliance are its vendor's/);
  });

  test('a custom appliance\'s partial health check takes the GWLB defaults, not the agent\'s port and path', () => {
    const userData = ec2.UserData.forLinux();
    const { template } = build({
      appliance: Appliance.custom({ machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0f1e2d3c4b5a69788' }), userData }),
      healthCheck: { protocol: GeneveHealthCheckProtocol.HTTP },
    }, new Stack(undefined, 'S', { env: { region: 'us-east-1' } }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckProtocol: 'HTTP', HealthCheckPort: '80', HealthCheckPath: '/' });
  });

  test.each([
    ['environment-agnostic', {}, /maxAzs is 3 but stack Default is environment-agnostic, so CDK knows only 2 availability zones and would silently build 2: set env: \{ account, region \}/],
    ['region-only', { env: { region: 'eu-west-1' } }, /maxAzs is 6 but stack Default is region-only \(no account\), so CDK knows only 2/],
  ])('fails maxAzs above the zones a %s stack knows', (_, stackProps, message) => {
    const maxAzs = message.source.includes('6') ? 6 : 3;
    expect(() => build({ maxAzs }, new Stack(undefined, undefined, stackProps))).toThrow(message);
  });

  test('fails when subnet CIDR blocks are unknown', () => {
    const stack = new Stack();
    expect(() => build({ existingVpc: importedVpc(stack, ['eu-west-1a', 'eu-west-1b']) }, stack))
      .toThrow(/applianceSubnets: the IPv4 CIDR block of subnet .* is unknown/);
  });

  test('fails min > max, naming both values', () => {
    expect(() => build({ minCapacity: 5, maxCapacity: 3 })).toThrow(/minCapacity \(5\) must not exceed maxCapacity \(3\)/);
  });

  test('fails desired < min and desired > max', () => {
    expect(() => build({ minCapacity: 2, desiredCapacity: 1 })).toThrow(/desiredCapacity \(1\) must be at least minCapacity \(2\)/);
    expect(() => build({ maxCapacity: 4, desiredCapacity: 5 })).toThrow(/desiredCapacity \(5\) must not exceed maxCapacity \(4\)/);
  });

  test('fails a TCP idle timeout with 2-tuple or 3-tuple stickiness', () => {
    for (const stickiness of [FlowStickiness.TWO_TUPLE, FlowStickiness.THREE_TUPLE]) {
      expect(() => build({ stickiness, tcpIdleTimeout: Duration.seconds(600) }))
        .toThrow(new RegExp(`tcpIdleTimeout is only supported with 5-tuple flow stickiness.*${stickiness}`));
    }
  });

  test('fails health-check values out of range', () => {
    expect(() => build({ healthCheck: { interval: Duration.seconds(301) } })).toThrow(/healthCheck\.interval must be between 5 and 300 seconds, got 301/);
    expect(() => build({ healthCheck: { healthyThresholdCount: 11 } })).toThrow(/healthCheck\.healthyThresholdCount must be an integer between 2 and 10, got 11/);
    expect(() => build({ healthCheck: { port: 70000 } })).toThrow(/healthCheck\.port must be an integer between 1 and 65535, got 70000/);
    expect(() => build({ healthCheck: { interval: Duration.seconds(5), timeout: Duration.seconds(6) } }))
      .toThrow(/healthCheck\.timeout \(6 s\) must not exceed healthCheck\.interval \(5 s\)/);
  });

  test('fails a deregistration delay over an hour', () => {
    expect(() => build({ deregistrationDelay: Duration.seconds(3601) })).toThrow(/deregistrationDelay must be between 0 and 3600 seconds, got 3601/);
  });

  test('fails an HTTPS or traffic-port health check with the bundled agent', () => {
    expect(() => build({ healthCheck: { protocol: GeneveHealthCheckProtocol.HTTPS } })).toThrow(/healthCheck\.protocol HTTPS is not served by the bundled agent/);
    expect(() => build({ healthCheck: { trafficPort: true, protocol: GeneveHealthCheckProtocol.TCP } })).toThrow(/healthCheck\.trafficPort cannot be used with the bundled agent/);
  });

  test('fails synth on a bad policy', () => {
    expect(() => build({
      appliance: Appliance.agent({ policy: AppliancePolicy.fromFile(path.join(__dirname, 'fixtures', 'policy-bad-range.json')) }),
    })).toThrow(/invalid policy: rules\[0\]\.destinationPorts\[0\]: "80-70" is not a valid port range/);
    expect(() => build({
      appliance: Appliance.agent({ policy: AppliancePolicy.fromRules({ rules: [{ action: RuleAction.DROP, sources: ['not-a-cidr'] }] }) }),
    })).toThrow(/rules\[0\]\.source\[0\]/);
  });

  test('fails scaling targets out of range', () => {
    expect(() => ApplianceScaling.cpu(0)).toThrow(/targetUtilizationPercent must be greater than 0 and at most 100, got 0/);
    expect(() => ApplianceScaling.cpu(101)).toThrow(/got 101/);
    expect(() => ApplianceScaling.networkIn(-1)).toThrow(/targetBytesPerSecond must be a positive number, got -1/);
  });

  test('the construct ids are stable: every resource has its documented path', () => {
    const { inspection } = build();
    expect(inspection.gatewayLoadBalancer.node.path).toBe('Default/Inspection/GatewayLoadBalancer');
    expect(inspection.autoScalingGroup.node.path).toBe('Default/Inspection/Appliances/AutoScalingGroup');
    expect(resourcesOfType(Template.fromStack(Stack.of(inspection)), 'AWS::EC2::LaunchTemplate')).toHaveLength(1);
  });
});
