import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { GatewayLoadBalancerEndpointService } from '../../lib/gwlb';
import {
  ApplicationEgress, ApplicationIpProtocol, GwlbInspection, GwlbInspectionProps, InspectedApplication, InspectedApplicationOptions,
  InspectionRouting, UninspectedEgress,
} from '../../lib/patterns';

const SERVICE_NAME = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';

function application(stack: Stack, options: InspectedApplicationOptions): InspectedApplication {
  const inspectionService = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME);
  return new InspectedApplication(stack, 'App', { ...options, inspectionService });
}

const synth = (stack: Stack) => () => Template.fromStack(stack);

/** An application VPC as a user builds it: CDK puts the NAT gateways in the first public group (Endpoint). */
function userVpc(stack: Stack, props: Partial<ec2.VpcProps> = {}): ec2.Vpc {
  return new ec2.Vpc(stack, 'Own', {
    maxAzs: 2,
    subnetConfiguration: [
      { name: 'Endpoint', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'LoadBalancer', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'Application', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
    ],
    ...props,
  });
}

function allAnnotations(stack: Stack) {
  const a = Annotations.fromStack(stack);
  return [...a.findInfo('*', Match.anyValue()), ...a.findWarning('*', Match.anyValue()), ...a.findError('*', Match.anyValue())]
    .map((m) => `${m.id}: ${m.entry.data}`);
}

describe('egress that skips inspection fails synthesis', () => {
  test('fails NAT gateways in the endpoint subnets (CDK default placement), naming route, NAT, zone and fix', () => {
    const stack = new Stack();
    application(stack, { existingVpc: userVpc(stack) });
    expect(synth(stack)).toThrow(new RegExp(
      'egress subnet Default/Own/ApplicationSubnet1 \\(\\(?availability zone #1 of the region.*\\): route '
      + 'Default/Own/ApplicationSubnet1/DefaultRoute \\(IPv4 0\\.0\\.0\\.0/0\\) goes to NAT gateway Default/Own/EndpointSubnet1/NATGateway '
      + 'in subnet Default/Own/EndpointSubnet1 .*whose route Default/Own/EndpointSubnet1/DefaultRoute \\(IPv4 0\\.0\\.0\\.0/0\\) goes '
      + 'straight to internet gateway .*natGatewaySubnets: \\{ subnetGroupName'));
  });

  test('NAT gateways in the load balancer subnets pass, with no annotation', () => {
    const stack = new Stack();
    application(stack, { existingVpc: userVpc(stack, { natGatewaySubnets: { subnetGroupName: 'LoadBalancer' } }) });
    expect(synth(stack)).not.toThrow();
    expect(allAnnotations(stack)).toEqual([]);
  });

  test('fails a NAT gateway in another zone', () => {
    const stack = new Stack();
    application(stack, { existingVpc: userVpc(stack, { natGateways: 1, natGatewaySubnets: { subnetGroupName: 'LoadBalancer' } }) });
    expect(synth(stack)).toThrow(/egress subnet Default\/Own\/ApplicationSubnet2 .*goes to NAT gateway Default\/Own\/LoadBalancerSubnet1\/NATGateway .*another availability zone/);
  });

  test('fails application instances in a public subnet (route straight to the internet gateway)', () => {
    const stack = new Stack();
    const vpc = userVpc(stack, {
      natGateways: 0,
      subnetConfiguration: [
        { name: 'Endpoint', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'LoadBalancer', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Application', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      ],
    });
    application(stack, { existingVpc: vpc });
    expect(synth(stack)).toThrow(/egress subnet Default\/Own\/ApplicationSubnet1 .*route Default\/Own\/ApplicationSubnet1\/DefaultRoute \(IPv4 0\.0\.0\.0\/0\) goes straight to internet gateway/);
  });

  test('fails a second route table associated with an application subnet', () => {
    const stack = new Stack();
    const vpc = userVpc(stack, { natGatewaySubnets: { subnetGroupName: 'LoadBalancer' } });
    const table = new ec2.CfnRouteTable(stack, 'Shortcut', { vpcId: vpc.vpcId });
    new ec2.CfnRoute(stack, 'ShortcutRoute', { routeTableId: table.ref, destinationCidrBlock: '0.0.0.0/0', gatewayId: vpc.internetGatewayId });
    new ec2.CfnSubnetRouteTableAssociation(stack, 'ShortcutAssociation', { subnetId: vpc.privateSubnets[0].subnetId, routeTableId: table.ref });
    application(stack, { existingVpc: vpc });
    expect(synth(stack)).toThrow(/egress subnet Default\/Own\/ApplicationSubnet1 .*is associated with 2 route tables/);
    expect(synth(stack)).toThrow(/route Default\/ShortcutRoute \(IPv4 0\.0\.0\.0\/0\) goes straight to internet gateway/);
  });

  test('fails a specific-destination route to the internet gateway added by the user', () => {
    const stack = new Stack();
    const vpc = userVpc(stack, { natGatewaySubnets: { subnetGroupName: 'LoadBalancer' } });
    (vpc.privateSubnets[1] as ec2.PrivateSubnet).addRoute('Updates', {
      routerType: ec2.RouterType.GATEWAY, routerId: vpc.internetGatewayId!, destinationCidrBlock: '203.0.113.0/24',
    });
    application(stack, { existingVpc: vpc });
    expect(synth(stack)).toThrow(/route Default\/Own\/ApplicationSubnet2\/Updates \(IPv4 203\.0\.113\.0\/24\) goes straight to internet gateway/);
  });

  test('fails a regional NAT gateway (no subnet whose table could cross an endpoint)', () => {
    const stack = new Stack();
    const vpc = userVpc(stack, { natGateways: 0 });
    const nat = new ec2.CfnNatGateway(stack, 'RegionalNat', { availabilityMode: 'regional', vpcId: vpc.vpcId });
    vpc.privateSubnets.forEach((s, i) => new ec2.CfnRoute(stack, `ToRegionalNat${i}`, {
      routeTableId: s.routeTable.routeTableId, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat.ref,
    }));
    application(stack, { existingVpc: vpc });
    expect(synth(stack)).toThrow(/egress subnet Default\/Own\/ApplicationSubnet1 .*route Default\/ToRegionalNat0 \(IPv4 0\.0\.0\.0\/0\) goes to regional NAT gateway Default\/RegionalNat/);
  });

  test('UninspectedEgress.allow turns each bypass into a warning that names it', () => {
    const stack = new Stack();
    application(stack, { existingVpc: userVpc(stack), uninspectedEgress: UninspectedEgress.allow('patch downloads are not inspected') });
    expect(synth(stack)).not.toThrow();
    const warnings = Annotations.fromStack(stack).findWarning('/Default/App/Routing', Match.stringLikeRegexp('uninspected egress allowed'));
    expect(warnings.map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/^uninspected egress allowed \(patch downloads are not inspected\): egress subnet Default\/Own\/ApplicationSubnet1 .*EndpointSubnet1\/NATGateway/),
      expect.stringMatching(/^uninspected egress allowed \(patch downloads are not inspected\): egress subnet Default\/Own\/ApplicationSubnet2 .*EndpointSubnet2\/NATGateway/),
    ]);
  });

  test('fails UninspectedEgress.allow without a real reason', () => {
    expect(() => UninspectedEgress.allow('ok')).toThrow(/reason must say why egress may skip inspection.*got 'ok'/);
  });

  test('an imported VPC: routes that synth time cannot see are warnings naming the route table and the fix', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetNames: ['Endpoint', 'LoadBalancer'],
      publicSubnetIds: ['subnet-0e000000000000001', 'subnet-0e000000000000002', 'subnet-0b000000000000001', 'subnet-0b000000000000002'],
      publicSubnetRouteTableIds: ['rtb-0e000000000000001', 'rtb-0e000000000000002', 'rtb-0b000000000000001', 'rtb-0b000000000000002'],
      publicSubnetIpv4CidrBlocks: ['10.2.0.0/28', '10.2.0.16/28', '10.2.1.0/24', '10.2.2.0/24'],
      privateSubnetNames: ['Application'],
      privateSubnetIds: ['subnet-0a000000000000001', 'subnet-0a000000000000002'],
      privateSubnetRouteTableIds: ['rtb-0a000000000000001', 'rtb-0a000000000000002'],
      privateSubnetIpv4CidrBlocks: ['10.2.3.0/24', '10.2.4.0/24'],
    });
    application(stack, { existingVpc: vpc, internetGatewayId: 'igw-0123456789abcdef0' });
    expect(synth(stack)).not.toThrow();
    const warnings = Annotations.fromStack(stack).findWarning('/Default/App/Routing', Match.stringLikeRegexp('egress subnet'));
    expect(warnings.map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/egress subnet Default\/Imported\/ApplicationSubnet1 \(eu-west-1a\): the routes already in its route table rtb-0a000000000000001 are not visible at synth time.*to a NAT gateway in an inspected subnet/),
      expect.stringMatching(/egress subnet Default\/Imported\/ApplicationSubnet2 \(eu-west-1b\): the routes already in its route table rtb-0a000000000000002/),
    ]);
    const tables = Annotations.fromStack(stack).findWarning('/Default/App/Routing', Match.stringLikeRegexp('protected subnet .* is imported'));
    expect(tables.map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/protected subnet Default\/Imported\/LoadBalancerSubnet3 is imported: route Default\/App\/Routing\/ProtectedSubnetRoute1 adds 0\.0\.0\.0\/0 -> endpoint to its route table rtb-0b000000000000001.*Remove an existing 0\.0\.0\.0\/0 route/),
      expect.stringMatching(/protected subnet Default\/Imported\/LoadBalancerSubnet4 is imported: .*rtb-0b000000000000002/),
    ]);
  });

  test('fails an imported route table whose default route a user sends to the internet gateway', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetNames: ['Endpoint', 'LoadBalancer'],
      publicSubnetIds: ['subnet-0e000000000000001', 'subnet-0e000000000000002', 'subnet-0b000000000000001', 'subnet-0b000000000000002'],
      publicSubnetRouteTableIds: ['rtb-0e000000000000001', 'rtb-0e000000000000002', 'rtb-0b000000000000001', 'rtb-0b000000000000002'],
      publicSubnetIpv4CidrBlocks: ['10.2.0.0/28', '10.2.0.16/28', '10.2.1.0/24', '10.2.2.0/24'],
      privateSubnetNames: ['Application'],
      privateSubnetIds: ['subnet-0a000000000000001', 'subnet-0a000000000000002'],
      privateSubnetRouteTableIds: ['rtb-0a000000000000001', 'rtb-0a000000000000002'],
      privateSubnetIpv4CidrBlocks: ['10.2.3.0/24', '10.2.4.0/24'],
    });
    new ec2.CfnRoute(stack, 'Out', { routeTableId: 'rtb-0a000000000000002', destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-0123456789abcdef0' });
    application(stack, { existingVpc: vpc, internetGatewayId: 'igw-0123456789abcdef0' });
    expect(synth(stack)).toThrow(/egress subnet Default\/Imported\/ApplicationSubnet2 \(eu-west-1b\): route Default\/Out \(IPv4 0\.0\.0\.0\/0\) goes straight to internet gateway igw-0123456789abcdef0/);
  });
});

