import { describeAz, endpointAz, endpointSubnet, sameAz } from '../az';
import { AddressFamily } from '../cidr';
import { Finding, FindingProps, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { EndpointIpAddressType, EndpointNode, ModelValue, RouteTargetKind } from '../model-types';
import { describeTarget, edgeRouteFor, familyLabel } from '../paths';
import { isUnresolved } from '../resolve';
import { InspectedSubnet } from '../scope';
import { describeValue, hasToken } from '../tokens';
import { GwlbRule, RuleContext } from './rule';

/**
 * R1: the IGW edge route table sends each inspected subnet's CIDR to a GWLB endpoint in the
 * subnet's own AZ; likewise each of its IPv6 CIDRs (DestinationIpv6CidrBlock), to a dual-stack endpoint.
 */
export const edgeRouteSameAz: GwlbRule = {
  id: RuleId.EDGE_ROUTE_SAME_AZ,
  unresolvedId: UnresolvedRuleId.R1,
  description: 'The IGW edge route table sends each inspected subnet CIDR (IPv4 and every IPv6 block) to a (dual-stack for IPv6) GWLB endpoint in the same AZ.',
  check: (model: GwlbModel, context: RuleContext): Finding[] => [
    ...context.scope.unresolvedSubnets.map((ref) => unresolved(UnresolvedRuleId.R1, {
      message: `Cannot follow subnet ${isUnresolved(ref.subnetId) ? `(${ref.subnetId.reason})` : describeValue(ref.subnetId)} of internet-facing load balancer ${nameOf(ref.loadBalancer)}, so its inbound path cannot be proven.`,
      fix: 'Define the subnet in this app or pass it by reference (cross-stack reference) instead of a literal id.',
      resources: [[ref.loadBalancer, 'Properties/Subnets']],
    })),
    ...context.scope.unknownSchemes.map((lb) => {
      const typeKnown = typeof lb.lbType === 'string' && !hasToken(lb.lbType);
      const [property, value] = typeKnown ? ['Scheme', lb.scheme] : ['Type', lb.lbType];
      return unresolved(UnresolvedRuleId.R1, {
        message: `Cannot tell whether load balancer ${nameOf(lb)} is internet-facing: its ${property} is ${isUnresolved(value) ? `unknown (${value.reason})` : describeValue(value)}. If it is, its inbound path is not checked.`,
        fix: `Give ${property} a literal value, or a parameter with a Default.`,
        resources: [[lb, `Properties/${property}`]],
      });
    }),
    ...context.scope.subnets.filter((s) => inspectedBehind(model, s)).map(behindFinding),
    ...missingEdgeTables(model, context.scope.subnets.filter((s) => !inspectedBehind(model, s))),
    ...context.scope.subnets
      .filter((s) => model.edgeAssociationsOfVpc(s.vpcId).length > 0 && !inspectedBehind(model, s))
      .flatMap((inspected) => checkSubnet(model, inspected)),
  ],
};

/**
 * A load balancer subnet without any edge route whose own route table sends traffic to a GWLB
 * endpoint: inspected between the load balancer and its targets (more-specific routing), a design
 * these rules do not prove. Reported as a warning, never as a bypass.
 */
function inspectedBehind(model: GwlbModel, inspected: InspectedSubnet): boolean {
  return inspected.behindLoadBalancer !== undefined && inspected.returnEndpoint === undefined && !hasEdgeRoute(model, inspected);
}

function hasEdgeRoute(model: GwlbModel, inspected: InspectedSubnet): boolean {
  return edgeRouteFor(model, inspected.subnet, inspected.vpcId).kind === 'route';
}

function behindFinding(inspected: InspectedSubnet): Finding {
  const { endpoint, via } = inspected.behindLoadBalancer!;
  const how = via.meta.type === 'AWS::EC2::Route' ? `route ${via.meta.logicalId}` : `custom resource ${via.meta.logicalId} (${via.meta.type}), which rewrites its routes,`;
  return unresolved(UnresolvedRuleId.R1, {
    availabilityZone: describeAz(inspected.subnet.availabilityZone),
    resources: [inspected.subnet, ...inspected.loadBalancers, via, endpoint],
    message: `Internet-facing load balancer ${inspected.loadBalancers.map(nameOf).join(', ')} in subnet ${nameOf(inspected.subnet)} takes inbound traffic straight from the internet gateway; its subnet's ${how} sends traffic to GWLB endpoint ${nameOf(endpoint)}, so inspection is between the load balancer and its targets, which these rules do not prove.`,
    fix: 'Check the routes between the load balancer and target subnets (both directions through the endpoint of the same AZ), then acknowledge this warning; or inspect at the internet gateway with an edge route table.',
  });
}

/** One finding per VPC whose internet gateway has no edge route table at all. */
function missingEdgeTables(model: GwlbModel, subnets: readonly InspectedSubnet[]): Finding[] {
  const byVpc = new Map<string, InspectedSubnet[]>();
  for (const inspected of subnets.filter((s) => model.edgeAssociationsOfVpc(s.vpcId).length === 0)) {
    byVpc.set(inspected.vpcId, [...byVpc.get(inspected.vpcId) ?? [], inspected]);
  }
  return [...byVpc].map(([vpcId, inspected]) => {
    const list = inspected.map(({ subnet }) => `${nameOf(subnet)} (${String(subnet.cidrBlock)}, ${describeAz(subnet.availabilityZone)})`);
    return violation(RuleId.EDGE_ROUTE_SAME_AZ, {
      availabilityZone: [...new Set(inspected.map(({ subnet }) => describeAz(subnet.availabilityZone)))].join(', '),
      resources: [...inspected.map((s) => s.subnet), ...inspected.flatMap((s) => s.loadBalancers)],
      message: `The internet gateway of VPC ${describeValue(vpcId)} has no edge route table (AWS::EC2::GatewayRouteTableAssociation), so inbound traffic reaches ${list.join(', ')} directly and bypasses the GWLB.${returnNote(inspected)}`,
      fix: 'Create a route table, associate it with the internet gateway (GatewayRouteTableAssociation) and route each of these subnet CIDRs to the GWLB endpoint in the same AZ.',
    });
  });
}

/** For subnets whose 0.0.0.0/0 leaves through an endpoint: the flows are asymmetric, not only uninspected. */
function returnNote(inspected: readonly InspectedSubnet[]): string {
  const asymmetric = inspected.filter((s) => s.returnEndpoint);
  if (asymmetric.length === 0) {
    return '';
  }
  const list = asymmetric.map((s) => `${nameOf(s.subnet)} -> ${nameOf(s.returnEndpoint!)}`).join(', ');
  return ` The 0.0.0.0/0 route of ${list} sends the other direction through a GWLB endpoint, so the GWLB sees only half of each flow of the public instances there (asymmetric: it drops them).`;
}

function checkSubnet(model: GwlbModel, inspected: InspectedSubnet): Finding[] {
  return [
    ...checkBlock(model, inspected, AddressFamily.IPV4, inspected.subnet.cidrBlock),
    ...inspected.subnet.ipv6CidrBlocks.flatMap((block) => checkBlock(model, inspected, AddressFamily.IPV6, block)),
  ];
}

/** The edge route for one block (the IPv4 CIDR, or one IPv6 CIDR) of an inspected subnet. */
function checkBlock(model: GwlbModel, inspected: InspectedSubnet, family: AddressFamily, block: ModelValue | undefined): Finding[] {
  const { subnet, loadBalancers } = inspected;
  const az = subnet.availabilityZone;
  const label = familyLabel(family);
  const cidr = typeof block === 'string' ? describeValue(block) : `(unknown ${label}CIDR)`;
  const base = { availabilityZone: describeAz(az), resources: [subnet, ...loadBalancers] };
  const edge = edgeRouteFor(model, subnet, inspected.vpcId, family, block);
  switch (edge.kind) {
    case 'no-edge-table': // reported per VPC by missingEdgeTables
      return [];
    case 'unknown':
      return [unresolved(UnresolvedRuleId.R1, { ...base, resources: [...base.resources, ...edge.tables], message: `Cannot prove the ${label}edge route for ${nameOf(subnet)}: ${edge.reason}.`, fix: `Use literal CIDRs or Fn::GetAtt of the subnet ${family === AddressFamily.IPV6 ? 'Ipv6CidrBlocks' : 'CidrBlock'} in the edge route.` })];
    case 'no-route':
      return [violation(RuleId.EDGE_ROUTE_SAME_AZ, {
        ...base,
        resources: [...base.resources, ...edge.tables],
        message: `The IGW edge route table has no ${label}route for subnet ${nameOf(subnet)} (${cidr}): inbound ${label}traffic follows the local route and bypasses the GWLB.${returnNote([inspected])}`,
        fix: `Add a route ${cidr} (${family === AddressFamily.IPV6 ? 'DestinationIpv6CidrBlock' : 'DestinationCidrBlock'}) -> the GWLB endpoint in ${describeAz(az)} to the edge route table ${edge.tables.map((t) => t.meta.logicalId).join(', ')}.`,
      })];
    case 'route':
      break;
  }
  const { route, endpoint } = edge;
  const withRoute = { ...base, resources: [...base.resources, [route, `Properties/${route.target.property}`] as [typeof route, string]] };
  if (route.target.kind === RouteTargetKind.UNRESOLVED) {
    return [unresolved(UnresolvedRuleId.R1, { ...withRoute, message: `Edge route ${route.meta.logicalId} for ${cidr} targets ${describeTarget(model, route.target)}, which cannot be identified as a GWLB endpoint at synth time.`, fix: 'Reference the GWLB endpoint resource instead of a literal or imported id.' })];
  }
  if (route.target.kind !== RouteTargetKind.GWLB_ENDPOINT || !endpoint) {
    return [violation(RuleId.EDGE_ROUTE_SAME_AZ, {
      ...withRoute,
      message: `Edge route ${route.meta.logicalId} sends ${cidr} (subnet ${nameOf(subnet)}) to ${describeTarget(model, route.target)}, not to a GWLB endpoint: inbound ${label}traffic is not inspected.`,
      fix: `Point the edge route for ${cidr} at the GWLB endpoint (VpcEndpointId) in ${describeAz(az)}.`,
    })];
  }
  const endpointZone = endpointAz(model, endpoint);
  const resources = [...withRoute.resources, endpoint, endpointSubnet(model, endpoint)];
  const same = sameAz(az, endpointZone);
  if (same === undefined) {
    return [unresolved(UnresolvedRuleId.R1, { ...withRoute, resources, message: `Cannot prove that endpoint ${nameOf(endpoint)} (${describeAz(endpointZone)}) is in the AZ of subnet ${nameOf(subnet)} (${describeAz(az)}).`, fix: 'Give both subnets AvailabilityZone values that compare at synth time (both literal, or both Fn::Select of Fn::GetAZs).' })];
  }
  if (!same) {
    return [violation(RuleId.EDGE_ROUTE_SAME_AZ, {
      ...withRoute,
      resources,
      message: `Edge route ${route.meta.logicalId} sends ${cidr} (subnet ${nameOf(subnet)} in ${describeAz(az)}) to GWLB endpoint ${nameOf(endpoint)} in ${describeAz(endpointZone)}: inbound traffic crosses AZs, so an outage of ${describeAz(endpointZone)} also cuts off ${describeAz(az)} (and adds cross-AZ charges).`,
      fix: `Route ${cidr} to the GWLB endpoint in ${describeAz(az)} (one endpoint per AZ).`,
    })];
  }
  return family === AddressFamily.IPV6 ? checkIpv6Endpoint(endpoint, { ...withRoute, resources }, cidr) : [];
}

/** An endpoint that receives IPv6 traffic must be dual-stack (`IpAddressType` dualstack or ipv6). */
function checkIpv6Endpoint(endpoint: EndpointNode, base: Pick<FindingProps, 'availabilityZone' | 'resources'>, cidr: string): Finding[] {
  const type = endpoint.ipAddressType;
  const resources = [...base.resources, [endpoint, 'Properties/IpAddressType'] as [EndpointNode, string]];
  const fix = `Create GWLB endpoint ${nameOf(endpoint)} with IpAddressType '${EndpointIpAddressType.DUALSTACK}' (its subnet needs an IPv6 block, its service SupportedIpAddressTypes ipv6).`;
  if (isUnresolved(type)) {
    return [unresolved(UnresolvedRuleId.R1, { ...base, resources, fix, message: `Cannot tell whether GWLB endpoint ${nameOf(endpoint)}, the target of the IPv6 edge route for ${cidr}, accepts IPv6: its IpAddressType is unknown (${type.reason}).` })];
  }
  if (type === EndpointIpAddressType.DUALSTACK || type === EndpointIpAddressType.IPV6) {
    return [];
  }
  return [violation(RuleId.EDGE_ROUTE_SAME_AZ, {
    ...base, resources, fix,
    message: `The IPv6 edge route for ${cidr} targets GWLB endpoint ${nameOf(endpoint)}, whose IpAddressType is ${describeValue(String(type))}: an IPv4-only endpoint cannot carry the subnet's IPv6 traffic.`,
  })];
}
