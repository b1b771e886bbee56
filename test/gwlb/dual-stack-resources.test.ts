import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  GatewayLoadBalancer, GatewayLoadBalancerEndpoint, GatewayLoadBalancerEndpointService, GatewayLoadBalancerIpAddressType,
} from '../../lib/gwlb';
import { newDualStackVpc, newStack, newVpc } from './util';

const SERVICE_NAME = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';
const { IPV4, DUAL_STACK } = GatewayLoadBalancerIpAddressType;

/** A dual-stack load balancer and service in a security VPC, and a dual-stack application VPC. */
function dualStackSetup() {
  const stack = newStack();
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newDualStackVpc(stack, 'SecurityVpc'), ipAddressType: DUAL_STACK });
  const service = new GatewayLoadBalancerEndpointService(stack, 'Service', {
    gatewayLoadBalancers: [lb], supportedIpAddressTypes: [ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6],
  });
  const appVpc = newDualStackVpc(stack, 'AppVpc', { ipAddresses: ec2.IpAddresses.cidr('10.1.0.0/16') });
  return { stack, lb, service, appVpc };
}

describe('GatewayLoadBalancer ipAddressType', () => {
  test('not written by default; the load balancer reports IPV4', () => {
    const stack = newStack();
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { IpAddressType: Match.absent() });
    expect(lb.ipAddressType).toBe(IPV4);
  });

  test('DUAL_STACK writes dualstack for subnets with IPv6 CIDR blocks', () => {
    const stack = newStack();
    const vpc = newDualStackVpc(stack);
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc, ipAddressType: DUAL_STACK });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'gateway', IpAddressType: 'dualstack', Subnets: vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId)),
    });
    expect(lb.ipAddressType).toBe(DUAL_STACK);
  });

  test('an explicit IPV4 is written as ipv4', () => {
    const stack = newStack();
    new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack), ipAddressType: IPV4 });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { IpAddressType: 'ipv4' });
  });

  test('DUAL_STACK with imported subnets is not checked', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    const subnets = ['a', 'b'].map((az) => ec2.Subnet.fromSubnetAttributes(stack, az, { subnetId: `subnet-0${az}${az}${az}${az}${az}${az}${az}`, availabilityZone: `dummy1${az}` }));
    new GatewayLoadBalancer(stack, 'Gwlb', { vpc, vpcSubnets: { subnets }, ipAddressType: DUAL_STACK });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { IpAddressType: 'dualstack' });
  });

  test('imported load balancers carry the given ipAddressType, or none', () => {
    const stack = newStack();
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/gwlb/0123456789abcdef';
    expect(GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'A', { loadBalancerArn: arn, ipAddressType: DUAL_STACK }).ipAddressType)
      .toBe(DUAL_STACK);
    expect(GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'B', { loadBalancerArn: arn }).ipAddressType).toBeUndefined();
  });

  test('fails DUAL_STACK in subnets without IPv6, naming them', () => {
    const stack = newStack();
    expect(() => new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack), ipAddressType: DUAL_STACK }))
      .toThrow(/Stack\/Gwlb: ipAddressType is DUAL_STACK but subnet\(s\) Stack\/Vpc\/PrivateSubnet1, Stack\/Vpc\/PrivateSubnet2 have no IPv6 CIDR block/);
  });
});

describe('GatewayLoadBalancerEndpointService supportedIpAddressTypes', () => {
  test('not written by default; the service reports IPv4 only', () => {
    const stack = newStack();
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpointService', { SupportedIpAddressTypes: Match.absent() });
    expect(service.supportedIpAddressTypes).toEqual([ec2.IpAddressType.IPV4]);
  });

  test('ipv4 and ipv6 for dual-stack load balancers', () => {
    const { stack, service } = dualStackSetup();
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpointService', { SupportedIpAddressTypes: ['ipv4', 'ipv6'] });
    expect(service.supportedIpAddressTypes).toEqual([ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6]);
  });

  test('IPV6 with an imported load balancer of unknown type is accepted', () => {
    const stack = newStack();
    const lb = GatewayLoadBalancer.fromGatewayLoadBalancerAttributes(stack, 'Lb', {
      loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/gwlb/0123456789abcdef',
    });
    new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb], supportedIpAddressTypes: [ec2.IpAddressType.IPV6] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpointService', { SupportedIpAddressTypes: ['ipv6'] });
  });

  test('fromServiceAttributes keeps the supported types; fromServiceName leaves them unknown', () => {
    const stack = newStack();
    const known = GatewayLoadBalancerEndpointService.fromServiceAttributes(stack, 'Known', {
      serviceName: SERVICE_NAME, supportedIpAddressTypes: [ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6],
    });
    expect(known.serviceName).toBe(SERVICE_NAME);
    expect(known.supportedIpAddressTypes).toEqual(['ipv4', 'ipv6']);
    expect(GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Unknown', SERVICE_NAME).supportedIpAddressTypes).toBeUndefined();
  });

  test('fails IPV6 with an IPv4-only load balancer, naming it', () => {
    const stack = newStack();
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack) });
    expect(() => new GatewayLoadBalancerEndpointService(stack, 'Service', {
      gatewayLoadBalancers: [lb], supportedIpAddressTypes: [ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6],
    })).toThrow(/Stack\/Service: supportedIpAddressTypes includes IPV6 but Gateway Load Balancer\(s\) Stack\/Gwlb are IPv4-only/);
  });

  test('fails an empty, duplicated or unknown list', () => {
    const { stack, lb } = dualStackSetup();
    const build = (id: string, types: ec2.IpAddressType[]) =>
      new GatewayLoadBalancerEndpointService(stack, id, { gatewayLoadBalancers: [lb], supportedIpAddressTypes: types });
    expect(() => build('Empty', [])).toThrow(/supportedIpAddressTypes must name at least one IP address type/);
    expect(() => build('Twice', [ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV4])).toThrow(/lists an IP address type twice: ipv4, ipv4/);
    expect(() => build('Odd', ['dualstack' as ec2.IpAddressType])).toThrow(/only ec2.IpAddressType values \(ipv4, ipv6\), got 'dualstack'/);
    expect(() => GatewayLoadBalancerEndpointService.fromServiceAttributes(stack, 'ImportEmpty', { serviceName: SERVICE_NAME, supportedIpAddressTypes: [] }))
      .toThrow(/ImportEmpty: supportedIpAddressTypes must name at least one/);
  });
});

