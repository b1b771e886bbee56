import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  FlowStickiness, GatewayLoadBalancer, GatewayLoadBalancerListener, GeneveTargetGroup,
} from '../../lib/gwlb';
import { newStack, newVpc } from './util';

function setup() {
  const stack = newStack();
  const vpc = newVpc(stack);
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc });
  return { stack, vpc, lb };
}

describe('GatewayLoadBalancerListener', () => {
  test('no listener attributes by default', () => {
    const { stack, vpc, lb } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc });
    const listener = lb.addListener('Listener', { defaultTargetGroup: tg });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      ListenerAttributes: Match.absent(),
    });
    expect(listener.tcpIdleTimeout).toBeUndefined();
    expect(tg.hasListener).toBe(true);
    expect(stack.resolve(listener.listenerArn)).toEqual({ Ref: stack.getLogicalId(listener.node.defaultChild as any) });
  });

  test('tcpIdleTimeout on the listener is written as tcp.idle_timeout.seconds', () => {
    const { stack, vpc, lb } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc });
    lb.addListener('Listener', { defaultTargetGroup: tg, tcpIdleTimeout: Duration.minutes(10) });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '600' }],
    });
  });

  test("the target group's tcpIdleTimeout is written by its listener, without a warning", () => {
    const { stack, vpc, lb } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, tcpIdleTimeout: Duration.seconds(6000) });
    lb.addListener('Listener', { defaultTargetGroup: tg });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '6000' }],
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('the same tcpIdleTimeout on both is accepted', () => {
    const { stack, vpc, lb } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, tcpIdleTimeout: Duration.seconds(120) });
    lb.addListener('Listener', { defaultTargetGroup: tg, tcpIdleTimeout: Duration.minutes(2) });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '120' }],
    });
  });

  test('can be created directly with an imported load balancer and target group', () => {
    const stack = newStack();
    newVpc(stack);
    const lb = GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'Lb', {
      loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/gwlb/0123456789abcdef',
    });
    const tg = GeneveTargetGroup.fromGeneveTargetGroupAttributes(stack, 'Tg', {
      targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef',
    });
    new GatewayLoadBalancerListener(stack, 'Listener', { loadBalancer: lb, defaultTargetGroup: tg, tcpIdleTimeout: Duration.seconds(60) });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: lb.loadBalancerArn,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.targetGroupArn }],
      ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '60' }],
    });
  });

  test('fromListenerArn imports a listener', () => {
    const stack = newStack();
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/gwy/gwlb/0123456789abcdef/0123456789abcdef';
    expect(GatewayLoadBalancerListener.fromListenerArn(stack, 'L', arn).listenerArn).toBe(arn);
  });

  test.each([59, 6001])('fails with tcpIdleTimeout %d s', (seconds) => {
    const { stack, vpc, lb } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc });
    expect(() => lb.addListener('Listener', { defaultTargetGroup: tg, tcpIdleTimeout: Duration.seconds(seconds) }))
      .toThrow(`tcpIdleTimeout must be between 60 and 6000 seconds, got ${seconds} seconds`);
  });

  test('fails with tcpIdleTimeout and a 3-tuple target group', () => {
    const { stack, vpc, lb } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, stickiness: FlowStickiness.THREE_TUPLE });
    expect(() => lb.addListener('Listener', { defaultTargetGroup: tg, tcpIdleTimeout: Duration.seconds(600) }))
      .toThrow(/tcpIdleTimeout is only supported with 5-tuple flow stickiness.*source_ip_dest_ip_proto/);
  });

  test('fails when listener and target group disagree on tcpIdleTimeout', () => {
    const { stack, vpc, lb } = setup();
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, tcpIdleTimeout: Duration.seconds(300) });
    expect(() => lb.addListener('Listener', { defaultTargetGroup: tg, tcpIdleTimeout: Duration.seconds(600) }))
      .toThrow(/tcpIdleTimeout \(600 s\) differs from the target group's tcpIdleTimeout \(300 s\)/);
  });

  test('fails when the target group is in another VPC', () => {
    const { stack, lb } = setup();
    const other = newVpc(stack, 'Other');
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc: other });
    expect(() => lb.addListener('Listener', { defaultTargetGroup: tg }))
      .toThrow(/defaultTargetGroup Stack\/Tg is in VPC Stack\/Other but the load balancer is in Stack\/Vpc/);
  });

  test('an imported load balancer with a concrete VPC id is checked too', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'A', { vpcId: 'vpc-0aaaaaaaaaaaaaaaa', availabilityZones: ['us-east-1a'] });
    const other = ec2.Vpc.fromVpcAttributes(stack, 'B', { vpcId: 'vpc-0bbbbbbbbbbbbbbbb', availabilityZones: ['us-east-1a'] });
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/gwlb/0123456789abcdef';
    const lb = GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'Lb', { loadBalancerArn: arn, vpc });
    expect(lb.vpc).toBe(vpc);
    const same = new GeneveTargetGroup(stack, 'Same', { vpc });
    new GatewayLoadBalancerListener(stack, 'Ok', { loadBalancer: lb, defaultTargetGroup: same });
    const tg = new GeneveTargetGroup(stack, 'Tg', { vpc: other });
    expect(() => new GatewayLoadBalancerListener(stack, 'Listener', { loadBalancer: lb, defaultTargetGroup: tg }))
      .toThrow(/is in VPC Stack\/B but the load balancer is in Stack\/A/);
  });
});
