import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CentralizedInspection, EastWestTraffic, InspectedSpoke, TransitGatewayVpcAttachment, UninspectedTraffic } from '../../../lib';
import { ENV, Paths } from './support';

function setup(eastWest?: EastWestTraffic) {
  const app = new App();
  const stack = new Stack(app, 'Hub', { env: ENV });
  const hub = new CentralizedInspection(stack, 'Hub', { eastWest });
  return { app, stack, hub };
}

/** An ec2.Vpc with public subnets and NAT gateways, as most existing VPCs are. */
function natVpc(stack: Stack, cidr = '10.5.0.0/16'): ec2.Vpc {
  return new ec2.Vpc(stack, 'Existing', { ipAddresses: ec2.IpAddresses.cidr(cidr), maxAzs: 2, natGateways: 1 });
}

const ref = (stack: Stack, c: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(c.node.defaultChild as any) });

describe('InspectedSpoke', () => {
  test('associates with the spokes\' table and propagates only into the inspection table', () => {
    const { stack, hub } = setup();
    const spoke = hub.addSpoke('Spoke', { cidr: '10.1.0.0/16' });
    const t = Template.fromStack(stack);
    const attachment = ref(stack, spoke.attachment);
    t.hasResourceProperties('AWS::EC2::TransitGatewayRouteTableAssociation', { TransitGatewayAttachmentId: attachment, TransitGatewayRouteTableId: ref(stack, hub.spokeRouteTable) });
    t.resourceCountIs('AWS::EC2::TransitGatewayRouteTablePropagation', 1);
    t.hasResourceProperties('AWS::EC2::TransitGatewayRouteTablePropagation', { TransitGatewayAttachmentId: attachment, TransitGatewayRouteTableId: ref(stack, hub.inspectionRouteTable) });
    expect(spoke.directPropagation).toBeUndefined();
  });

  test('sends every subnet\'s 0.0.0.0/0 to the Transit Gateway, after the attachment exists', () => {
    const { stack, hub } = setup();
    const spoke = hub.addSpoke('Spoke', { cidr: '10.1.0.0/16' });
    const paths = new Paths(stack);
    const subnets = paths.subnetsNamed('HubSpokeVpc');
    expect(subnets).toHaveLength(4); // Workload and TransitGateway groups, two zones
    for (const subnet of subnets) {
      expect(paths.routes(paths.tableOf(subnet))).toEqual({ '0.0.0.0/0': { TransitGatewayId: ref(stack, hub.transitGateway) } });
    }
    expect(spoke.defaultRoutes).toHaveLength(4);
    for (const route of spoke.defaultRoutes) {
      expect(paths.resources[stack.getLogicalId(route)].DependsOn).toContain(stack.getLogicalId(spoke.attachment.node.defaultChild as any));
    }
  });

  test('an existing VPC: retargets its NAT default routes to the Transit Gateway, and fails on the public subnets\' own internet route', () => {
    const { app, stack, hub } = setup();
    const vpc = natVpc(stack);
    const spoke = hub.addSpoke('Existing', { vpc });
    expect(spoke.routedSubnets).toEqual(vpc.privateSubnets);
    for (const subnet of vpc.privateSubnets) {
      const route = subnet.node.findChild('DefaultRoute') as ec2.CfnRoute;
      expect(route.natGatewayId).toBeUndefined();
      expect(route.transitGatewayId).toBe(hub.transitGateway.transitGatewayId);
    }
    expect(() => app.synth()).toThrow(/Hub\/Existing\/PublicSubnet1\/DefaultRoute: route 0.0.0.0\/0 of spoke subnet Hub\/Existing\/PublicSubnet1 goes to an internet or virtual private gateway, not the Transit Gateway: it skips inspection/);
  });

  test('fails on a peering route added to a routed subnet after the spoke was built', () => {
    const { app, stack, hub } = setup();
    const spoke = hub.addSpoke('Spoke', { cidr: '10.1.0.0/16' });
    new ec2.CfnRoute(stack, 'Peering', {
      routeTableId: spoke.routedSubnets[0].routeTable.routeTableId, destinationCidrBlock: '192.168.0.0/16', vpcPeeringConnectionId: 'pcx-0123456789abcdef0',
    });
    expect(() => app.synth()).toThrow(/Hub\/Peering: route 192.168.0.0\/16 .* goes to a VPC peering connection/);
  });

  test('UninspectedTraffic.subnets(): the public subnets keep their internet route, with a warning and the validator rule acknowledged', () => {
    const { app, stack, hub } = setup();
    const vpc = natVpc(stack);
    hub.addSpoke('Existing', {
      vpc, uninspected: [UninspectedTraffic.subnets({ subnetType: ec2.SubnetType.PUBLIC }, 'hosts the internet-facing load balancer, inspected by its own WAF')],
    });
    expect(() => app.synth()).not.toThrow();
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Hub/Existing/PublicSubnet1', Match.stringLikeRegexp('NOT inspected \\(hosts the internet-facing load balancer'));
    annotations.hasWarning('/Hub/Existing/PublicSubnet2', Match.stringLikeRegexp('NOT inspected'));
    const publicSubnet = vpc.publicSubnets[0];
    const acks = publicSubnet.node.metadata.filter((m) => JSON.stringify(m.data).includes('GwlbPathValidator::GWLB-T3-SPOKE-ROUTE-BYPASS'));
    expect(acks).toHaveLength(1);
  });

  test('UninspectedTraffic.route(): a listed route passes with a warning naming it', () => {
    const { app, stack, hub } = setup();
    const vpc = new ec2.Vpc(stack, 'Existing', { ipAddresses: ec2.IpAddresses.cidr('10.6.0.0/16'), natGateways: 0, subnetConfiguration: [{ name: 'App', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const peering = new ec2.CfnRoute(stack, 'Peering', {
      routeTableId: vpc.isolatedSubnets[0].routeTable.routeTableId, destinationCidrBlock: '192.168.0.0/16', vpcPeeringConnectionId: 'pcx-0123456789abcdef0',
    });
    hub.addSpoke('Existing', { vpc, uninspected: [UninspectedTraffic.route(peering, 'partner network reached over peering, inspected by the partner')] });
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasWarning('/Hub/Peering', Match.stringLikeRegexp('route Hub/Peering of spoke Hub/Hub/Existing may skip the Transit Gateway'));
  });

  test('EastWestTraffic.DIRECT_UNINSPECTED also propagates into the spokes\' table and warns on that propagation', () => {
    const { stack, hub } = setup(EastWestTraffic.DIRECT_UNINSPECTED);
    const spoke = hub.addSpoke('Spoke', { cidr: '10.1.0.0/16' });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::TransitGatewayRouteTablePropagation', {
      TransitGatewayAttachmentId: ref(stack, spoke.attachment), TransitGatewayRouteTableId: ref(stack, hub.spokeRouteTable),
    });
    Annotations.fromStack(stack).hasWarning('/Hub/Hub/Spoke/DirectPropagation', Match.stringLikeRegexp('is NOT inspected'));
  });

  test('a spoke in its own stack keeps its attachment, association, propagation and inspection-VPC routes there', () => {
    const app = new App();
    const hubStack = new Stack(app, 'Hub', { env: ENV });
    const hub = new CentralizedInspection(hubStack, 'Hub');
    const spokeStack = new Stack(app, 'Spoke', { env: ENV });
    new InspectedSpoke(spokeStack, 'Spoke', { hub, cidr: '10.1.0.0/16' });
    const t = Template.fromStack(spokeStack);
    t.resourceCountIs('AWS::EC2::TransitGatewayVpcAttachment', 1);
    t.resourceCountIs('AWS::EC2::TransitGatewayRouteTableAssociation', 1);
    t.resourceCountIs('AWS::EC2::TransitGatewayRouteTablePropagation', 1);
    t.resourcePropertiesCountIs('AWS::EC2::Route', { DestinationCidrBlock: '10.1.0.0/16' }, 4); // 2 endpoint + 2 NAT subnets of the hub
    expect(() => app.synth()).not.toThrow();
  });

  test.each([
    ['the inspection VPC', '100.64.0.0/20', /cidrs: 100.64.0.0\/20 overlaps 100.64.0.0\/16 of the inspection VPC/],
    ['another spoke', '10.1.128.0/17', /cidrs: 10.1.128.0\/17 overlaps 10.1.0.0\/16 of spoke Hub\/Hub\/First/],
  ])('fails when its CIDR overlaps %s', (_what, cidr, message) => {
    const { hub } = setup();
    hub.addSpoke('First', { cidr: '10.1.0.0/16' });
    expect(() => hub.addSpoke('Second', { cidr })).toThrow(message);
  });

  test('fails on a VPC together with new-VPC props, and on an empty subnet selection', () => {
    const { stack, hub } = setup();
    const vpc = natVpc(stack);
    expect(() => hub.addSpoke('A', { vpc, cidr: '10.9.0.0/16' })).toThrow(/cidr \(10.9.0.0\/16\) configures a new spoke VPC and cannot be used with vpc/);
    expect(() => hub.addSpoke('B', { vpc, subnets: { subnetGroupName: 'Nope' } })).toThrow(/subnets: There are no subnet groups with name 'Nope'/);
  });

  test('fails on attachment subnets with two in one zone, naming the prop', () => {
    const { stack, hub } = setup();
    const vpc = natVpc(stack);
    expect(() => hub.addSpoke('A', { vpc, attachmentSubnets: { subnets: [vpc.privateSubnets[0], vpc.publicSubnets[0], vpc.privateSubnets[1]] } }))
      .toThrow(/attachmentSubnets selected 3 subnets in 2 availability zones/);
  });

  test('an imported VPC: uses its vpcCidrBlock, and fails naming cidrs when it has none', () => {
    const { stack, hub } = setup();
    const attrs = { availabilityZones: ['eu-west-1a'], isolatedSubnetIds: ['subnet-0123456789abcdef0'], isolatedSubnetRouteTableIds: ['rtb-0123456789abcdef0'] };
    const known = ec2.Vpc.fromVpcAttributes(stack, 'Known', { ...attrs, vpcId: 'vpc-0123456789abcdef0', vpcCidrBlock: '10.7.0.0/16' });
    expect(hub.addSpoke('Known', { vpc: known }).cidrs).toEqual(['10.7.0.0/16']);
    const unknown = ec2.Vpc.fromVpcAttributes(stack, 'Unknown', { ...attrs, vpcId: 'vpc-0123456789abcdef1' });
    expect(() => hub.addSpoke('Unknown', { vpc: unknown })).toThrow(/cidrs: the CIDR block of vpc Hub\/Unknown is unknown; give cidrs/);
    expect(hub.addSpoke('Given', { vpc: unknown, cidrs: ['10.8.0.0/16'] }).cidrs).toEqual(['10.8.0.0/16']);
  });

  test('fails on an exception without a real reason', () => {
    expect(() => UninspectedTraffic.subnets({}, 'because')).toThrow(/give a real reason .* got 'because'/);
  });
});

describe('TransitGatewayVpcAttachment', () => {
  test('fails on two subnets in one zone, and on none', () => {
    const { stack, hub } = setup();
    const vpc = natVpc(stack);
    const sameZone = [vpc.privateSubnets[0], vpc.publicSubnets[0]];
    expect(() => new TransitGatewayVpcAttachment(stack, 'A', { transitGateway: hub.transitGateway, vpc, subnets: sameZone }))
      .toThrow(/subnets has two subnets in availability zone \S+ .*one subnet per zone/);
    expect(() => new TransitGatewayVpcAttachment(stack, 'B', { transitGateway: hub.transitGateway, vpc, subnets: [] })).toThrow(/subnets must not be empty/);
  });
});