describe('InspectionRouting on its own', () => {
  test('fails a protected subnet whose IPv6 route still goes to the internet gateway (same severity as IPv4)', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2, natGateways: 0, ipProtocol: ec2.IpProtocol.DUAL_STACK,
      subnetConfiguration: [
        { name: 'Endpoint', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Web', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      ],
    });
    new InspectionRouting(stack, 'Routing', {
      vpc,
      inspectionService: GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME),
      endpointSubnets: { subnetGroupName: 'Endpoint' },
      protectedSubnets: { subnetGroupName: 'Web' },
    });
    expect(synth(stack)).toThrow(/protected subnet Default\/Vpc\/WebSubnet1 .*route Default\/Vpc\/WebSubnet1\/DefaultRoute6 \(IPv6 ::\/0\) goes straight to internet gateway/);
  });

  test('takes SubnetSelection and the internet gateway of an ec2.Vpc', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2, natGateways: 0,
      subnetConfiguration: [
        { name: 'Endpoint', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Web', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      ],
    });
    const routing = new InspectionRouting(stack, 'Routing', {
      vpc,
      inspectionService: GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME),
      endpointSubnets: { subnetGroupName: 'Endpoint' },
      protectedSubnets: { subnetGroupName: 'Web' },
    });
    expect(routing.internetGatewayId).toBe(vpc.internetGatewayId);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::GatewayRouteTableAssociation', { GatewayId: stack.resolve(vpc.internetGatewayId) });
    expect(allAnnotations(stack)).toEqual([]);
  });

  test('fails an imported VPC without internetGatewayId', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetIds: ['subnet-0e000000000000001', 'subnet-0e000000000000002'],
      publicSubnetRouteTableIds: ['rtb-0e000000000000001', 'rtb-0e000000000000002'],
    });
    expect(() => new InspectionRouting(stack, 'Routing', {
      vpc,
      inspectionService: GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME),
      endpointSubnets: { subnets: [vpc.publicSubnets[0]] },
      protectedSubnets: { subnets: [vpc.publicSubnets[1]] },
    })).toThrow(/Default\/Routing: internetGatewayId is required: VPC Default\/Imported has no internet gateway known to CDK/);
  });
});

