import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  EndpointRoutes, GatewayLoadBalancer, GatewayLoadBalancerEndpoint, GatewayLoadBalancerEndpointService,
} from '../../lib/gwlb';
import { newStack, newVpc } from './util';

function setup() {
  const stack = newStack();
  const appVpc = newVpc(stack, 'AppVpc');
  const securityVpc = newVpc(stack, 'SecurityVpc', { ipAddresses: ec2.IpAddresses.cidr('10.9.0.0/16') });
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: securityVpc });
  const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
  // Endpoints live in the isolated subnets; the public subnets are the ones routed through them.
  const endpoints = appVpc.isolatedSubnets.map((subnet, i) =>
    new GatewayLoadBalancerEndpoint(stack, `Endpoint${i}`, { vpc: appVpc, service, subnet }));
  return { stack, appVpc, endpoints };
}

function routesTo(template: Template, stack: ReturnType<typeof newStack>, endpoint: GatewayLoadBalancerEndpoint) {
  return Object.values(template.findResources('AWS::EC2::Route', {
    Properties: { VpcEndpointId: stack.resolve(endpoint.vpcEndpointId) },
  }));
}

describe('routeThroughEndpoint', () => {
  test('adds a route with VpcEndpointId', () => {
    const { stack, appVpc, endpoints } = setup();
    const subnet = appVpc.isolatedSubnets[0];
    const route = EndpointRoutes.routeThroughEndpoint(stack, 'ToInspection', {
      routeTableId: subnet.routeTable.routeTableId, destinationCidrBlock: '10.50.0.0/16', endpoint: endpoints[0],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::Route', {
      RouteTableId: stack.resolve(subnet.routeTable.routeTableId),
      DestinationCidrBlock: '10.50.0.0/16',
      VpcEndpointId: stack.resolve(endpoints[0].vpcEndpointId),
      GatewayId: Match.absent(),
    });
    expect(route.node.path).toBe('Stack/ToInspection');
  });

  test('fails with a malformed destination', () => {
    const { stack, appVpc, endpoints } = setup();
    expect(() => EndpointRoutes.routeThroughEndpoint(stack, 'R', {
      routeTableId: appVpc.isolatedSubnets[0].routeTable.routeTableId, destinationCidrBlock: '10.0.0.0/33', endpoint: endpoints[0],
    })).toThrow(/destinationCidrBlock must be an IPv4 CIDR block such as 10.0.0.0\/16, got '10.0.0.0\/33'/);
  });

  test('fails when the same destination is routed twice in a table', () => {
    const { stack, appVpc, endpoints } = setup();
    const routeTableId = appVpc.isolatedSubnets[0].routeTable.routeTableId;
    EndpointRoutes.routeThroughEndpoint(stack, 'A', { routeTableId, destinationCidrBlock: '10.50.0.0/16', endpoint: endpoints[0] });
    expect(() => EndpointRoutes.routeThroughEndpoint(stack, 'B', { routeTableId, destinationCidrBlock: '10.50.0.0/16', endpoint: endpoints[0] }))
      .toThrow(/route table already has a route for 10.50.0.0\/16 \(Stack\/A\)/);
  });
});

