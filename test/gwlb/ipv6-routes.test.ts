import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  EndpointRoutes, GatewayLoadBalancer, GatewayLoadBalancerEndpoint, GatewayLoadBalancerEndpointService, GatewayLoadBalancerIpAddressType, IngressRouteTable,
} from '../../lib/gwlb';
import { newDualStackVpc, newStack, newVpc } from './util';

const { DUAL_STACK } = GatewayLoadBalancerIpAddressType;

/**
 * A dual-stack application VPC with one dual-stack endpoint per zone in its isolated subnets
 * (the public subnets are the ones routed through them), and one IPv4-only endpoint.
 */
function setup() {
  const stack = newStack();
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: newDualStackVpc(stack, 'SecurityVpc'), ipAddressType: DUAL_STACK });
  const service = new GatewayLoadBalancerEndpointService(stack, 'Service', {
    gatewayLoadBalancers: [lb], supportedIpAddressTypes: [ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6],
  });
  const appVpc = newDualStackVpc(stack, 'AppVpc', { ipAddresses: ec2.IpAddresses.cidr('10.1.0.0/16') });
  const endpoints = appVpc.isolatedSubnets.map((subnet, i) =>
    new GatewayLoadBalancerEndpoint(stack, `Endpoint${i}`, { vpc: appVpc, service, subnet, ipAddressType: DUAL_STACK }));
  const ipv4Endpoint = new GatewayLoadBalancerEndpoint(stack, 'Ipv4Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[0] });
  return { stack, appVpc, endpoints, ipv4Endpoint };
}

const subnetIpv6Cidr = (stack: ReturnType<typeof newStack>, subnet: ec2.ISubnet) =>
  ({ 'Fn::Select': [0, { 'Fn::GetAtt': [stack.getLogicalId(subnet.node.defaultChild as ec2.CfnSubnet), 'Ipv6CidrBlocks'] }] });

describe('IngressRouteTable.addSubnetIpv6Route', () => {
  test("sends each subnet's IPv6 CIDR block to the endpoint in its zone", () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const routes = appVpc.publicSubnets.map((subnet, i) => table.addSubnetIpv6Route(`Route6${i}`, subnet, endpoints[i]));
    const template = Template.fromStack(stack);
    appVpc.publicSubnets.forEach((subnet, i) => {
      const [route] = Object.values(template.findResources('AWS::EC2::Route', { Properties: { VpcEndpointId: stack.resolve(endpoints[i].vpcEndpointId) } }));
      expect(route.Properties).toEqual({
        RouteTableId: stack.resolve(table.routeTableId),
        DestinationIpv6CidrBlock: subnetIpv6Cidr(stack, subnet),
        VpcEndpointId: stack.resolve(endpoints[i].vpcEndpointId),
      });
    });
    expect(routes.map((r) => r.node.path)).toEqual(['Stack/Ingress/Route60', 'Stack/Ingress/Route61']);
  });

  test('IPv4 and IPv6 routes of the same subnet coexist', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const subnet = appVpc.publicSubnets[0];
    table.addSubnetRoute('Route', subnet, endpoints[0]);
    table.addSubnetIpv6Route('Route6', subnet, endpoints[0]);
    const routes = Template.fromStack(stack).findResources('AWS::EC2::Route', { Properties: { RouteTableId: stack.resolve(table.routeTableId) } });
    expect(Object.values(routes).map((r) => r.Properties.DestinationCidrBlock ?? r.Properties.DestinationIpv6CidrBlock))
      .toEqual([subnet.ipv4CidrBlock, subnetIpv6Cidr(stack, subnet)]);
  });

  test('an imported subnet with an explicit IPv6 CIDR block', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const subnet = ec2.Subnet.fromSubnetAttributes(stack, 'Imported', { subnetId: 'subnet-9', availabilityZone: 'dummy1a' });
    table.addSubnetIpv6Route('Route6', subnet, endpoints[0], { ipv6CidrBlock: '2001:db8:1234:1a00::/64' });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::Route', {
      DestinationIpv6CidrBlock: '2001:db8:1234:1a00::/64', DestinationCidrBlock: Match.absent(),
    });
  });

  test('fails through an IPv4-only endpoint, naming it', () => {
    const { stack, appVpc, ipv4Endpoint } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    expect(() => table.addSubnetIpv6Route('Route6', appVpc.publicSubnets[0], ipv4Endpoint))
      .toThrow(/endpoint Stack\/Ipv4Endpoint is IPv4-only \(ipAddressType IPV4\) and cannot carry the IPv6 traffic of subnet Stack\/AppVpc\/PublicSubnet1/);
  });

  test('fails for a subnet without IPv6, or an imported one without ipv6CidrBlock', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const imported = ec2.Subnet.fromSubnetAttributes(stack, 'Imported', { subnetId: 'subnet-9', availabilityZone: 'dummy1a' });
    expect(() => table.addSubnetIpv6Route('A', imported, endpoints[0]))
      .toThrow(/the IPv6 CIDR block of subnet Stack\/Imported is unknown \(an imported subnet\): pass ipv6CidrBlock/);
    const ipv4Vpc = newVpc(stack, 'Ipv4Vpc');
    const ipv4Table = new IngressRouteTable(stack, 'Ipv4Ingress', { vpc: ipv4Vpc });
    const service = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Svc', 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0');
    const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Dual', {
      vpc: ipv4Vpc, service, subnet: ec2.Subnet.fromSubnetAttributes(stack, 'Dual6', { subnetId: 'subnet-6', availabilityZone: 'dummy1a' }),
      ipAddressType: DUAL_STACK,
    });
    expect(() => ipv4Table.addSubnetIpv6Route('B', ipv4Vpc.publicSubnets[0], endpoint))
      .toThrow(/subnet Stack\/Ipv4Vpc\/PublicSubnet1 has no IPv6 CIDR block/);
  });

  test('fails when a subnet is routed twice, or with a malformed ipv6CidrBlock', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    table.addSubnetIpv6Route('Route6', appVpc.publicSubnets[0], endpoints[0]);
    expect(() => table.addSubnetIpv6Route('Again', appVpc.publicSubnets[0], endpoints[0]))
      .toThrow(/subnet Stack\/AppVpc\/PublicSubnet1 \(its IPv6 CIDR block\) already has a route in this ingress route table \(Stack\/Ingress\/Route6\)/);
    const imported = ec2.Subnet.fromSubnetAttributes(stack, 'Imported', { subnetId: 'subnet-9', availabilityZone: 'dummy1a' });
    expect(() => table.addSubnetIpv6Route('Bad', imported, endpoints[0], { ipv6CidrBlock: '10.0.0.0/24' }))
      .toThrow(/ipv6CidrBlock must be an IPv6 CIDR block such as ::\/0 or 2001:db8::\/56, got '10.0.0.0\/24'/);
  });

  test('fails when the endpoint is in another zone', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    expect(() => table.addSubnetIpv6Route('Route6', appVpc.publicSubnets[0], endpoints[1]))
      .toThrow(/endpoint Stack\/Endpoint1 is in dummy1b but subnet Stack\/AppVpc\/PublicSubnet1 is in dummy1a/);
  });
});

