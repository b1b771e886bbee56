import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  FlowStickiness, GatewayLoadBalancer, GatewayLoadBalancerEndpointService, GeneveTargetGroup, GeneveTargetGroupProps, TargetFailover,
} from '../../lib/gwlb';
import { InspectionVpc } from '../../lib/patterns';
import { newStack, newVpc } from './util';

function targetGroup(props: Partial<GeneveTargetGroupProps> = {}) {
  const stack = newStack();
  const vpc = newVpc(stack);
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc });
  const tg = new GeneveTargetGroup(stack, 'TargetGroup', { vpc, ...props });
  return { stack, vpc, lb, tg };
}

const attributesOf = (template: Template, type: string, key: string) =>
  Object.values(template.findResources(type)).map((r) => r.Properties[key]);

describe('TCP reset (send_tcp_reset.*)', () => {
  test('target group attributes are written as true/false strings', () => {
    const { stack, lb, tg } = targetGroup({ tcpResetOnUnhealthy: true, tcpResetOnDeregistration: false });
    lb.addListener('Listener', { defaultTargetGroup: tg });
    expect(attributesOf(Template.fromStack(stack), 'AWS::ElasticLoadBalancingV2::TargetGroup', 'TargetGroupAttributes')).toEqual([[
      { Key: 'send_tcp_reset.on_unhealthy.enabled', Value: 'true' },
      { Key: 'send_tcp_reset.on_deregistration.enabled', Value: 'false' },
    ]]);
    expect(tg.tcpResetOnUnhealthy).toBe(true);
  });

  test('the listener attribute is written beside the idle timeout', () => {
    const { stack, lb, tg } = targetGroup();
    const listener = lb.addListener('Listener', { defaultTargetGroup: tg, tcpIdleTimeout: Duration.seconds(600), tcpResetOnIdleTimeout: true });
    expect(attributesOf(Template.fromStack(stack), 'AWS::ElasticLoadBalancingV2::Listener', 'ListenerAttributes')).toEqual([[
      { Key: 'tcp.idle_timeout.seconds', Value: '600' },
      { Key: 'send_tcp_reset.on_idle_timeout.enabled', Value: 'true' },
    ]]);
    expect(listener.tcpResetOnIdleTimeout).toBe(true);
  });

  test('nothing is written by default', () => {
    const { stack, lb, tg } = targetGroup();
    lb.addListener('Listener', { defaultTargetGroup: tg });
    const template = Template.fromStack(stack);
    expect(JSON.stringify(template.toJSON())).not.toContain('send_tcp_reset');
  });

  test.each([FlowStickiness.THREE_TUPLE, FlowStickiness.TWO_TUPLE])('fails target group resets with stickiness %s', (stickiness) => {
    expect(() => targetGroup({ stickiness, tcpResetOnDeregistration: true }))
      .toThrow(new RegExp(`tcpResetOnDeregistration need 5-tuple flow stickiness \\(FlowStickiness.FIVE_TUPLE\\), got stickiness ${stickiness}`));
  });

  test('fails the idle-timeout reset on a listener whose target group is not 5-tuple', () => {
    const { lb, tg } = targetGroup({ stickiness: FlowStickiness.TWO_TUPLE });
    expect(() => lb.addListener('Listener', { defaultTargetGroup: tg, tcpResetOnIdleTimeout: true }))
      .toThrow(/tcpResetOnIdleTimeout needs 5-tuple flow stickiness .* uses stickiness source_ip_dest_ip/);
  });

  test('disabling a reset is allowed with any stickiness', () => {
    expect(() => targetGroup({ stickiness: FlowStickiness.TWO_TUPLE, tcpResetOnUnhealthy: false })).not.toThrow();
  });

  test('warns that rebalance takes precedence over the resets', () => {
    const { stack } = targetGroup({ targetFailover: TargetFailover.REBALANCE, tcpResetOnUnhealthy: true, tcpResetOnDeregistration: true });
    Annotations.fromStack(stack).hasWarning('/Stack/TargetGroup', Match.stringLikeRegexp(
      'tcpResetOnUnhealthy and tcpResetOnDeregistration have no effect with targetFailover REBALANCE: rebalancing takes precedence'));
  });

  test('InspectionVpc passes the resets and the capacity reservation through', () => {
    const stack = new Stack();
    new InspectionVpc(stack, 'Inspection', { tcpResetOnUnhealthy: true, tcpResetOnIdleTimeout: true, minimumCapacityUnits: 1500 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'send_tcp_reset.on_unhealthy.enabled', Value: 'true' }]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      ListenerAttributes: [{ Key: 'send_tcp_reset.on_idle_timeout.enabled', Value: 'true' }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { MinimumLoadBalancerCapacity: { CapacityUnits: 1500 } });
  });
});

describe('capacity reservation (MinimumLoadBalancerCapacity)', () => {
  test('writes CapacityUnits', () => {
    const stack = newStack();
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack), minimumCapacityUnits: 100 });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'gateway', MinimumLoadBalancerCapacity: { CapacityUnits: 100 },
    });
    expect(lb.minimumCapacityUnits).toBe(100);
  });

  test('not written by default', () => {
    const stack = newStack();
    new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { MinimumLoadBalancerCapacity: Match.absent() });
  });

  test.each([0, -1, 2.5])('fails minimumCapacityUnits %p', (units) => {
    const stack = newStack();
    expect(() => new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack), minimumCapacityUnits: units }))
      .toThrow(new RegExp(`Stack/Gwlb: minimumCapacityUnits must be a positive integer \\(capacity units to reserve\\), got ${units}`));
  });
});

describe('an ec2.VpcEndpointService around a Gateway Load Balancer', () => {
  test('fails synthesis, naming the service and the fix', () => {
    const stack = newStack();
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    new ec2.VpcEndpointService(stack, 'WrongService', { vpcEndpointServiceLoadBalancers: [lb] });
    expect(() => Template.fromStack(stack)).toThrow(
      /endpoint service Stack\/WrongService\/WrongService lists this Gateway Load Balancer in NetworkLoadBalancerArns, which EC2 rejects.*use GatewayLoadBalancerEndpointService/);
  });

  test('fails it in another stack of the app too', () => {
    const stack = newStack();
    const other = new Stack(stack.node.scope as any, 'Other', { env: stack.environment === undefined ? undefined : { account: stack.account, region: stack.region } });
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    new ec2.VpcEndpointService(other, 'WrongService', { vpcEndpointServiceLoadBalancers: [lb] });
    expect(() => Template.fromStack(other)).toThrow(/endpoint service Other\/WrongService\/WrongService lists this Gateway Load Balancer/);
  });

  test('GatewayLoadBalancerEndpointService passes', () => {
    const stack = newStack();
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpointService', {
      GatewayLoadBalancerArns: [stack.resolve(lb.loadBalancerArn)], NetworkLoadBalancerArns: Match.absent(),
    });
  });
});
