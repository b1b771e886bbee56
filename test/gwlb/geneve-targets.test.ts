import { CfnParameter } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { GeneveTarget, GeneveTargetGroup } from '../../lib/gwlb';
import { newStack, newVpc } from './util';

function setup() {
  const stack = newStack();
  const vpc = newVpc(stack);
  return { stack, vpc };
}

function newAsg(stack: ReturnType<typeof newStack>, vpc: ec2.IVpc, id = 'Asg') {
  return new autoscaling.AutoScalingGroup(stack, id, {
    vpc,
    instanceType: new ec2.InstanceType('c6in.large'),
    machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  });
}

describe('GeneveTarget', () => {
  test('instance targets are registered by instance id', () => {
    const { stack, vpc } = setup();
    const instance = new ec2.Instance(stack, 'Appliance', {
      vpc, instanceType: new ec2.InstanceType('t3.micro'), machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    });
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.instance(instance)] });
    tg.addTarget(GeneveTarget.instance(instance, 6081));
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'instance',
      Targets: [
        { Id: stack.resolve(instance.instanceId) },
        { Id: stack.resolve(instance.instanceId), Port: 6081 },
      ],
    });
  });

  test('IP targets infer target type ip and keep the availability zone', () => {
    const { stack, vpc } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.ip('10.0.1.10')] });
    tg.addTarget(GeneveTarget.ip('192.168.1.20', 'all'), GeneveTarget.ip('100.64.0.5', 'us-east-1a'));
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Targets: [
        { Id: '10.0.1.10' },
        { Id: '192.168.1.20', AvailabilityZone: 'all' },
        { Id: '100.64.0.5', AvailabilityZone: 'us-east-1a' },
      ],
    });
    expect(tg.targetType).toBe(elbv2.TargetType.IP);
  });

  test('an IP target in a public-range VPC CIDR is accepted', () => {
    const stack = newStack();
    const vpc = newVpc(stack, 'Vpc', { ipAddresses: ec2.IpAddresses.cidr('52.0.0.0/16') });
    new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.ip('52.0.3.4')] });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Targets: [{ Id: '52.0.3.4' }],
    });
  });

  test('a token IP address is accepted', () => {
    const { stack, vpc } = setup();
    const address = new CfnParameter(stack, 'Address').valueAsString;
    new GeneveTargetGroup(stack, 'Tg', { vpc, targetType: elbv2.TargetType.IP, targets: [GeneveTarget.ip(address)] });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Targets: [{ Id: { Ref: 'Address' } }],
    });
  });

  test('an Auto Scaling group gets the target group in TargetGroupARNs', () => {
    const { stack, vpc } = setup();
    const asg = newAsg(stack, vpc);
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.autoScalingGroup(asg)] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      TargetGroupARNs: [stack.resolve(tg.targetGroupArn)],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'instance', Targets: Match.absent(),
    });
  });

  test('two Auto Scaling groups and two target groups', () => {
    const { stack, vpc } = setup();
    const a = newAsg(stack, vpc, 'A');
    const b = newAsg(stack, vpc, 'B');
    const tg1 = new GeneveTargetGroup(stack, 'Tg1', { vpc, targets: [GeneveTarget.autoScalingGroup(a), GeneveTarget.autoScalingGroup(b)] });
    const tg2 = new GeneveTargetGroup(stack, 'Tg2', { vpc });
    tg2.addTarget(GeneveTarget.autoScalingGroup(a));
    const template = Template.fromStack(stack);
    const asgs = template.findResources('AWS::AutoScaling::AutoScalingGroup');
    const arns = Object.fromEntries(Object.entries(asgs).map(([id, r]) => [id, r.Properties.TargetGroupARNs]));
    expect(arns[stack.getLogicalId(a.node.defaultChild as any)]).toEqual([stack.resolve(tg1.targetGroupArn), stack.resolve(tg2.targetGroupArn)]);
    expect(arns[stack.getLogicalId(b.node.defaultChild as any)]).toEqual([stack.resolve(tg1.targetGroupArn)]);
  });

  test('fails when the same Auto Scaling group is added twice', () => {
    const { stack, vpc } = setup();
    const asg = newAsg(stack, vpc);
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.autoScalingGroup(asg)] });
    expect(() => tg.addTarget(GeneveTarget.autoScalingGroup(asg))).toThrow(/Auto Scaling group Stack\/Asg is already a target/);
  });

  test('fails to add an Auto Scaling group to an IP target group', () => {
    const { stack, vpc } = setup();
    const asg = newAsg(stack, vpc);
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, targetType: elbv2.TargetType.IP });
    expect(() => tg.addTarget(GeneveTarget.autoScalingGroup(asg)))
      .toThrow(/cannot add a target of type 'instance' to a target group of type 'ip'/);
  });

  test('fails to mix IP and instance targets', () => {
    const { stack, vpc } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.ip('10.0.0.5')] });
    const asg = newAsg(stack, vpc);
    expect(() => tg.addTarget(GeneveTarget.autoScalingGroup(asg)))
      .toThrow(/cannot add a target of type 'instance' to a target group of type 'ip'/);
  });

  test('fails to add an IP target to an instance target group', () => {
    const { stack, vpc } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, targetType: elbv2.TargetType.INSTANCE });
    expect(() => tg.addTarget(GeneveTarget.ip('10.0.0.5')))
      .toThrow(/cannot add a target of type 'ip' to a target group of type 'instance'/);
  });

  test.each(['10.0.0', '10.0.0.256', 'fe80::1', 'appliance.local'])('fails with malformed IP address %s', (address) => {
    const { stack, vpc } = setup();
    expect(() => new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.ip(address)] }))
      .toThrow(`IP target address must be an IPv4 address, got '${address}'`);
  });

  test('fails with a public IP address outside the VPC', () => {
    const { stack, vpc } = setup();
    expect(() => new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.ip('8.8.8.8')] }))
      .toThrow(/IP target address '8.8.8.8' is publicly routable and outside the VPC's subnets \(10.0.0.0\/24, 10.0.1.0\/24, 10.0.2.0\/24, 10.0.3.0\/24\)/);
  });

  test('fails with an empty availability zone', () => {
    const { stack, vpc } = setup();
    expect(() => new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.ip('10.0.0.1', ' ')] }))
      .toThrow(/IP target availabilityZone must be an availability zone name or 'all', got ' '/);
  });

  test.each([80, 0, 70000])('fails with instance target port %d', (port) => {
    const { stack, vpc } = setup();
    const instance = new ec2.Instance(stack, 'Appliance', {
      vpc, instanceType: new ec2.InstanceType('t3.micro'), machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    });
    expect(() => new GeneveTargetGroup(stack, 'Tg', { vpc, targets: [GeneveTarget.instance(instance, port)] }))
      .toThrow(new RegExp(`target port must be .*got ${port}`));
  });
});
