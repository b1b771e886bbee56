import { CfnParameter, Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import {
  FlowStickiness, GeneveHealthCheckProtocol, GeneveTargetGroup, GeneveTargetGroupProps, TargetFailover,
} from '../../lib/gwlb';
import { newStack, newVpc } from './util';

function synthTargetGroup(props: Partial<GeneveTargetGroupProps> = {}) {
  const stack = newStack();
  const vpc = newVpc(stack);
  const tg = new GeneveTargetGroup(stack, 'Tg', { vpc, ...props });
  return { stack, vpc, tg, template: Template.fromStack(stack) };
}

function attributesOf(template: Template): Array<{ Key: string; Value: string }> | undefined {
  const groups = template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
  return Object.values(groups)[0].Properties.TargetGroupAttributes;
}

describe('GeneveTargetGroup', () => {
  test('defaults: GENEVE 6081, instance targets, TCP health check on port 80 every 10 s, 3/3', () => {
    const { stack, vpc, tg, template } = synthTargetGroup();
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'GENEVE',
      Port: 6081,
      VpcId: stack.resolve(vpc.vpcId),
      TargetType: 'instance',
      Name: Match.absent(),
      HealthCheckProtocol: 'TCP',
      HealthCheckPort: '80',
      HealthCheckPath: Match.absent(),
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 3,
      UnhealthyThresholdCount: 3,
      Matcher: Match.absent(),
      Targets: Match.absent(),
    });
    expect(attributesOf(template)).toBeUndefined();
    expect(tg.targetType).toBe(elbv2.TargetType.INSTANCE);
    expect(tg.healthCheck.protocol).toBe(GeneveHealthCheckProtocol.TCP);
    expect(tg.healthCheck.port).toBe(80);
    expect(tg.healthCheck.interval?.toSeconds()).toBe(10);
    expect(tg.healthCheck.timeout?.toSeconds()).toBe(5);
    expect(tg.healthCheck.healthyThresholdCount).toBe(3);
    expect(tg.healthCheck.unhealthyThresholdCount).toBe(3);
    expect(tg.healthCheck.path).toBeUndefined();
    expect(tg.deregistrationDelay.toSeconds()).toBe(300);
    expect(tg.stickiness).toBe(FlowStickiness.FIVE_TUPLE);
    expect(tg.targetFailover).toBe(TargetFailover.NO_REBALANCE);
    expect(tg.tcpIdleTimeout).toBeUndefined();
  });

  test('exposes ARN, name and full name', () => {
    const { stack, tg } = synthTargetGroup();
    const logicalId = stack.getLogicalId(tg.node.defaultChild as any);
    expect(stack.resolve(tg.targetGroupArn)).toEqual({ Ref: logicalId });
    expect(stack.resolve(tg.targetGroupName)).toEqual({ 'Fn::GetAtt': [logicalId, 'TargetGroupName'] });
    expect(stack.resolve(tg.targetGroupFullName)).toEqual({ 'Fn::GetAtt': [logicalId, 'TargetGroupFullName'] });
  });

  test('targetType IP and targetGroupName are written', () => {
    const { template } = synthTargetGroup({ targetType: elbv2.TargetType.IP, targetGroupName: 'appliances' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { TargetType: 'ip', Name: 'appliances' });
  });

  test('HTTP health check with every setting', () => {
    const { tg, template } = synthTargetGroup({
      healthCheck: {
        protocol: GeneveHealthCheckProtocol.HTTP,
        port: 8080,
        path: '/healthz',
        interval: Duration.seconds(30),
        timeout: Duration.seconds(6),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 10,
        healthyHttpCodes: '200-399',
      },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '8080',
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 6,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 10,
      Matcher: { HttpCode: '200-399' },
    });
    expect(tg.healthCheck.path).toBe('/healthz');
  });

  test('HTTPS health check defaults its path to /', () => {
    const { tg, template } = synthTargetGroup({ healthCheck: { protocol: GeneveHealthCheckProtocol.HTTPS } });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckProtocol: 'HTTPS', HealthCheckPath: '/', HealthCheckPort: '80', Matcher: Match.absent(),
    });
    expect(tg.healthCheck.path).toBe('/');
  });

  test('trafficPort probes traffic-port', () => {
    const { tg, template } = synthTargetGroup({ healthCheck: { trafficPort: true } });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPort: 'traffic-port' });
    expect(tg.healthCheck.port).toBeUndefined();
    expect(tg.healthCheck.trafficPort).toBe(true);
  });

  test('health check boundaries are accepted', () => {
    const { template } = synthTargetGroup({ healthCheck: {
      port: 65535, interval: Duration.seconds(5), timeout: Duration.seconds(2),
      healthyThresholdCount: 10, unhealthyThresholdCount: 2,
    } });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPort: '65535', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2,
    });
    synthTargetGroup({ healthCheck: { port: 1, interval: Duration.minutes(5), timeout: Duration.seconds(120) } });
  });

  test('deregistrationDelay is written as deregistration_delay.timeout_seconds', () => {
    const { tg, template } = synthTargetGroup({ deregistrationDelay: Duration.seconds(0) });
    expect(attributesOf(template)).toEqual([{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }]);
    expect(tg.deregistrationDelay.toSeconds()).toBe(0);
    const max = synthTargetGroup({ deregistrationDelay: Duration.hours(1) });
    expect(attributesOf(max.template)).toEqual([{ Key: 'deregistration_delay.timeout_seconds', Value: '3600' }]);
  });

  test.each([
    [FlowStickiness.FIVE_TUPLE, [{ Key: 'stickiness.enabled', Value: 'false' }]],
    [FlowStickiness.THREE_TUPLE, [
      { Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'source_ip_dest_ip_proto' }]],
    [FlowStickiness.TWO_TUPLE, [
      { Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'source_ip_dest_ip' }]],
  ])('stickiness %s writes %j', (stickiness, expected) => {
    const { tg, template } = synthTargetGroup({ stickiness });
    expect(attributesOf(template)).toEqual(expected);
    expect(tg.stickiness).toBe(stickiness);
  });

  test.each([TargetFailover.REBALANCE, TargetFailover.NO_REBALANCE])('targetFailover %s writes both attributes', (failover) => {
    const { template } = synthTargetGroup({ targetFailover: failover });
    expect(attributesOf(template)).toEqual([
      { Key: 'target_failover.on_deregistration', Value: failover },
      { Key: 'target_failover.on_unhealthy', Value: failover },
    ]);
  });

  test('tcpIdleTimeout is kept for the listener, not written as a target group attribute', () => {
    const { tg, template } = synthTargetGroup({ tcpIdleTimeout: Duration.seconds(600), stickiness: FlowStickiness.FIVE_TUPLE });
    expect(tg.tcpIdleTimeout?.toSeconds()).toBe(600);
    expect(attributesOf(template)).toEqual([{ Key: 'stickiness.enabled', Value: 'false' }]);
  });

  test('tcpIdleTimeout without a listener warns', () => {
    const { stack } = synthTargetGroup({ tcpIdleTimeout: Duration.seconds(60) });
    Annotations.fromStack(stack).hasWarning('/Stack/Tg',
      Match.stringLikeRegexp('tcpIdleTimeout is a listener attribute.*cdk-gwlb-inspection:tcpIdleTimeoutWithoutListener'));
  });

  test('no warning when tcpIdleTimeout is unset', () => {
    const { stack } = synthTargetGroup();
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('all attributes together', () => {
    const { template } = synthTargetGroup({
      deregistrationDelay: Duration.seconds(30), stickiness: FlowStickiness.TWO_TUPLE, targetFailover: TargetFailover.REBALANCE,
    });
    expect(attributesOf(template)).toEqual([
      { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
      { Key: 'stickiness.enabled', Value: 'true' },
      { Key: 'stickiness.type', Value: 'source_ip_dest_ip' },
      { Key: 'target_failover.on_deregistration', Value: 'rebalance' },
      { Key: 'target_failover.on_unhealthy', Value: 'rebalance' },
    ]);
  });

  test('fromGeneveTargetGroupAttributes imports by ARN', () => {
    const stack = newStack();
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/appliances/0123456789abcdef';
    const tg = GeneveTargetGroup.fromGeneveTargetGroupAttributes(stack, 'Imported', { targetGroupArn: arn });
    expect(tg.targetGroupArn).toBe(arn);
    expect(tg.env.region).toBe('us-east-1');
  });

  test('token values skip validation', () => {
    const stack = newStack();
    const port = new CfnParameter(stack, 'Port', { type: 'Number' }).valueAsNumber;
    const path = new CfnParameter(stack, 'Path').valueAsString;
    const interval = Duration.seconds(new CfnParameter(stack, 'Interval', { type: 'Number' }).valueAsNumber);
    new GeneveTargetGroup(stack, 'Tg', {
      vpc: newVpc(stack),
      healthCheck: { protocol: GeneveHealthCheckProtocol.HTTP, port, path, interval },
      deregistrationDelay: interval,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: { Ref: 'Path' },
      HealthCheckIntervalSeconds: { Ref: 'Interval' },
    });
  });

  describe('validation', () => {
    test.each<[string, Partial<GeneveTargetGroupProps>, RegExp]>([
      ['port 0', { healthCheck: { port: 0 } }, /healthCheck.port must be an integer between 1 and 65535, got 0/],
      ['port 65536', { healthCheck: { port: 65536 } }, /healthCheck.port must be an integer between 1 and 65535, got 65536/],
      ['port 80.5', { healthCheck: { port: 80.5 } }, /healthCheck.port must be an integer .* got 80.5/],
      ['port and trafficPort', { healthCheck: { port: 80, trafficPort: true } }, /healthCheck.port \(80\) and healthCheck.trafficPort/],
      ['path with TCP', { healthCheck: { path: '/x' } }, /healthCheck.path is only allowed with HTTP or HTTPS.*'\/x'/],
      ['matcher with TCP', { healthCheck: { healthyHttpCodes: '200' } }, /healthCheck.healthyHttpCodes is only allowed with HTTP or HTTPS.*'200'/],
      ['path without slash', { healthCheck: { protocol: GeneveHealthCheckProtocol.HTTP, path: 'health' } }, /healthCheck.path must start with '\/'.*'health'/],
      ['matcher 500', { healthCheck: { protocol: GeneveHealthCheckProtocol.HTTP, healthyHttpCodes: '200,500' } }, /healthCheck.healthyHttpCodes must be '200-399' for a Gateway Load Balancer target group.*got '200,500'/],
      ['matcher 200 (valid for ALB, rejected for GWLB)', { healthCheck: { protocol: GeneveHealthCheckProtocol.HTTP, healthyHttpCodes: '200' } }, /healthyHttpCodes must be '200-399'.*got '200'/],
      ['matcher 200-299', { healthCheck: { protocol: GeneveHealthCheckProtocol.HTTPS, healthyHttpCodes: '200-299' } }, /healthyHttpCodes must be '200-399'.*got '200-299'/],
      ['matcher garbage', { healthCheck: { protocol: GeneveHealthCheckProtocol.HTTP, healthyHttpCodes: 'ok' } }, /healthyHttpCodes.*got 'ok'/],
      ['matcher reversed range', { healthCheck: { protocol: GeneveHealthCheckProtocol.HTTP, healthyHttpCodes: '299-200' } }, /healthyHttpCodes.*got '299-200'/],
      ['interval 4 s', { healthCheck: { interval: Duration.seconds(4) } }, /healthCheck.interval must be between 5 and 300 seconds, got 4 seconds/],
      ['interval 301 s', { healthCheck: { interval: Duration.seconds(301) } }, /healthCheck.interval must be between 5 and 300 seconds, got 301 seconds/],
      ['interval 5.5 s', { healthCheck: { interval: Duration.millis(5500) } }, /healthCheck.interval must be a whole number of seconds/],
      ['timeout 1 s', { healthCheck: { timeout: Duration.seconds(1) } }, /healthCheck.timeout must be between 2 and 120 seconds, got 1 seconds/],
      ['timeout > interval', { healthCheck: { interval: Duration.seconds(5), timeout: Duration.seconds(6) } }, /healthCheck.timeout \(6 s\) must not exceed healthCheck.interval \(5 s\)/],
      ['healthy threshold 1', { healthCheck: { healthyThresholdCount: 1 } }, /healthCheck.healthyThresholdCount must be an integer between 2 and 10, got 1/],
      ['healthy threshold 11', { healthCheck: { healthyThresholdCount: 11 } }, /healthCheck.healthyThresholdCount must be an integer between 2 and 10, got 11/],
      ['unhealthy threshold 1', { healthCheck: { unhealthyThresholdCount: 1 } }, /healthCheck.unhealthyThresholdCount must be an integer between 2 and 10, got 1/],
      ['unhealthy threshold 11', { healthCheck: { unhealthyThresholdCount: 11 } }, /healthCheck.unhealthyThresholdCount must be an integer between 2 and 10, got 11/],
      ['protocol UDP', { healthCheck: { protocol: 'UDP' as GeneveHealthCheckProtocol } }, /healthCheck.protocol must be HTTP, HTTPS or TCP, got 'UDP'/],
      ['deregistrationDelay 3601 s', { deregistrationDelay: Duration.seconds(3601) }, /deregistrationDelay must be between 0 and 3600 seconds, got 3601 seconds/],
      ['tcpIdleTimeout 59 s', { tcpIdleTimeout: Duration.seconds(59) }, /tcpIdleTimeout must be between 60 and 6000 seconds, got 59 seconds/],
      ['tcpIdleTimeout 6001 s', { tcpIdleTimeout: Duration.seconds(6001) }, /tcpIdleTimeout must be between 60 and 6000 seconds, got 6001 seconds/],
      ['tcpIdleTimeout with 3-tuple', { tcpIdleTimeout: Duration.seconds(600), stickiness: FlowStickiness.THREE_TUPLE }, /tcpIdleTimeout is only supported with 5-tuple flow stickiness.*source_ip_dest_ip_proto/],
      ['tcpIdleTimeout with 2-tuple', { tcpIdleTimeout: Duration.seconds(600), stickiness: FlowStickiness.TWO_TUPLE }, /tcpIdleTimeout is only supported with 5-tuple flow stickiness.*source_ip_dest_ip/],
      ['targetType LAMBDA', { targetType: elbv2.TargetType.LAMBDA }, /targetType must be TargetType.INSTANCE or TargetType.IP.*'lambda'/],
      ['targetType ALB', { targetType: elbv2.TargetType.ALB }, /targetType must be TargetType.INSTANCE or TargetType.IP.*'alb'/],
      ['bad name', { targetGroupName: 'my_group' }, /targetGroupName must be .*got 'my_group'/],
      ['name too long', { targetGroupName: 'x'.repeat(33) }, /targetGroupName must be/],
    ])('fails with %s', (_name, props, message) => {
      expect(() => synthTargetGroup(props)).toThrow(message);
    });
  });
});
