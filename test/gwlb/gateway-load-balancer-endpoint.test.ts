import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { GatewayLoadBalancer, GatewayLoadBalancerEndpoint, GatewayLoadBalancerEndpointService } from '../../lib/gwlb';
import { ENV, newStack, newVpc } from './util';

function setup(allowedPrincipals?: iam.ArnPrincipal[]) {
  const stack = newStack();
  const securityVpc = newVpc(stack, 'SecurityVpc');
  const appVpc = newVpc(stack, 'AppVpc', { ipAddresses: ec2.IpAddresses.cidr('10.1.0.0/16') });
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: securityVpc });
  const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb], allowedPrincipals });
  return { stack, appVpc, lb, service };
}

describe('GatewayLoadBalancerEndpoint', () => {
  test('creates a GatewayLoadBalancer endpoint in exactly one subnet', () => {
    const { stack, appVpc, service } = setup();
    const subnet = appVpc.isolatedSubnets[1];
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'GatewayLoadBalancer',
      ServiceName: stack.resolve(service.serviceName),
      VpcId: stack.resolve(appVpc.vpcId),
      SubnetIds: [stack.resolve(subnet.subnetId)],
      RouteTableIds: Match.absent(),
      SecurityGroupIds: Match.absent(),
    });
    expect(endpoint.subnet).toBe(subnet);
    expect(endpoint.availabilityZone).toBe('dummy1b');
    expect(stack.resolve(endpoint.vpcEndpointId)).toEqual({ Ref: stack.getLogicalId(endpoint.node.defaultChild as any) });
  });

  test('depends on the service permissions', () => {
    const { stack, appVpc, service } = setup([new iam.ArnPrincipal('arn:aws:iam::123456789012:root')]);
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[0] });
    const template = Template.fromStack(stack);
    const permissionsId = stack.getLogicalId(service.permissionsResource as any);
    const resource = template.toJSON().Resources[stack.getLogicalId(endpoint.node.defaultChild as any)];
    expect(resource.DependsOn).toEqual([permissionsId]);
  });

  test('depends on permissions added after the endpoint', () => {
    const { stack, appVpc, service } = setup();
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[0] });
    service.addAllowedPrincipal(new iam.ArnPrincipal('arn:aws:iam::123456789012:root'));
    const resource = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(endpoint.node.defaultChild as any)];
    expect(resource.DependsOn).toEqual([stack.getLogicalId(service.permissionsResource as any)]);
  });

  test('no dependency without allowed principals', () => {
    const { stack, appVpc, service } = setup();
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[0] });
    expect(Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(endpoint.node.defaultChild as any)].DependsOn).toBeUndefined();
  });

  test('an imported service adds no dependency', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    const service = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0');
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc, service, subnet: vpc.isolatedSubnets[0] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0' });
    expect(template.toJSON().Resources[stack.getLogicalId(endpoint.node.defaultChild as any)].DependsOn).toBeUndefined();
  });

  test('a service in another stack becomes a stack dependency', () => {
    const app = new App();
    const security = new Stack(app, 'Security', { env: ENV });
    const application = new Stack(app, 'Application', { env: ENV });
    const lb = new GatewayLoadBalancer(security, 'Gwlb', { vpc: newVpc(security) });
    const service = new GatewayLoadBalancerEndpointService(security, 'Service', { gatewayLoadBalancers: [lb] });
    const vpc = newVpc(application);
    new GatewayLoadBalancerEndpoint(application, 'Endpoint', { vpc, service, subnet: vpc.isolatedSubnets[0] });
    Template.fromStack(application).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.vpce.us-east-1.', { 'Fn::ImportValue': Match.stringLikeRegexp('^Security:') }]] },
    });
    expect(application.dependencies).toContain(security);
  });

  test("fails an endpoint in a zone where the service's load balancer has no subnet (same account)", () => {
    const stack = newStack();
    const securityVpc = newVpc(stack, 'SecurityVpc');
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: securityVpc, vpcSubnets: { availabilityZones: ['dummy1a'] } });
    const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
    const appVpc = newVpc(stack, 'AppVpc', { ipAddresses: ec2.IpAddresses.cidr('10.1.0.0/16') });
    expect(() => new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[1] }))
      .toThrow(/Stack\/Endpoint: the endpoint is in dummy1b but the service's Gateway Load Balancers \(Stack\/Gwlb\) are only in dummy1a: the endpoint cannot be created there/);
  });

  test('fails an unserved zone in environment-agnostic stacks too (zone tokens compared by index)', () => {
    const stack = new Stack();
    const securityVpc = new ec2.Vpc(stack, 'SecurityVpc', { natGateways: 0, subnetConfiguration: [{ name: 'Appliance', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: securityVpc, vpcSubnets: { subnets: [securityVpc.isolatedSubnets[0]] } });
    const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
    const appVpc = new ec2.Vpc(stack, 'AppVpc', { natGateways: 0, subnetConfiguration: [{ name: 'Endpoint', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new GatewayLoadBalancerEndpoint(stack, 'Served', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[0] });
    expect(() => new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[1] }))
      .toThrow(/the endpoint is in availability zone #2 of the region \(Fn::Select 1 of Fn::GetAZs\) but .* are only in availability zone #1 of the region/);
  });

  test('only warns about an unserved zone name when the service is in another account', () => {
    const app = new App();
    const security = new Stack(app, 'Security', { env: { account: '111111111111', region: 'eu-west-1' } });
    const application = new Stack(app, 'Application', { env: { account: '222222222222', region: 'eu-west-1' } });
    const securityVpc = newVpc(security, 'SecurityVpc');
    const lb = new GatewayLoadBalancer(security, 'Gwlb', { vpc: securityVpc, vpcSubnets: { availabilityZones: [securityVpc.availabilityZones[0]] } });
    const service = new GatewayLoadBalancerEndpointService(security, 'Service', { gatewayLoadBalancers: [lb] });
    const appVpc = newVpc(application, 'AppVpc');
    new GatewayLoadBalancerEndpoint(application, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[1] });
    Annotations.fromStack(application).hasWarning('/Application/Endpoint', Match.stringLikeRegexp('the service is in another account'));
  });

  test('no warning when the AZ is served', () => {
    const { stack, appVpc, service } = setup();
    new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[0] });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('an imported subnet without an AZ has an unknown availability zone', () => {
    const { stack, appVpc, service } = setup();
    const subnet = ec2.Subnet.fromSubnetAttributes(stack, 'Subnet', { subnetId: 'subnet-123' });
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet });
    expect(endpoint.availabilityZoneIfKnown).toBeUndefined();
    expect(() => endpoint.availabilityZone).toThrow(/the availability zone of subnet Stack\/Subnet is unknown/);
  });

  test('fails when the subnet belongs to another VPC', () => {
    const { stack, appVpc, service } = setup();
    const other = newVpc(stack, 'Other', { ipAddresses: ec2.IpAddresses.cidr('10.7.0.0/16') });
    expect(() => new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: other.isolatedSubnets[0] }))
      .toThrow(/subnet Stack\/Other\/PrivateSubnet1 belongs to VPC Stack\/Other, not to Stack\/AppVpc/);
  });

  test('an imported subnet of an imported VPC is accepted', () => {
    const { stack, service } = setup();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['dummy1a'], privateSubnetIds: ['subnet-0123456789abcdef0'],
    });
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc, service, subnet: vpc.privateSubnets[0] });
    expect(endpoint.availabilityZone).toBe('dummy1a');
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcId: 'vpc-0123456789abcdef0', SubnetIds: ['subnet-0123456789abcdef0'],
    });
  });
});
