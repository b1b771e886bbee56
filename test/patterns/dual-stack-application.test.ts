import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { GatewayLoadBalancerEndpointService, GatewayLoadBalancerIpAddressType } from '../../lib/gwlb';
import {
  ApplicationEgress, ApplicationIpProtocol, InspectedApplication, InspectedApplicationOptions, UninspectedEgress,
} from '../../lib/patterns';
import { checkPerZonePaths } from './support/routing-paths';
import { logicalIdOf, onlyResource, resourcesOfType } from './support/synth';

const SERVICE_NAME = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';
const BOTH = [ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6];
const DUAL_STACK = ApplicationIpProtocol.DUAL_STACK;

function build(options: InspectedApplicationOptions = {}, stack = new Stack(), supportedIpAddressTypes: ec2.IpAddressType[] | undefined = BOTH) {
  const inspectionService = GatewayLoadBalancerEndpointService.fromServiceAttributes(stack, 'Service', { serviceName: SERVICE_NAME, supportedIpAddressTypes });
  const app = new InspectedApplication(stack, 'App', { ...options, inspectionService });
  return { stack, app, template: Template.fromStack(stack) };
}

/** A dual-stack VPC laid out like the construct's own, defined outside it. */
function ownDualStackVpc(stack: Stack, applicationType = ec2.SubnetType.PRIVATE_ISOLATED, endpointType = ec2.SubnetType.PUBLIC): ec2.Vpc {
  return new ec2.Vpc(stack, 'Own', {
    maxAzs: 2,
    natGateways: applicationType === ec2.SubnetType.PRIVATE_WITH_EGRESS ? 1 : 0,
    ipProtocol: ec2.IpProtocol.DUAL_STACK,
    subnetConfiguration: [
      { name: 'Endpoint', subnetType: endpointType, cidrMask: 24 },
      { name: 'LoadBalancer', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'Application', subnetType: applicationType, cidrMask: 24, ipv6AssignAddressOnCreation: false },
    ],
  });
}

const routeProps = (template: Template, routeTable: string) =>
  Object.values(template.findResources('AWS::EC2::Route', { Properties: { RouteTableId: { Ref: routeTable } } })).map((r) => r.Properties);

