import { CfnParameter } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  GatewayLoadBalancer, GatewayLoadBalancerEndpoint, GatewayLoadBalancerEndpointService, IngressRouteTable,
} from '../../lib/gwlb';
import { newStack, newVpc } from './util';

function setup() {
  const stack = newStack();
  const appVpc = newVpc(stack, 'AppVpc');
  const securityVpc = newVpc(stack, 'SecurityVpc', { ipAddresses: ec2.IpAddresses.cidr('10.9.0.0/16') });
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: securityVpc });
  const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
  const endpoints = appVpc.isolatedSubnets.map((subnet, i) =>
    new GatewayLoadBalancerEndpoint(stack, `Endpoint${i}`, { vpc: appVpc, service, subnet }));
  return { stack, appVpc, endpoints };
}

describe('IngressRouteTable', () => {
  test('creates a route table associated with the VPC internet gateway', () => {
    const { stack, appVpc } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::RouteTable', { VpcId: stack.resolve(appVpc.vpcId) });
    template.hasResourceProperties('AWS::EC2::GatewayRouteTableAssociation', {
      GatewayId: stack.resolve(appVpc.internetGatewayId),
      RouteTableId: stack.resolve(table.routeTableId),
    });
    expect(stack.resolve(table.internetGatewayId)).toEqual(stack.resolve(appVpc.internetGatewayId));
    expect(stack.resolve(table.routeTableId)).toEqual({ Ref: stack.getLogicalId(table.node.defaultChild as any) });
  });

  test('the association waits for the internet gateway attachment', () => {
    const { stack, appVpc } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const association = table.node.findChild('GatewayAssociation') as ec2.CfnGatewayRouteTableAssociation;
    const resource = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(association)];
    const attachment = appVpc.node.findChild('VPCGW') as ec2.CfnVPCGatewayAttachment;
    expect(resource.DependsOn).toContain(stack.getLogicalId(attachment));
  });

  test('addSubnetRoute sends the subnet CIDR to the endpoint in its AZ', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    appVpc.isolatedSubnets.forEach((subnet, i) => table.addSubnetRoute(`Route${i}`, subnet, endpoints[i]));
    const template = Template.fromStack(stack);
    appVpc.isolatedSubnets.forEach((subnet, i) => {
      template.hasResourceProperties('AWS::EC2::Route', {
        RouteTableId: stack.resolve(table.routeTableId),
        DestinationCidrBlock: subnet.ipv4CidrBlock,
        VpcEndpointId: stack.resolve(endpoints[i].vpcEndpointId),
      });
    });
    expect(appVpc.isolatedSubnets.map((s) => s.ipv4CidrBlock)).toEqual(['10.0.2.0/24', '10.0.3.0/24']);
  });

  test('an imported VPC with internetGatewayId', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], publicSubnetIds: ['subnet-1'],
      publicSubnetIpv4CidrBlocks: ['10.0.0.0/24'],
    });
    new IngressRouteTable(stack, 'Ingress', { vpc, internetGatewayId: 'igw-0123abcd' });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::GatewayRouteTableAssociation', { GatewayId: 'igw-0123abcd' });
  });

  test('a token internetGatewayId is accepted', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'] });
    const igw = new CfnParameter(stack, 'Igw').valueAsString;
    new IngressRouteTable(stack, 'Ingress', { vpc, internetGatewayId: igw });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::GatewayRouteTableAssociation', { GatewayId: { Ref: 'Igw' } });
  });

  test('imported subnets and endpoints with matching AZs', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const subnet = ec2.Subnet.fromSubnetAttributes(stack, 'Imported', {
      subnetId: 'subnet-9', availabilityZone: 'dummy1a', ipv4CidrBlock: '10.0.200.0/24',
    });
    table.addSubnetRoute('Route', subnet, endpoints[0]);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::Route', { DestinationCidrBlock: '10.0.200.0/24' });
  });

  test('fails for an imported VPC without internetGatewayId, naming the prop', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'] });
    expect(() => new IngressRouteTable(stack, 'Ingress', { vpc })).toThrow(/internetGatewayId is required/);
  });

  test('fails for a Vpc without an internet gateway', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'Iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    expect(() => new IngressRouteTable(stack, 'Ingress', { vpc })).toThrow(/internetGatewayId is required/);
  });

  test('fails with a malformed internetGatewayId', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    expect(() => new IngressRouteTable(stack, 'Ingress', { vpc, internetGatewayId: 'vgw-123' }))
      .toThrow(/internetGatewayId must look like igw-<hex>, got 'vgw-123'/);
  });

  test('fails when an endpoint is in another AZ than the subnet, naming both AZs', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    expect(() => table.addSubnetRoute('Route', appVpc.isolatedSubnets[0], endpoints[1]))
      .toThrow(/endpoint Stack\/Endpoint1 is in dummy1b but subnet Stack\/AppVpc\/PrivateSubnet1 is in dummy1a/);
  });

  test('fails when a subnet is routed twice', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    table.addSubnetRoute('Route', appVpc.isolatedSubnets[0], endpoints[0]);
    expect(() => table.addSubnetRoute('Again', appVpc.isolatedSubnets[0], endpoints[0]))
      .toThrow(/subnet Stack\/AppVpc\/PrivateSubnet1 \(10.0.2.0\/24\) already has a route in this ingress route table/);
  });

  test('fails when two subnet objects share a CIDR', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    table.addSubnetRoute('Route', appVpc.isolatedSubnets[0], endpoints[0]);
    const same = ec2.Subnet.fromSubnetAttributes(stack, 'Same', { subnetId: 'subnet-1', availabilityZone: 'dummy1a', ipv4CidrBlock: '10.0.2.0/24' });
    expect(() => table.addSubnetRoute('Again', same, endpoints[0])).toThrow(/already has a route/);
  });

  test('fails when the subnet CIDR is unknown', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const subnet = ec2.Subnet.fromSubnetAttributes(stack, 'NoCidr', { subnetId: 'subnet-1', availabilityZone: 'dummy1a' });
    expect(() => table.addSubnetRoute('Route', subnet, endpoints[0])).toThrow(/the IPv4 CIDR block of subnet Stack\/NoCidr is unknown/);
  });

  test('fails when the subnet belongs to another VPC', () => {
    const { stack, appVpc, endpoints } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const other = newVpc(stack, 'Other', { ipAddresses: ec2.IpAddresses.cidr('10.7.0.0/16') });
    expect(() => table.addSubnetRoute('Route', other.publicSubnets[0], endpoints[0]))
      .toThrow(/subnet Stack\/Other\/PublicSubnet1 belongs to VPC Stack\/Other, not to Stack\/AppVpc/);
  });

  test('fails when the endpoint is in another VPC', () => {
    const { stack, appVpc } = setup();
    const table = new IngressRouteTable(stack, 'Ingress', { vpc: appVpc });
    const other = newVpc(stack, 'Other', { ipAddresses: ec2.IpAddresses.cidr('10.7.0.0/16') });
    const service = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Svc', 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0');
    const foreign = new GatewayLoadBalancerEndpoint(stack, 'Foreign', { vpc: other, service, subnet: other.isolatedSubnets[0] });
    expect(() => table.addSubnetRoute('Route', appVpc.publicSubnets[0], foreign))
      .toThrow(/endpoint Stack\/Foreign is in VPC Stack\/Other, not in Stack\/AppVpc/);
  });
});
