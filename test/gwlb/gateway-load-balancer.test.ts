import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { GatewayLoadBalancer, GeneveTargetGroup } from '../../lib/gwlb';
import { newStack, newVpc } from './util';

describe('GatewayLoadBalancer', () => {
  test('defaults: type gateway, one private subnet per AZ, cross-zone and deletion protection off', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc });

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'gateway',
      Name: Match.absent(),
      Scheme: Match.absent(),
      Subnets: vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId)),
      LoadBalancerAttributes: [
        { Key: 'load_balancing.cross_zone.enabled', Value: 'false' },
        { Key: 'deletion_protection.enabled', Value: 'false' },
      ],
    });
    expect(lb.crossZoneEnabled).toBe(false);
    expect(lb.deletionProtection).toBe(false);
    expect(lb.availabilityZones).toEqual(['dummy1a', 'dummy1b']);
    expect(lb.subnets).toEqual(vpc.isolatedSubnets);
    expect(lb.vpc).toBe(vpc);
    expect(lb.node.defaultChild).toBeDefined();
  });

  test('default selection prefers private subnets with egress over isolated ones', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ] });
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc });
    expect(lb.subnets).toEqual(vpc.privateSubnets);
  });

  test('default selection takes one subnet per AZ when the VPC has two private groups', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'A', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      { name: 'B', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ] });
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc });
    expect(lb.subnets).toHaveLength(2);
    expect(lb.availabilityZones).toEqual(['dummy1a', 'dummy1b']);
  });

  test('crossZoneEnabled, deletionProtection, loadBalancerName and vpcSubnets are written', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      crossZoneEnabled: true,
      deletionProtection: true,
      loadBalancerName: 'inspection-gwlb',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Name: 'inspection-gwlb',
      Subnets: vpc.publicSubnets.map((s) => stack.resolve(s.subnetId)),
      LoadBalancerAttributes: [
        { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
        { Key: 'deletion_protection.enabled', Value: 'true' },
      ],
    });
    expect(lb.crossZoneEnabled).toBe(true);
  });

  test('exposes ARN, name and full name attributes', () => {
    const stack = newStack();
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    const logicalId = stack.getLogicalId(lb.node.defaultChild as any);
    expect(stack.resolve(lb.loadBalancerArn)).toEqual({ Ref: logicalId });
    expect(stack.resolve(lb.loadBalancerName)).toEqual({ 'Fn::GetAtt': [logicalId, 'LoadBalancerName'] });
    expect(stack.resolve(lb.loadBalancerFullName)).toEqual({ 'Fn::GetAtt': [logicalId, 'LoadBalancerFullName'] });
  });

  test('addListener creates a portless listener forwarding to the target group', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc });
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc });
    const listener = lb.addListener('Listener', { defaultTargetGroup: tg });

    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: stack.resolve(lb.loadBalancerArn),
      Port: Match.absent(),
      Protocol: Match.absent(),
      DefaultActions: [{ Type: 'forward', TargetGroupArn: stack.resolve(tg.targetGroupArn) }],
    });
    expect(listener.node.scope).toBe(lb);
    expect(listener.loadBalancer).toBe(lb);
  });

  test('fromGatewayLoadBalancerAttributes imports by ARN and takes its environment', () => {
    const stack = newStack();
    const arn = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/gwy/my-gwlb/0123456789abcdef';
    const lb = GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'Imported', { loadBalancerArn: arn });
    expect(lb.loadBalancerArn).toBe(arn);
    expect(lb.env.region).toBe('eu-west-1');
    expect(lb.env.account).toBe('111122223333');
    newVpc(stack);
    Template.fromStack(stack).resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
  });

  test('fromGatewayLoadBalancerAttributes accepts a token ARN', () => {
    const stack = newStack();
    const arn = new CfnParameter(stack, 'GwlbArnParam').valueAsString;
    const lb = GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'Imported', { loadBalancerArn: arn });
    expect(stack.resolve(lb.loadBalancerArn)).toEqual({ Ref: 'GwlbArnParam' });
  });

  test('fails to import a non-gateway load balancer ARN, naming the value', () => {
    const stack = newStack();
    const arn = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/my-nlb/0123456789abcdef';
    expect(() => GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'Imported', { loadBalancerArn: arn }))
      .toThrow(/loadBalancerArn must be a Gateway Load Balancer ARN.*loadbalancer\/net\/my-nlb/);
  });

  test('fails when the selection has two subnets in one AZ', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'A', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      { name: 'B', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ] });
    expect(() => new GatewayLoadBalancer(stack, 'Gwlb', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }))
      .toThrow(/vpcSubnets selected two subnets in availability zone "dummy1a"/);
  });

  test('fails when two imported subnets share an AZ', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    const subnets = ['subnet-1', 'subnet-2'].map((subnetId) =>
      ec2.Subnet.fromSubnetAttributes(stack, subnetId, { subnetId, availabilityZone: 'us-east-1a' }));
    expect(() => new GatewayLoadBalancer(stack, 'Gwlb', { vpc, vpcSubnets: { subnets } }))
      .toThrow(/two subnets in availability zone "us-east-1a"/);
  });

  test('fails when the selection has no subnets', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    expect(() => new GatewayLoadBalancer(stack, 'Gwlb', { vpc, vpcSubnets: { subnets: [] } }))
      .toThrow(/vpcSubnets selected no subnets/);
  });

  test('fails when the selection only matches AZs without subnets', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    expect(() => new GatewayLoadBalancer(stack, 'Gwlb', { vpc, vpcSubnets: { availabilityZones: ['dummy1c'] } }))
      .toThrow(/vpcSubnets selected no subnets/);
  });

  test.each(['-gwlb', 'gwlb-', 'internal-gwlb', 'a'.repeat(33), 'gw_lb'])('fails with invalid loadBalancerName %s', (name) => {
    const stack = newStack();
    expect(() => new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack), loadBalancerName: name }))
      .toThrow(new RegExp(`loadBalancerName must be .*got '${name}'`));
  });

  test('accepts a token loadBalancerName', () => {
    const stack = newStack();
    const name = new CfnParameter(stack, 'NameParam').valueAsString;
    new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack), loadBalancerName: name });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Name: { Ref: 'NameParam' },
    });
  });

  test('works in an environment-agnostic stack (token AZs)', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = newVpc(stack);
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc });
    expect(lb.subnets).toHaveLength(2);
    Template.fromStack(stack).resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
  });
});