describe('InspectedApplication with ipProtocol DUAL_STACK', () => {
  let stack: Stack;
  let app: InspectedApplication;
  let template: Template;
  beforeAll(() => ({ stack, app, template } = build({ ipProtocol: DUAL_STACK })));

  test('IPv4 and IPv6 inbound and return paths cross the same-zone endpoint in every zone', () => {
    const paths = checkPerZonePaths(template.toJSON() as any, { ipv6: true });
    expect(paths).toHaveLength(2);
    expect(paths.every((p) => p.ipv6 && p.natGateway !== undefined)).toBe(true);
    expect(paths.map((p) => p.endpoint)).toEqual(app.endpoints.map((e) => logicalIdOf(e)));
    expect(app.ipProtocol).toBe(DUAL_STACK);
  });

  test('a dual-stack VPC: every subnet has an IPv6 /64, no instance gets an IPv6 address', () => {
    template.hasResourceProperties('AWS::EC2::VPCCidrBlock', { AmazonProvidedIpv6CidrBlock: true, VpcId: { Ref: logicalIdOf(app.vpc as ec2.Vpc) } });
    const subnets = resourcesOfType(template, 'AWS::EC2::Subnet');
    expect(subnets).toHaveLength(6);
    expect(subnets.every(([, s]) => JSON.stringify(s.Properties.Ipv6CidrBlock).includes('"64"'))).toBe(true);
    for (const subnet of app.applicationSubnets) {
      template.hasResourceProperties('AWS::EC2::Subnet', { CidrBlock: subnet.ipv4CidrBlock, AssignIpv6AddressOnCreation: false, MapPublicIpOnLaunch: false });
    }
  });

  test('no egress-only internet gateway and no IPv6 route out of the application subnets', () => {
    template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 0);
    for (const subnet of app.applicationSubnets) {
      const routes = routeProps(template, logicalIdOf(subnet.node.findChild('RouteTable') as ec2.CfnRouteTable));
      expect(routes).toEqual([{ RouteTableId: expect.anything(), DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: expect.stringMatching(/NATGateway/) } }]);
    }
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('IPv6 routes: edge per load balancer subnet, ::/0 retargeted to the endpoint, endpoint subnets ::/0 to the internet gateway', () => {
    expect(app.routing.edgeIpv6Routes).toHaveLength(2);
    expect(app.routing.protectedSubnetIpv6Routes.map((r) => r.node.path))
      .toEqual(['Default/App/Vpc/LoadBalancerSubnet1/DefaultRoute6', 'Default/App/Vpc/LoadBalancerSubnet2/DefaultRoute6']);
    expect(app.routing.endpointSubnetIpv6Routes).toEqual([]); // the endpoint subnets already route ::/0 to the internet gateway
    expect(app.routing.ipAddressType).toBe(GatewayLoadBalancerIpAddressType.DUAL_STACK);
    app.routing.edgeIpv6Routes.forEach((route, i) => {
      expect(stack.resolve(route.destinationIpv6CidrBlock))
        .toEqual({ 'Fn::Select': [0, { 'Fn::GetAtt': [logicalIdOf(app.loadBalancerSubnets[i] as ec2.Subnet), 'Ipv6CidrBlocks'] }] });
      expect(stack.resolve(route.vpcEndpointId)).toEqual({ Ref: logicalIdOf(app.endpoints[i]) });
    });
  });

  test('a dual-stack load balancer open to IPv4 and IPv6 clients, created after the IPv6 routes', () => {
    const [, alb] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(alb.Properties.IpAddressType).toBe('dualstack');
    const ipv6Routes = [...app.routing.edgeIpv6Routes, ...app.routing.protectedSubnetIpv6Routes].map((r) => logicalIdOf(r));
    expect(alb.DependsOn).toEqual(expect.arrayContaining(ipv6Routes));
    const lbSg = template.toJSON().Resources[logicalIdOf(app.loadBalancerSecurityGroup)];
    expect(lbSg.Properties.SecurityGroupIngress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTP from the internet over IPv4', FromPort: 80, IpProtocol: 'tcp', ToPort: 80 },
      { CidrIpv6: '::/0', Description: 'HTTP from the internet over IPv6', FromPort: 80, IpProtocol: 'tcp', ToPort: 80 },
    ]);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 80, IpAddressType: Match.absent() });
  });

  test('NAT gateways, one per zone in the load balancer subnets, wait for the IPv6 edge routes too', () => {
    const nats = resourcesOfType(template, 'AWS::EC2::NatGateway');
    expect(nats.map(([, n]) => n.Properties.SubnetId)).toEqual(app.loadBalancerSubnets.map((s) => stack.resolve(s.subnetId)));
    for (const [, nat] of nats) {
      expect(nat.DependsOn).toEqual(expect.arrayContaining(app.routing.edgeIpv6Routes.map((r) => logicalIdOf(r))));
    }
  });
});

