import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { GatewayLoadBalancer, GatewayLoadBalancerEndpointService } from '../../lib/gwlb';
import { newStack, newVpc } from './util';

function setup() {
  const stack = newStack();
  const vpc = newVpc(stack);
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc });
  return { stack, vpc, lb };
}

describe('GatewayLoadBalancerEndpointService', () => {
  test('defaults: GatewayLoadBalancerArns, acceptance required, no permissions', () => {
    const { stack, lb } = setup();
    const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPCEndpointService', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpointService', {
      GatewayLoadBalancerArns: [stack.resolve(lb.loadBalancerArn)],
      NetworkLoadBalancerArns: Match.absent(),
      AcceptanceRequired: true,
    });
    template.resourceCountIs('AWS::EC2::VPCEndpointServicePermissions', 0);
    expect(service.acceptanceRequired).toBe(true);
    expect(service.allowedPrincipalArns).toEqual([]);
    expect(service.permissionsResource).toBeUndefined();
    expect(service.availabilityZones).toEqual(['dummy1a', 'dummy1b']);
  });

  test('serviceName is com.amazonaws.vpce.<region>.<service id>', () => {
    const { stack, lb } = setup();
    const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
    const logicalId = stack.getLogicalId(service.node.defaultChild as any);
    expect(stack.resolve(service.endpointServiceId)).toEqual({ Ref: logicalId });
    expect(stack.resolve(service.serviceName)).toEqual({
      'Fn::Join': ['', ['com.amazonaws.vpce.us-east-1.', { Ref: logicalId }]],
    });
  });

  test('serviceName uses AWS::Region in an environment-agnostic stack', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
    const logicalId = stack.getLogicalId(service.node.defaultChild as any);
    expect(stack.resolve(service.serviceName)).toEqual({
      'Fn::Join': ['', ['com.amazonaws.vpce.', { Ref: 'AWS::Region' }, '.', { Ref: logicalId }]],
    });
  });

  test('acceptanceRequired false and allowed principals', () => {
    const { stack, lb } = setup();
    const service = new GatewayLoadBalancerEndpointService(stack, 'Service', {
      gatewayLoadBalancers: [lb],
      acceptanceRequired: false,
      allowedPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:root')],
    });
    service.addAllowedPrincipal(new iam.ArnPrincipal('arn:aws:iam::444455556666:role/network'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::VPCEndpointService', { AcceptanceRequired: false });
    template.resourceCountIs('AWS::EC2::VPCEndpointServicePermissions', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', {
      ServiceId: stack.resolve(service.endpointServiceId),
      AllowedPrincipals: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:role/network'],
    });
    expect(service.allowedPrincipalArns).toHaveLength(2);
    expect(service.permissionsResource).toBeDefined();
  });

  test('several load balancers, including an imported one', () => {
    const { stack, lb } = setup();
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/other/0123456789abcdef';
    const other = GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'Other', { loadBalancerArn: arn });
    new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb, other] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpointService', {
      GatewayLoadBalancerArns: [stack.resolve(lb.loadBalancerArn), arn],
    });
  });

  test('a wildcard principal without acceptance warns', () => {
    const { stack, lb } = setup();
    new GatewayLoadBalancerEndpointService(stack, 'Service', {
      gatewayLoadBalancers: [lb], acceptanceRequired: false, allowedPrincipals: [new iam.ArnPrincipal('*')],
    });
    Annotations.fromStack(stack).hasWarning('/Stack/Service', Match.stringLikeRegexp("allowedPrincipals contains '\\*'"));
  });

  test('a wildcard principal with acceptance does not warn', () => {
    const { stack, lb } = setup();
    new GatewayLoadBalancerEndpointService(stack, 'Service', {
      gatewayLoadBalancers: [lb], allowedPrincipals: [new iam.ArnPrincipal('*')],
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('a token principal is accepted', () => {
    const { stack, lb } = setup();
    const arn = new CfnParameter(stack, 'Principal').valueAsString;
    new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb], allowedPrincipals: [new iam.ArnPrincipal(arn)] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', {
      AllowedPrincipals: [{ Ref: 'Principal' }],
    });
  });

  test('fails with no load balancers', () => {
    const stack = newStack();
    expect(() => new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [] }))
      .toThrow(/gatewayLoadBalancers must contain at least one Gateway Load Balancer/);
  });

  test.each(['111122223333', 'arn:aws:iam::1111:root', 'arn:aws:s3:::bucket'])('fails with principal %s', (arn) => {
    const { stack, lb } = setup();
    expect(() => new GatewayLoadBalancerEndpointService(stack, 'Service', {
      gatewayLoadBalancers: [lb], allowedPrincipals: [new iam.ArnPrincipal(arn)],
    })).toThrow(`got '${arn}'`);
  });

  describe('fromServiceName', () => {
    test('imports a service name', () => {
      const stack = newStack();
      const name = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';
      expect(GatewayLoadBalancerEndpointService.fromServiceName(stack, 'S', name).serviceName).toBe(name);
    });

    test('accepts a token', () => {
      const stack = newStack();
      const name = new CfnParameter(stack, 'ServiceName').valueAsString;
      expect(stack.resolve(GatewayLoadBalancerEndpointService.fromServiceName(stack, 'S', name).serviceName))
        .toEqual({ Ref: 'ServiceName' });
    });

    test.each([
      'vpce-svc-0123456789abcdef0',
      'com.amazonaws.eu-west-1.s3',
      'com.amazonaws.vpce.eu-west-1.vpce-svc-XYZ',
      'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0 ',
    ])('fails with %j', (name) => {
      const stack = newStack();
      expect(() => GatewayLoadBalancerEndpointService.fromServiceName(stack, 'S', name))
        .toThrow(`serviceName must look like com.amazonaws.vpce.<region>.vpce-svc-<hex id>, got '${name}'`);
    });
  });
});