describe('IPv6 endpoint routes', () => {
  test('routeThroughEndpoint with destinationIpv6CidrBlock', () => {
    const { stack, appVpc, endpoints } = setup();
    const routeTableId = appVpc.isolatedSubnets[0].routeTable.routeTableId;
    EndpointRoutes.routeThroughEndpoint(stack, 'Corp6', { routeTableId, destinationIpv6CidrBlock: '2001:db8::/32', endpoint: endpoints[0] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::Route', {
      RouteTableId: stack.resolve(routeTableId), DestinationIpv6CidrBlock: '2001:db8::/32',
      DestinationCidrBlock: Match.absent(), VpcEndpointId: stack.resolve(endpoints[0].vpcEndpointId),
    });
    expect(() => EndpointRoutes.routeThroughEndpoint(stack, 'Again', { routeTableId, destinationIpv6CidrBlock: '2001:db8::/32', endpoint: endpoints[0] }))
      .toThrow(/route table already has a route for 2001:db8::\/32 \(Stack\/Corp6\)/);
  });

  test('replaceExistingRoute points a public subnet\'s ::/0 at the endpoint and leaves 0.0.0.0/0 alone', () => {
    const { stack, appVpc, endpoints } = setup();
    const routes = appVpc.publicSubnets.map((subnet, i) => EndpointRoutes.routeSubnetThroughEndpoint(stack, `Default6${i}`, {
      subnet, endpoint: endpoints[i], destinationIpv6CidrBlock: '::/0', replaceExistingRoute: true,
    }));
    expect(routes.map((r) => r.node.path)).toEqual(['Stack/AppVpc/PublicSubnet1/DefaultRoute6', 'Stack/AppVpc/PublicSubnet2/DefaultRoute6']);
    const template = Template.fromStack(stack);
    appVpc.publicSubnets.forEach((subnet, i) => {
      const inTable = Object.values(template.findResources('AWS::EC2::Route', { Properties: { RouteTableId: stack.resolve(subnet.routeTable.routeTableId) } }));
      expect(inTable.map((r) => r.Properties)).toEqual(expect.arrayContaining([
        { RouteTableId: stack.resolve(subnet.routeTable.routeTableId), DestinationIpv6CidrBlock: '::/0', VpcEndpointId: stack.resolve(endpoints[i].vpcEndpointId) },
        { RouteTableId: stack.resolve(subnet.routeTable.routeTableId), DestinationCidrBlock: '0.0.0.0/0', GatewayId: stack.resolve(appVpc.internetGatewayId) },
      ]));
      expect(inTable).toHaveLength(2);
    });
    expect(Annotations.fromStack(stack).findInfo('*', Match.anyValue())).toEqual([]);
  });

  test('an IPv6 default route in a subnet without one', () => {
    const { stack, appVpc, endpoints } = setup();
    const subnet = appVpc.isolatedSubnets[1];
    EndpointRoutes.routeSubnetThroughEndpoint(stack, 'App6', { subnet, endpoint: endpoints[1], destinationIpv6CidrBlock: '::/0' });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::Route', {
      RouteTableId: stack.resolve(subnet.routeTable.routeTableId), DestinationIpv6CidrBlock: '::/0', VpcEndpointId: stack.resolve(endpoints[1].vpcEndpointId),
    });
  });

  test('fails on an existing ::/0 route without replaceExistingRoute', () => {
    const { stack, appVpc, endpoints } = setup();
    expect(() => EndpointRoutes.routeSubnetThroughEndpoint(stack, 'D', { subnet: appVpc.publicSubnets[0], endpoint: endpoints[0], destinationIpv6CidrBlock: '::/0' }))
      .toThrow(/already has a route for ::\/0 \(Stack\/AppVpc\/PublicSubnet1\/DefaultRoute6\); set replaceExistingRoute: true/);
  });

  test('fails an IPv6 destination through an IPv4-only endpoint, naming it', () => {
    const { stack, appVpc, ipv4Endpoint } = setup();
    expect(() => EndpointRoutes.routeSubnetThroughEndpoint(stack, 'D', { subnet: appVpc.isolatedSubnets[0], endpoint: ipv4Endpoint, destinationIpv6CidrBlock: '::/0' }))
      .toThrow(/destinationIpv6CidrBlock ::\/0 cannot go through endpoint Stack\/Ipv4Endpoint: it is IPv4-only/);
  });

  test('fails both destinations, or none', () => {
    const { stack, appVpc, endpoints } = setup();
    const subnet = appVpc.isolatedSubnets[0];
    expect(() => EndpointRoutes.routeSubnetThroughEndpoint(stack, 'Both', { subnet, endpoint: endpoints[0], destinationCidrBlock: '0.0.0.0/0', destinationIpv6CidrBlock: '::/0' }))
      .toThrow(/give either destinationCidrBlock \(0.0.0.0\/0\) or destinationIpv6CidrBlock \(::\/0\), not both/);
    expect(() => EndpointRoutes.routeThroughEndpoint(stack, 'None', { routeTableId: subnet.routeTable.routeTableId, endpoint: endpoints[0] }))
      .toThrow(/destinationCidrBlock or destinationIpv6CidrBlock is required/);
  });

  test.each(['::/129', '2001:db8::1::/64', '10.0.0.0/8', '2001:db8:0:0:0:0:0:0:1/64', 'fe80::/', 'g::/0', '::'])(
    'fails a malformed IPv6 destination %s', (cidr) => {
      const { stack, appVpc, endpoints } = setup();
      expect(() => EndpointRoutes.routeThroughEndpoint(stack, 'R', { routeTableId: appVpc.isolatedSubnets[0].routeTable.routeTableId, destinationIpv6CidrBlock: cidr, endpoint: endpoints[0] }))
        .toThrow(`destinationIpv6CidrBlock must be an IPv6 CIDR block such as ::/0 or 2001:db8::/56, got '${cidr}'`);
    });

  test.each(['::/0', '2001:db8::/32', '2001:DB8:1234:1a00::/56', '2001:db8:0:0:0:0:0:0/128', 'fe80::1/128'])('accepts the IPv6 destination %s', (cidr) => {
    const { stack, appVpc, endpoints } = setup();
    EndpointRoutes.routeThroughEndpoint(stack, 'R', { routeTableId: appVpc.isolatedSubnets[0].routeTable.routeTableId, destinationIpv6CidrBlock: cidr, endpoint: endpoints[0] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::Route', { DestinationIpv6CidrBlock: cidr });
  });
});