describe('InspectedApplication ipProtocol options', () => {
  test('explicit IPV4_ONLY synthesizes exactly the default template', () => {
    expect(build({ ipProtocol: ApplicationIpProtocol.IPV4_ONLY }).template.toJSON()).toEqual(build().template.toJSON());
  });

  test('with a certificate, HTTP and HTTPS are open over IPv4 and IPv6', () => {
    const stack = new Stack();
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:111122223333:certificate/abc');
    const { template, app } = build({ ipProtocol: DUAL_STACK, certificate }, stack);
    const rules = template.toJSON().Resources[logicalIdOf(app.loadBalancerSecurityGroup)].Properties.SecurityGroupIngress;
    expect(rules.map((r: any) => [r.FromPort, r.CidrIp ?? r.CidrIpv6, r.Description])).toEqual([
      [80, '0.0.0.0/0', 'HTTP from the internet over IPv4'], [80, '::/0', 'HTTP from the internet over IPv6'],
      [443, '0.0.0.0/0', 'HTTPS from the internet over IPv4'], [443, '::/0', 'HTTPS from the internet over IPv6'],
    ]);
  });

  test('three zones: every zone has its own IPv6 path', () => {
    const { template, app } = build({ ipProtocol: DUAL_STACK, maxAzs: 3 }, new Stack(undefined, 'S', { env: { account: '111122223333', region: 'eu-west-1' } }));
    const paths = checkPerZonePaths(template.toJSON() as any, { ipv6: true });
    expect(paths.map((p) => JSON.parse(p.zone))).toEqual(app.vpc.availabilityZones);
    expect(new Set(paths.map((p) => p.endpoint)).size).toBe(3);
  });

  test('egress NONE: no NAT gateway, no egress-only gateway, isolated instances', () => {
    const { template } = build({ ipProtocol: DUAL_STACK, egress: ApplicationEgress.NONE });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 0);
    expect(checkPerZonePaths(template.toJSON() as any, { ipv6: true }).map((p) => p.natGateway)).toEqual([undefined, undefined]);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  });

  test.each([true, false])('no egress-only internet gateway with requirePrivateSubnetsForEgressOnlyInternetGateway=%s', (flag) => {
    const app = new App({ context: { '@aws-cdk/aws-ec2:requirePrivateSubnetsForEgressOnlyInternetGateway': flag } });
    const { template } = build({ ipProtocol: DUAL_STACK, egress: ApplicationEgress.NONE }, new Stack(app, 'S'));
    template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 0);
  });

  test('a service whose IP address types are unknown (imported by name) is accepted', () => {
    const { template } = build({ ipProtocol: DUAL_STACK }, new Stack(), undefined);
    expect(checkPerZonePaths(template.toJSON() as any, { ipv6: true })).toHaveLength(2);
  });

  test('an existing dual-stack VPC: load balancer ::/0 routes retargeted, endpoint subnets keep theirs', () => {
    const stack = new Stack();
    const vpc = ownDualStackVpc(stack);
    const { template, app } = build({ ipProtocol: DUAL_STACK, existingVpc: vpc }, stack);
    expect(checkPerZonePaths(template.toJSON() as any, { ipv6: true })).toHaveLength(2);
    expect(app.routing.protectedSubnetIpv6Routes.map((r) => r.node.path)).toEqual(['Default/Own/LoadBalancerSubnet1/DefaultRoute6', 'Default/Own/LoadBalancerSubnet2/DefaultRoute6']);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('an existing dual-stack VPC without endpoint subnet routes gets ::/0 to the internet gateway', () => {
    const stack = new Stack();
    const vpc = ownDualStackVpc(stack, ec2.SubnetType.PRIVATE_ISOLATED, ec2.SubnetType.PRIVATE_ISOLATED);
    const { template, app } = build({ ipProtocol: DUAL_STACK, existingVpc: vpc, internetGatewayId: 'igw-0123456789abcdef0' }, stack);
    expect(app.routing.endpointSubnetIpv6Routes).toHaveLength(2);
    app.endpointSubnets.forEach((subnet) => template.hasResourceProperties('AWS::EC2::Route', {
      RouteTableId: stack.resolve(subnet.routeTable.routeTableId), DestinationIpv6CidrBlock: '::/0', GatewayId: 'igw-0123456789abcdef0',
    }));
  });

  test('fails application subnets with an egress-only gateway route, naming each route', () => {
    const stack = new Stack();
    expect(() => build({ ipProtocol: DUAL_STACK, existingVpc: ownDualStackVpc(stack, ec2.SubnetType.PRIVATE_WITH_EGRESS) }, stack)).toThrow(
      /egress subnet Default\/Own\/ApplicationSubnet1 .*route Default\/Own\/ApplicationSubnet1\/DefaultRoute6 \(IPv6 ::\/0\) goes to egress-only internet gateway/);
  });

  test('an egress-only gateway route is only a warning with UninspectedEgress.allow', () => {
    const stack = new Stack();
    build({
      ipProtocol: DUAL_STACK, existingVpc: ownDualStackVpc(stack, ec2.SubnetType.PRIVATE_WITH_EGRESS),
      uninspectedEgress: UninspectedEgress.allow('IPv6 updates go straight out by design'),
    }, stack);
    Annotations.fromStack(stack).hasWarning('/Default/App/Routing', Match.stringLikeRegexp(
      'uninspected egress allowed \\(IPv6 updates go straight out by design\\): egress subnet Default/Own/ApplicationSubnet2 .*DefaultRoute6'));
  });

  test('fails an IPv4-only application in a dual-stack VPC: the load balancer subnets keep ::/0 to the internet gateway', () => {
    const stack = new Stack();
    expect(() => build({ existingVpc: ownDualStackVpc(stack) }, stack)).toThrow(
      /protected subnet Default\/Own\/LoadBalancerSubnet1 .*route Default\/Own\/LoadBalancerSubnet1\/DefaultRoute6 \(IPv6 ::\/0\) goes straight to internet gateway/);
  });
});

