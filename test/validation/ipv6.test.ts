import { CfnParameter } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { GwlbModel, loadTemplateFiles, RouteTargetKind, RuleId, UnresolvedRuleId } from '../../lib/validation';
import { ArchitectureOptions, buildArchitecture, child, testApp } from './fixture';
import { addDualStack, DualStackOptions, Ipv6Target } from './fixture-ipv6';
import { findingsOf, summary } from './helpers';

const LITERAL_BLOCK = '2600:1f18:4000:aa00::/56';
const WEAK = { '@aws-cdk/core:defaultCrossStackReferences': 'weak' };

function dualStack(options: DualStackOptions = {}, architecture: ArchitectureOptions = {}, context: Record<string, unknown> = {}) {
  const built = buildArchitecture(architecture, testApp(context));
  addDualStack(built.appStack, architecture.azCount ?? 2, options);
  return built;
}

const az = (i: number) => `GetAZs[${i}]`;

describe('IPv6 (dual-stack) paths', () => {
  test.each([
    ['2 AZs, Amazon-provided block, one stack', {}, {}, {}],
    ['3 AZs, Amazon-provided block, security in another stack (weak references)', {}, { azCount: 3, separateStacks: true }, WEAK],
    ['a literal (BYOIP) block split with Fn::Cidr, edge routes copying the subnet property', { literalBlock: LITERAL_BLOCK, edgeFromProperty: true }, {}, {}],
  ])('a correct dual-stack architecture has no finding: %s', (_name, options: DualStackOptions, architecture: ArchitectureOptions, context) => {
    expect(summary(findingsOf(dualStack(options, architecture, context).app))).toEqual([]);
  });

  const BROKEN: Array<[string, DualStackOptions, RuleId, number, RegExp]> = [
    ['an IPv6 edge route to the endpoint of another AZ', { ipv6CrossAz: 0 }, RuleId.EDGE_ROUTE_SAME_AZ, 0, /EdgeIpv6Route0 sends Cidr\(AppVpc\.Ipv6CidrBlocks\[0\], 64 host bits\)\[10\] \(subnet .*AlbSubnet0 in GetAZs\[0\]\) to GWLB endpoint .*GwlbEndpoint1 in GetAZs\[1\]/],
    ['a subnet whose IPv6 CIDR has no edge route', { omitIpv6EdgeRouteAz: 1 }, RuleId.EDGE_ROUTE_SAME_AZ, 1, /no IPv6 route for subnet .*AlbSubnet1 .*inbound IPv6 traffic follows the local route/],
    ['an IPv6 edge route to an IPv4-only endpoint', { ipv4OnlyEndpointAz: 0 }, RuleId.EDGE_ROUTE_SAME_AZ, 0, /GwlbEndpoint0, whose IpAddressType is ipv4/],
    ['::/0 of an inspected subnet straight to the IGW', { albReturn: { az: 1, target: Ipv6Target.INTERNET_GATEWAY } }, RuleId.RETURN_ROUTE_SYMMETRY, 1, /::\/0 route AlbIpv6Route1 returns through internet gateway Igw/],
    ['::/0 of an inspected subnet through the endpoint of another AZ', { albReturn: { az: 0, target: Ipv6Target.NEXT_ENDPOINT } }, RuleId.RETURN_ROUTE_SYMMETRY, 0, /returns through Gateway Load Balancer endpoint GwlbEndpoint1/],
    ['an inspected subnet without ::/0', { albReturn: { az: 0, target: Ipv6Target.NONE } }, RuleId.RETURN_ROUTE_SYMMETRY, 0, /has no ::\/0 route: replies to inspected inbound IPv6 flows/],
    ['::/0 of an endpoint subnet to the egress-only IGW', { endpointEgress: { az: 0, target: Ipv6Target.EGRESS_ONLY_INTERNET_GATEWAY } }, RuleId.ENDPOINT_SUBNET_EGRESS, 0, /::\/0 route EndpointIpv6Route0 .* targets egress-only internet gateway Eigw instead of the internet gateway/],
    ['an endpoint subnet without ::/0', { endpointEgress: { az: 1, target: Ipv6Target.NONE } }, RuleId.ENDPOINT_SUBNET_EGRESS, 1, /has no ::\/0 route: inspected IPv6 replies/],
    ['::/0 of an endpoint subnet back into its own endpoint', { endpointEgress: { az: 1, target: Ipv6Target.OWN_ENDPOINT } }, RuleId.ENDPOINT_SUBNET_EGRESS, 1, /Route EndpointIpv6Route1 \(::\/0\) of endpoint subnet .* sends traffic to the subnet's own/],
    ['application targets with ::/0 to the IGW', { publicIpv6AppAz: 1 }, RuleId.APP_TARGETS_PRIVATE, 1, /route AppIpv6Route1 \(::\/0\) goes to internet gateway Igw/],
  ];

  test.each(BROKEN)('fails on %s with exactly its finding', (_name, options, ruleId, zone, message) => {
    const findings = findingsOf(dualStack(options).app);
    expect(summary(findings)).toEqual([`error ${ruleId} ${az(zone)}`]);
    expect(findings[0].message).toMatch(message);
  });

  test('fails for every AZ when a dual-stack VPC is inspected for IPv4 only', () => {
    const { app, appStack } = dualStack();
    appStack.node.tryRemoveChild('EdgeIpv6Route0');
    appStack.node.tryRemoveChild('EdgeIpv6Route1');
    expect(summary(findingsOf(app))).toEqual([`error ${RuleId.EDGE_ROUTE_SAME_AZ} ${az(0)}`, `error ${RuleId.EDGE_ROUTE_SAME_AZ} ${az(1)}`]);
  });

  test('a covering (shorter-prefix) IPv6 edge route is matched by containment: the second AZ crosses to endpoint 0', () => {
    const findings = findingsOf(dualStack({ literalBlock: LITERAL_BLOCK, coveringEdgeRoute: '2600:1f18:4000:aa0a::/63' }).app);
    expect(summary(findings)).toEqual([`error ${RuleId.EDGE_ROUTE_SAME_AZ} ${az(1)}`, `error ${RuleId.RETURN_ROUTE_SYMMETRY} ${az(1)}`]);
    expect(findings[0].message).toContain('sends 2600:1f18:4000:aa0b::/64');
  });

  test('an IPv6 block allocated from IPAM cannot be compared: one R1 warning', () => {
    const { app, appStack } = dualStack();
    const subnet = child<ec2.CfnSubnet>(appStack, 'AlbSubnet0');
    subnet.ipv6CidrBlock = undefined;
    subnet.ipv6IpamPoolId = 'ipam-pool-0123456789abcdef0';
    subnet.ipv6NetmaskLength = 64;
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R1} ${az(0)}`]);
    expect(findings[0].message).toMatch(/IPv6 CIDR of AlbSubnet0 is unknown \(the IPv6 block of AlbSubnet0 is allocated from an IPAM pool/);
  });

  test('an IPv6 edge route destination from a parameter gives one R1 warning', () => {
    const { app, appStack } = dualStack();
    child<ec2.CfnRoute>(appStack, 'EdgeIpv6Route1').destinationIpv6CidrBlock = new CfnParameter(appStack, 'Ipv6Cidr', { type: 'String' }).valueAsString;
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R1} ${az(1)}`]);
    expect(findings[0].message).toContain('cannot compare edge route destination parameter Ipv6Cidr');
  });

  test('an extra IPv6 block (AWS::EC2::SubnetCidrBlock) of an inspected subnet needs its own edge route', () => {
    const { app, appStack } = dualStack({ literalBlock: LITERAL_BLOCK });
    new ec2.CfnSubnetCidrBlock(appStack, 'AlbSubnet1Extra', {
      subnetId: child<ec2.CfnSubnet>(appStack, 'AlbSubnet1').ref, ipv6CidrBlock: '2600:1f18:4000:aaff::/64',
    });
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.EDGE_ROUTE_SAME_AZ} ${az(1)}`]);
    expect(findings[0].message).toContain('(2600:1f18:4000:aaff::/64)');
  });
});

describe('IPv6 in the model', () => {
  test('subnets, routes and endpoints carry their IPv6 properties', () => {
    const { app } = dualStack({ literalBlock: LITERAL_BLOCK });
    const assembly = app.synth();
    const model = GwlbModel.fromTemplates(loadTemplateFiles(assembly.stacks.map((s) => ({ templatePath: s.templateFullPath }))));
    const node = <T extends { meta: { logicalId: string } }>(items: Iterable<T>, id: string) => [...items].find((i) => i.meta.logicalId === id)!;
    expect(node(model.subnets.values(), 'AlbSubnet1').ipv6CidrBlocks).toEqual(['2600:1f18:4000:aa0b::/64']);
    expect(node(model.routes, 'EdgeIpv6Route1')).toMatchObject({ destination: undefined, destinationIpv6: '2600:1f18:4000:aa0b::/64' });
    expect(node(model.routes, 'AppIpv6Route0').target.kind).toBe(RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY);
    expect(node(model.endpoints.values(), 'GwlbEndpoint0').ipAddressType).toBe('dualstack');
    expect(node(buildModel().endpoints.values(), 'GwlbEndpoint0').ipAddressType).toBe('ipv4'); // the CloudFormation default
  });
});

function buildModel(): GwlbModel {
  const assembly = buildArchitecture().app.synth();
  return GwlbModel.fromTemplates(loadTemplateFiles(assembly.stacks.map((s) => ({ templatePath: s.templateFullPath }))));
}