describe('a default GwlbInspection', () => {
  test('synthesizes with no annotation at all (no info, no warning, no error)', () => {
    const stack = new Stack(new App(), 'Stack');
    new GwlbInspection(stack, 'Gwlb');
    Template.fromStack(stack);
    const a = Annotations.fromStack(stack);
    expect(a.findInfo('*', Match.anyValue())).toEqual([]);
    expect(a.findWarning('*', Match.anyValue())).toEqual([]);
    expect(a.findError('*', Match.anyValue())).toEqual([]);
  });

  test.each<[string, GwlbInspectionProps]>([
    ['dual stack', { inspectedApplicationProps: { ipProtocol: ApplicationIpProtocol.DUAL_STACK } }],
    ['no NAT gateways', { inspectedApplicationProps: { egress: ApplicationEgress.NONE } }],
    ['isolated inspection VPC', { inspectionVpcProps: { natGateways: 0 } }],
  ])('%s: no annotation either', (_, props) => {
    const stack = new Stack(new App(), 'Stack');
    new GwlbInspection(stack, 'Gwlb', props);
    Template.fromStack(stack);
    expect(allAnnotations(stack)).toEqual([]);
  });

  test('three zones in an explicit environment: still no annotation (one appliance per zone)', () => {
    const app = new App({ context: { 'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] } });
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const gwlb = new GwlbInspection(stack, 'Gwlb', { inspectionVpcProps: { maxAzs: 3 }, inspectedApplicationProps: { maxAzs: 3 } });
    const template = Template.fromStack(stack);
    expect(allAnnotations(stack)).toEqual([]);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '3', VPCZoneIdentifier: Match.arrayWith([stack.resolve(gwlb.inspectionVpc.applianceSubnets[2].subnetId)]),
    });
  });
});