describe('GatewayLoadBalancerEndpoint ipAddressType', () => {
  test('not written by default; the endpoint reports IPV4', () => {
    const { stack, service, appVpc } = dualStackSetup();
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[0] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'GatewayLoadBalancer', IpAddressType: Match.absent() });
    expect(endpoint.ipAddressType).toBe(IPV4);
    expect(endpoint.supportsIpv6).toBe(false);
  });

  test('DUAL_STACK writes dualstack', () => {
    const { stack, service, appVpc } = dualStackSetup();
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', {
      vpc: appVpc, service, subnet: appVpc.isolatedSubnets[1], ipAddressType: DUAL_STACK,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'GatewayLoadBalancer', IpAddressType: 'dualstack', SubnetIds: [stack.resolve(appVpc.isolatedSubnets[1].subnetId)],
    });
    expect(endpoint.supportsIpv6).toBe(true);
  });

  test('DUAL_STACK against an imported service of unknown types is accepted', () => {
    const stack = newStack();
    const vpc = newDualStackVpc(stack);
    const service = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME);
    new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc, service, subnet: vpc.isolatedSubnets[0], ipAddressType: DUAL_STACK });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', { IpAddressType: 'dualstack' });
  });

  test('fails DUAL_STACK against a service without IPv6, naming the endpoint and the service', () => {
    const stack = newStack();
    const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newVpc(stack, 'SecurityVpc') });
    const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
    const vpc = newDualStackVpc(stack);
    expect(() => new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc, service, subnet: vpc.isolatedSubnets[0], ipAddressType: DUAL_STACK }))
      .toThrow(/^Stack\/Endpoint: ipAddressType is DUAL_STACK but endpoint service Stack\/Service does not support ipv6 \(supportedIpAddressTypes: ipv4\)/);
  });

  test('fails DUAL_STACK against an imported IPv4-only service, naming its service name', () => {
    const stack = newStack();
    const vpc = newDualStackVpc(stack);
    const service = GatewayLoadBalancerEndpointService.fromServiceAttributes(stack, 'Service', {
      serviceName: SERVICE_NAME, supportedIpAddressTypes: [ec2.IpAddressType.IPV4],
    });
    expect(() => new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc, service, subnet: vpc.isolatedSubnets[0], ipAddressType: DUAL_STACK }))
      .toThrow(new RegExp(`endpoint service Stack/Service \\(${SERVICE_NAME.replace(/\./g, '\\.')}\\) does not support ipv6`));
  });

  test('fails an IPv4 endpoint against an IPv6-only service', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    const service = GatewayLoadBalancerEndpointService.fromServiceAttributes(stack, 'Service', {
      serviceName: SERVICE_NAME, supportedIpAddressTypes: [ec2.IpAddressType.IPV6],
    });
    expect(() => new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc, service, subnet: vpc.isolatedSubnets[0] }))
      .toThrow(/ipAddressType is IPV4 but endpoint service .* does not support ipv4/);
  });

  test('fails DUAL_STACK in a subnet without IPv6, naming the subnet', () => {
    const { stack, service } = dualStackSetup();
    const vpc = newVpc(stack, 'Ipv4Vpc', { ipAddresses: ec2.IpAddresses.cidr('10.2.0.0/16') });
    expect(() => new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc, service, subnet: vpc.isolatedSubnets[0], ipAddressType: DUAL_STACK }))
      .toThrow(/ipAddressType is DUAL_STACK but subnet Stack\/Ipv4Vpc\/PrivateSubnet1 has no IPv6 CIDR block/);
  });
});