describe('routeSubnetThroughEndpoint', () => {
  test('adds a default route in a subnet without one', () => {
    const { stack, appVpc, endpoints } = setup();
    const subnet = appVpc.isolatedSubnets[0];
    EndpointRoutes.routeSubnetThroughEndpoint(stack, 'AppDefault', { subnet, endpoint: endpoints[0] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::Route', {
      RouteTableId: stack.resolve(subnet.routeTable.routeTableId),
      DestinationCidrBlock: '0.0.0.0/0',
      VpcEndpointId: stack.resolve(endpoints[0].vpcEndpointId),
    });
  });

  test('fails when the subnet already has a CDK route to the destination', () => {
    const { stack, appVpc, endpoints } = setup();
    const [publicA] = appVpc.publicSubnets;
    expect(() => EndpointRoutes.routeSubnetThroughEndpoint(stack, 'AppDefault', { subnet: publicA, endpoint: endpoints[0] }))
      .toThrow(/subnet Stack\/AppVpc\/PublicSubnet1 already has a route for 0.0.0.0\/0 \(Stack\/AppVpc\/PublicSubnet1\/DefaultRoute\); set replaceExistingRoute: true/);
  });

  test('replaceExistingRoute points the public default route at the endpoint', () => {
    const { stack, appVpc, endpoints } = setup();
    appVpc.publicSubnets.forEach((subnet, i) =>
      EndpointRoutes.routeSubnetThroughEndpoint(stack, `Default${i}`, { subnet, endpoint: endpoints[i], replaceExistingRoute: true }));
    const template = Template.fromStack(stack);
    appVpc.publicSubnets.forEach((subnet, i) => {
      const routes = routesTo(template, stack, endpoints[i]);
      expect(routes).toHaveLength(1);
      expect(routes[0].Properties).toEqual({
        RouteTableId: stack.resolve(subnet.routeTable.routeTableId),
        DestinationCidrBlock: '0.0.0.0/0',
        VpcEndpointId: stack.resolve(endpoints[i].vpcEndpointId),
      });
    });
    // No route to the internet gateway remains in the app VPC's public subnets.
    for (const subnet of appVpc.publicSubnets) {
      template.resourcePropertiesCountIs('AWS::EC2::Route', {
        RouteTableId: stack.resolve(subnet.routeTable.routeTableId), GatewayId: Match.anyValue(),
      }, 0);
    }
    // A replaced route is the expected outcome, not news: nothing is annotated.
    expect(Annotations.fromStack(stack).findInfo('*', Match.anyValue())).toEqual([]);
  });

  test('a non-default destination next to an existing default route', () => {
    const { stack, appVpc, endpoints } = setup();
    EndpointRoutes.routeSubnetThroughEndpoint(stack, 'Corp', { subnet: appVpc.publicSubnets[0], endpoint: endpoints[0], destinationCidrBlock: '192.168.0.0/16' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::Route', { DestinationCidrBlock: '192.168.0.0/16', VpcEndpointId: Match.anyValue() });
    template.hasResourceProperties('AWS::EC2::Route', { DestinationCidrBlock: '0.0.0.0/0', GatewayId: Match.anyValue() });
  });

  test('fails when the endpoint is in another AZ, naming both', () => {
    const { stack, appVpc, endpoints } = setup();
    expect(() => EndpointRoutes.routeSubnetThroughEndpoint(stack, 'AppDefault', { subnet: appVpc.isolatedSubnets[0], endpoint: endpoints[1] }))
      .toThrow(/endpoint Stack\/Endpoint1 is in dummy1b but subnet Stack\/AppVpc\/PrivateSubnet1 is in dummy1a/);
  });

  test('fails when called twice for the same subnet and destination', () => {
    const { stack, appVpc, endpoints } = setup();
    const subnet = appVpc.isolatedSubnets[0];
    EndpointRoutes.routeSubnetThroughEndpoint(stack, 'A', { subnet, endpoint: endpoints[0] });
    expect(() => EndpointRoutes.routeSubnetThroughEndpoint(stack, 'B', { subnet, endpoint: endpoints[0] }))
      .toThrow(/route table already has a route for 0.0.0.0\/0 \(Stack\/A\)/);
  });

  test('fails for an imported subnet without a route table', () => {
    const { stack, endpoints } = setup();
    const subnet = ec2.Subnet.fromSubnetAttributes(stack, 'S', { subnetId: 'subnet-1', availabilityZone: 'dummy1a' });
    expect(() => EndpointRoutes.routeSubnetThroughEndpoint(stack, 'R', { subnet, endpoint: endpoints[0] }))
      .toThrow(/subnet Stack\/S has no known route table/);
  });
});
