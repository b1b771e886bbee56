import { describeAz, endpointAz, endpointSubnet, sameAz } from '../az';
import { Finding, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { RouteTargetKind } from '../model-types';
import { describeTarget, edgeRouteFor } from '../paths';
import { isUnresolved } from '../resolve';
import { InspectedSubnet } from '../scope';
import { describeValue } from '../tokens';
import { GwlbRule, RuleContext } from './rule';

/**
 * R1: the IGW edge route table sends each inspected subnet's CIDR to a GWLB endpoint in the
 * subnet's own AZ.
 */
export const edgeRouteSameAz: GwlbRule = {
  id: RuleId.EDGE_ROUTE_SAME_AZ,
  unresolvedId: UnresolvedRuleId.R1,
  description: 'The IGW edge route table sends each inspected subnet CIDR to a GWLB endpoint in the same AZ.',
  check: (model: GwlbModel, context: RuleContext): Finding[] => [
    ...context.scope.unresolvedSubnets.map((ref) => unresolved(UnresolvedRuleId.R1, {
      message: `Cannot follow subnet ${isUnresolved(ref.subnetId) ? `(${ref.subnetId.reason})` : describeValue(ref.subnetId)} of internet-facing load balancer ${nameOf(ref.loadBalancer)}, so its inbound path cannot be proven.`,
      fix: 'Define the subnet in this app or pass it by reference (cross-stack reference) instead of a literal id.',
      resources: [[ref.loadBalancer, 'Properties/Subnets']],
    })),
    ...missingEdgeTables(model, context.scope.subnets),
    ...context.scope.subnets
      .filter((s) => model.edgeAssociationsOfVpc(s.vpcId).length > 0)
      .flatMap((inspected) => checkSubnet(model, inspected)),
  ],
};

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
      message: `The internet gateway of VPC ${describeValue(vpcId)} has no edge route table (AWS::EC2::GatewayRouteTableAssociation), so inbound traffic reaches ${list.join(', ')} directly and bypasses the GWLB.`,
      fix: 'Create a route table, associate it with the internet gateway (GatewayRouteTableAssociation) and route each of these subnet CIDRs to the GWLB endpoint in the same AZ.',
    });
  });
}

function checkSubnet(model: GwlbModel, inspected: InspectedSubnet): Finding[] {
  const { subnet, loadBalancers } = inspected;
  const az = subnet.availabilityZone;
  const cidr = typeof subnet.cidrBlock === 'string' ? subnet.cidrBlock : '(unknown CIDR)';
  const base = { availabilityZone: describeAz(az), resources: [subnet, ...loadBalancers] };
  const edge = edgeRouteFor(model, subnet, inspected.vpcId);
  switch (edge.kind) {
    case 'no-edge-table': // reported per VPC by missingEdgeTables
      return [];
    case 'unknown':
      return [unresolved(UnresolvedRuleId.R1, { ...base, resources: [...base.resources, ...edge.tables], message: `Cannot prove the edge route for ${nameOf(subnet)}: ${edge.reason}.`, fix: 'Use literal CIDRs or Fn::GetAtt of the subnet CidrBlock in the edge route.' })];
    case 'no-route':
      return [violation(RuleId.EDGE_ROUTE_SAME_AZ, {
        ...base,
        resources: [...base.resources, ...edge.tables],
        message: `The IGW edge route table has no route for subnet ${nameOf(subnet)} (${cidr}): inbound traffic follows the local route and bypasses the GWLB.`,
        fix: `Add a route ${cidr} -> the GWLB endpoint in ${describeAz(az)} to the edge route table ${edge.tables.map((t) => t.meta.logicalId).join(', ')}.`,
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
      message: `Edge route ${route.meta.logicalId} sends ${cidr} (subnet ${nameOf(subnet)}) to ${describeTarget(model, route.target)}, not to a GWLB endpoint: inbound traffic is not inspected.`,
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
  return [];
}