describe('InspectedApplication dual-stack validation', () => {
  test('fails a service without IPv6, naming it', () => {
    expect(() => build({ ipProtocol: DUAL_STACK }, new Stack(), [ec2.IpAddressType.IPV4]))
      .toThrow(/Default\/App: ipProtocol is DUAL_STACK but the inspection service Default\/Service \(com\.amazonaws\.vpce\.eu-west-1\.vpce-svc-0123456789abcdef0\) does not support IPv6 \(supportedIpAddressTypes: ipv4\)/);
  });

  test('fails an existing IPv4-only VPC, naming the prop and the subnet', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Own', { maxAzs: 2, natGateways: 0, subnetConfiguration: [
      { name: 'Endpoint', subnetType: ec2.SubnetType.PUBLIC }, { name: 'LoadBalancer', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Application', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ] });
    expect(() => build({ ipProtocol: DUAL_STACK, existingVpc: vpc }, stack))
      .toThrow(/ipProtocol is DUAL_STACK but endpointSubnets subnet Default\/Own\/EndpointSubnet1 has no IPv6 CIDR block: create the existingVpc with ipProtocol: ec2.IpProtocol.DUAL_STACK/);
  });

  test('fails an imported VPC', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetNames: ['Endpoint', 'LoadBalancer'],
      publicSubnetIds: ['subnet-0e000000000000001', 'subnet-0e000000000000002', 'subnet-0b000000000000001', 'subnet-0b000000000000002'],
      publicSubnetRouteTableIds: ['rtb-0e000000000000001', 'rtb-0e000000000000002', 'rtb-0b000000000000001', 'rtb-0b000000000000002'],
      publicSubnetIpv4CidrBlocks: ['10.2.0.0/28', '10.2.0.16/28', '10.2.1.0/24', '10.2.2.0/24'],
      isolatedSubnetNames: ['Application'], isolatedSubnetIds: ['subnet-0a000000000000001', 'subnet-0a000000000000002'],
    });
    expect(() => build({ ipProtocol: DUAL_STACK, existingVpc: vpc, internetGatewayId: 'igw-0123456789abcdef0' }, stack))
      .toThrow(/endpointSubnets subnet Default\/Imported\/EndpointSubnet1 is imported, so its IPv6 CIDR block is unknown/);
  });

  test('fails an endpoint subnet whose ::/0 route is not the internet gateway', () => {
    const stack = new Stack();
    const vpc = ownDualStackVpc(stack);
    const route = vpc.publicSubnets[0].node.findChild('DefaultRoute6') as ec2.CfnRoute;
    route.gatewayId = undefined;
    route.egressOnlyInternetGatewayId = 'eigw-0123456789abcdef0';
    expect(() => build({ ipProtocol: DUAL_STACK, existingVpc: vpc }, stack))
      .toThrow(/endpointSubnets: subnet Default\/Own\/EndpointSubnet1 has an IPv6 default route \(::\/0\) that is not the internet gateway \(Default\/Own\/EndpointSubnet1\/DefaultRoute6\)/);
  });
});
