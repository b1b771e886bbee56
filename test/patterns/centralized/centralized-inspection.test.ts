import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  CentralizedEgress, CentralizedInspection, GatewayLoadBalancerEndpointService, InspectionVpc, TransitGateway,
} from '../../../lib';
import { ENV, Paths } from './support';

function hub(props: ConstructorParameters<typeof CentralizedInspection>[2] = {}, spokes: string[] = ['10.1.0.0/16', '10.2.0.0/16']) {
  const app = new App();
  const stack = new Stack(app, 'Hub', { env: ENV });
  const h = new CentralizedInspection(stack, 'Hub', props);
  spokes.forEach((cidr, i) => h.addSpoke(`Spoke${i + 1}`, { cidr }));
  return { app, stack, hub: h, paths: new Paths(stack) };
}

describe('CentralizedInspection', () => {
  test('creates a Transit Gateway with default association and propagation off', () => {
    const { stack } = hub();
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::TransitGateway', {
      DefaultRouteTableAssociation: 'disable', DefaultRouteTablePropagation: 'disable', AutoAcceptSharedAttachments: 'disable',
    });
  });

  test('attaches the inspection VPC in appliance mode, through its attachment subnets, associated with the inspection table', () => {
    const { stack, hub: h, paths } = hub();
    const t = Template.fromStack(stack);
    const attachmentId = stack.getLogicalId(h.inspectionAttachment.node.defaultChild as any);
    const props = paths.resources[attachmentId].Properties;
    expect(props.Options).toEqual({ ApplianceModeSupport: 'enable' });
    expect(props.SubnetIds.map((s: any) => s.Ref).sort()).toEqual(paths.subnetsNamed('TransitGatewaySubnet').filter((s) => s.startsWith('HubVpc')).sort());
    t.hasResourceProperties('AWS::EC2::TransitGatewayRouteTableAssociation', {
      TransitGatewayAttachmentId: { Ref: attachmentId },
      TransitGatewayRouteTableId: { Ref: stack.getLogicalId(h.inspectionRouteTable.node.defaultChild as any) },
    });
    t.hasResourceProperties('AWS::EC2::TransitGatewayRoute', {
      DestinationCidrBlock: '0.0.0.0/0',
      TransitGatewayAttachmentId: { Ref: attachmentId },
      TransitGatewayRouteTableId: { Ref: stack.getLogicalId(h.spokeRouteTable.node.defaultChild as any) },
    });
    t.resourceCountIs('AWS::EC2::TransitGatewayRoute', 1);
  });

  test.each([2, 3])('routes every one of %i zones through its own endpoint and NAT gateway, both ways', (azs) => {
    const { paths } = hub({ maxAzs: azs, inspectionVpcProps: { minCapacity: azs } });
    const attachmentSubnets = paths.subnetsNamed('HubVpcTransitGatewaySubnet');
    expect(attachmentSubnets).toHaveLength(azs);
    const zones = new Set<unknown>();
    for (const subnet of attachmentSubnets) {
      const az = paths.subnetAz(subnet);
      zones.add(az);
      const fromTgw = paths.routes(paths.tableOf(subnet));
      expect(Object.keys(fromTgw)).toEqual(['0.0.0.0/0']);
      const endpoint = fromTgw['0.0.0.0/0'].VpcEndpointId.Ref;
      const endpointSubnet = paths.subnetOfEndpoint(endpoint);
      expect(paths.subnetAz(endpointSubnet)).toEqual(az);

      const inspected = paths.routes(paths.tableOf(endpointSubnet));
      expect(Object.keys(inspected).sort()).toEqual(['0.0.0.0/0', '10.1.0.0/16', '10.2.0.0/16']);
      expect(inspected['10.1.0.0/16']).toEqual({ TransitGatewayId: { Ref: expect.stringMatching(/^HubTransitGateway/) } });
      const nat = inspected['0.0.0.0/0'].NatGatewayId.Ref;
      const natSubnet = paths.subnetOfNat(nat);
      expect(paths.subnetAz(natSubnet)).toEqual(az);

      const replies = paths.routes(paths.tableOf(natSubnet));
      expect(replies['0.0.0.0/0']).toEqual({ GatewayId: { Ref: expect.stringMatching(/IGW/) } });
      expect(replies['10.1.0.0/16']).toEqual({ VpcEndpointId: { Ref: endpoint } });
      expect(replies['10.2.0.0/16']).toEqual({ VpcEndpointId: { Ref: endpoint } });
    }
    expect(zones.size).toBe(azs);
  });

  test('routes to the Transit Gateway wait for the attachment', () => {
    const { paths } = hub();
    const tgwRoutes = Object.entries(paths.resources).filter(([, r]) => r.Type === 'AWS::EC2::Route' && r.Properties.TransitGatewayId);
    expect(tgwRoutes.length).toBeGreaterThan(0);
    for (const [, route] of tgwRoutes) {
      expect((route.DependsOn ?? []).some((d) => d.includes('Attachment'))).toBe(true);
    }
  });

  test('egress NONE: no internet gateway, no NAT gateway, no default route out of the endpoint subnets', () => {
    const { stack, paths } = hub({ egress: CentralizedEgress.NONE });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const subnet of paths.subnetsNamed('HubVpcEndpointSubnet')) {
      expect(Object.keys(paths.routes(paths.tableOf(subnet))).sort()).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    }
  });

  test('a summary CIDR is routed once; a spoke outside it gets its own routes', () => {
    const { paths } = hub({ spokeSummaryCidrs: ['10.0.0.0/8'] }, ['10.1.0.0/16', '172.16.0.0/16']);
    for (const subnet of paths.subnetsNamed('HubVpcEndpointSubnet')) {
      expect(Object.keys(paths.routes(paths.tableOf(subnet))).sort()).toEqual(['0.0.0.0/0', '10.0.0.0/8', '172.16.0.0/16']);
    }
  });

  test('uses an existing Transit Gateway by id and creates none', () => {
    const app = new App();
    const stack = new Stack(app, 'Hub', { env: ENV });
    const h = new CentralizedInspection(stack, 'Hub', { transitGateway: TransitGateway.fromTransitGatewayId(stack, 'Tgw', 'tgw-0123456789abcdef0') });
    h.addSpoke('Spoke', { cidr: '10.1.0.0/16' });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::EC2::TransitGateway', 0);
    t.resourceCountIs('AWS::EC2::TransitGatewayVpcAttachment', 2);
    t.allResourcesProperties('AWS::EC2::TransitGatewayVpcAttachment', { TransitGatewayId: 'tgw-0123456789abcdef0' });
    t.allResourcesProperties('AWS::EC2::TransitGatewayRouteTable', { TransitGatewayId: 'tgw-0123456789abcdef0' });
    Annotations.fromStack(stack).hasInfo('/Hub/Tgw', Match.stringLikeRegexp('default route table association and propagation'));
  });

  test('with a separate security VPC, builds endpoints for its service and no appliances of its own', () => {
    const app = new App();
    const security = new InspectionVpc(new Stack(app, 'Security', { env: ENV }), 'Inspection');
    const stack = new Stack(app, 'Hub', { env: ENV });
    const h = new CentralizedInspection(stack, 'Hub', { inspectionService: security });
    expect(h.appliances).toBeUndefined();
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    expect(h.endpoints.map((e) => e.service)).toEqual([security.endpointService, security.endpointService]);
  });

  test('fails when both inspectionService and inspectionVpcProps are given', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const service = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Svc', 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0');
    expect(() => new CentralizedInspection(stack, 'Hub', { inspectionService: service, inspectionVpcProps: {} }))
      .toThrow(/Hub: give either inspectionService .* or inspectionVpcProps/);
  });

  test.each([
    [{ inspectionVpcProps: { cidr: '10.9.0.0/16' } }, /inspectionVpcProps.cidr is chosen by CentralizedInspection/],
    [{ cidr: '10.0.0/16' }, /cidr must be an IPv4 CIDR block .* got '10.0.0\/16'/],
    [{ maxAzs: 1 }, /maxAzs must be an integer of at least 2 .* got 1/],
    [{ spokeSummaryCidrs: ['10/8'] }, /spokeSummaryCidrs\[0\] must be an IPv4 CIDR block/],
  ])('fails on bad props %j', (props, message) => {
    expect(() => new CentralizedInspection(new Stack(new App(), 'S', { env: ENV }), 'Hub', props as any)).toThrow(message);
  });
});

describe('TransitGateway', () => {
  test('fails on a malformed imported id and on a public ASN', () => {
    const stack = new Stack(new App(), 'S');
    expect(() => TransitGateway.fromTransitGatewayId(stack, 'T', 'vpc-123')).toThrow(/transitGatewayId must look like tgw-.*got 'vpc-123'/);
    expect(() => new TransitGateway(stack, 'G', { amazonSideAsn: 64600 })).not.toThrow();
    expect(() => new TransitGateway(stack, 'H', { amazonSideAsn: 16509 })).toThrow(/amazonSideAsn must be a private ASN .* got 16509/);
  });
});
