import { describeAz } from '../az';
import { AddressFamily, DEFAULT_DESTINATION } from '../cidr';
import { Finding, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { ModelValue, RouteTargetKind } from '../model-types';
import { defaultRoute, describeDestination, describeTarget, edgeRouteFor, familyLabel, possibleDefaultRoute, subnetRoutes } from '../paths';
import { describeValue } from '../tokens';
import { InspectedSubnet } from '../scope';
import { GwlbRule, RuleContext } from './rule';

/**
 * R2: the inspected subnet's default route returns through the same GWLB endpoint that the edge
 * route sends its inbound traffic to (GWLB only accepts symmetric flows): 0.0.0.0/0 for its IPv4
 * CIDR, ::/0 for its IPv6 CIDRs.
 */
export const returnRouteSymmetry: GwlbRule = {
  id: RuleId.RETURN_ROUTE_SYMMETRY,
  unresolvedId: UnresolvedRuleId.R2,
  description: 'Each inspected subnet routes 0.0.0.0/0 (and ::/0 for its IPv6 blocks) back through the GWLB endpoint its inbound traffic arrives from.',
  check: (model: GwlbModel, context: RuleContext): Finding[] => context.scope.subnets.flatMap((s) => checkSubnet(model, s)),
};

function checkSubnet(model: GwlbModel, inspected: InspectedSubnet): Finding[] {
  return [
    ...checkBlock(model, inspected, AddressFamily.IPV4, inspected.subnet.cidrBlock),
    ...inspected.subnet.ipv6CidrBlocks.flatMap((block) => checkBlock(model, inspected, AddressFamily.IPV6, block)),
  ];
}

/** The default route of the family must leave through the endpoint the block's edge route uses. */
function checkBlock(model: GwlbModel, inspected: InspectedSubnet, family: AddressFamily, block: ModelValue | undefined): Finding[] {
  const { subnet } = inspected;
  const edge = edgeRouteFor(model, subnet, inspected.vpcId, family, block);
  if (edge.kind !== 'route' || !edge.endpoint || edge.route.target.kind !== RouteTargetKind.GWLB_ENDPOINT) {
    return []; // no inbound endpoint to be symmetric with: R1 reports it
  }
  const endpoint = edge.endpoint;
  const cidr = describeValue(String(block));
  const az = describeAz(subnet.availabilityZone);
  const any = DEFAULT_DESTINATION[family];
  const { table, routes, unknown } = subnetRoutes(model, subnet);
  const resources = [subnet, table, edge.route, endpoint];
  if (unknown) {
    return [unresolved(UnresolvedRuleId.R2, { availabilityZone: az, resources, message: `Cannot prove the return path of ${nameOf(subnet)}: ${unknown}.`, fix: 'Associate the subnet with a route table defined in this app.' })];
  }
  const route = defaultRoute(routes, family);
  const fix = `Route ${any} of ${table ? `route table ${table.meta.logicalId}` : `subnet ${nameOf(subnet)}`} to GWLB endpoint ${nameOf(endpoint)} (VpcEndpointId), the endpoint the edge route uses for ${cidr}.`;
  const maybe = route ? undefined : possibleDefaultRoute(routes, family);
  if (maybe) {
    return [unresolved(UnresolvedRuleId.R2, {
      availabilityZone: az, resources: [...resources, [maybe, 'Properties/DestinationCidrBlock']], fix,
      message: `Cannot prove the return path of ${nameOf(subnet)}: the destination of its route ${maybe.meta.logicalId} (${describeDestination(maybe)}) is not known at synth time, so whether it is the ${any} route through endpoint ${nameOf(endpoint)} cannot be proven.`,
    })];
  }
  if (!route) {
    return [violation(RuleId.RETURN_ROUTE_SYMMETRY, {
      availabilityZone: az, resources, fix,
      message: `Subnet ${nameOf(subnet)} (${cidr}) has no ${any} route: replies to inspected inbound ${familyLabel(family)}flows cannot return through endpoint ${nameOf(endpoint)}.`,
    })];
  }
  const all = [...resources, [route, `Properties/${route.target.property}`] as [typeof route, string]];
  if (route.target.kind === RouteTargetKind.UNRESOLVED) {
    return [unresolved(UnresolvedRuleId.R2, { availabilityZone: az, resources: all, fix, message: `The ${any} route of ${nameOf(subnet)} targets ${describeTarget(model, route.target)}, which cannot be compared with endpoint ${nameOf(endpoint)} at synth time.` })];
  }
  if (route.target.resource !== endpoint.meta.key) {
    return [violation(RuleId.RETURN_ROUTE_SYMMETRY, {
      availabilityZone: az, resources: all, fix,
      message: `Asymmetric path: inbound traffic for ${nameOf(subnet)} (${cidr}) arrives through GWLB endpoint ${nameOf(endpoint)} but its ${any} route ${route.meta.logicalId} returns through ${describeTarget(model, route.target)}; GWLB drops flows it did not see in both directions.`,
    })];
  }
  return [];
}
