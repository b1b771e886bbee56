import { describeAz } from '../az';
import { Finding, nameOf, RuleId, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { RouteNode, RouteTargetKind } from '../model-types';
import { describeDestination, describeTarget, subnetRoutes } from '../paths';
import { describe, TgwAttachmentNode, TgwModel } from '../tgw-model';
import { GwlbRule } from './rule';

/** Route target properties that leave a VPC without a Transit Gateway. */
const LEAVING_PROPERTIES = new Set(['VpcPeeringConnectionId', 'CarrierGatewayId', 'LocalGatewayId', 'CoreNetworkArn']);

/**
 * T3: no subnet of a spoke VPC (a VPC attached to a Transit Gateway that also has an inspection
 * attachment) has a route that leaves the VPC another way: an internet, NAT or egress-only
 * gateway, a peering connection, a virtual private gateway, another Transit Gateway.
 */
export const tgwSpokeRouteBypass: GwlbRule = {
  id: RuleId.TGW_SPOKE_ROUTE_BYPASS,
  unresolvedId: UnresolvedRuleId.T,
  description: 'No subnet of a spoke VPC routes anything to an internet, NAT or egress-only gateway, a peering connection or another Transit Gateway: spoke traffic leaves only through the inspection Transit Gateway.',
  check: (model: GwlbModel): Finding[] => {
    const tgw = TgwModel.of(model);
    const findings: Finding[] = [];
    for (const spoke of tgw.allSpokeAttachments()) {
      if (typeof spoke.vpcId !== 'string') {
        continue;
      }
      for (const subnet of [...model.subnets.values()].filter((s) => s.vpcId === spoke.vpcId)) {
        const { table, routes } = subnetRoutes(model, subnet);
        for (const route of routes.filter((r) => leaves(r, spoke))) {
          findings.push(violation(RuleId.TGW_SPOKE_ROUTE_BYPASS, {
            availabilityZone: describeAz(subnet.availabilityZone),
            resources: [[route, `Properties/${route.target.property}`], subnet, table, spoke],
            message: `Route ${route.meta.logicalId} (${describeDestination(route)}) of spoke subnet ${nameOf(subnet)} goes to ${describeTarget(model, route.target)} instead of Transit Gateway ${describe(spoke.transitGatewayId)}: that traffic skips inspection.`,
            fix: `Send ${describeDestination(route)} of the spoke's subnets to the Transit Gateway (TransitGatewayId), or acknowledge this rule on the route with the reason it may stay uninspected.`,
          }));
        }
      }
    }
    return findings;
  },
};

function leaves(route: RouteNode, spoke: TgwAttachmentNode): boolean {
  switch (route.target.kind) {
    case RouteTargetKind.INTERNET_GATEWAY:
    case RouteTargetKind.NAT_GATEWAY:
    case RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY:
      return true;
    case RouteTargetKind.TRANSIT_GATEWAY:
      return typeof route.target.value === 'string' && typeof spoke.transitGatewayId === 'string' && route.target.value !== spoke.transitGatewayId;
    case RouteTargetKind.OTHER:
      return LEAVING_PROPERTIES.has(route.target.property) || (route.target.property === 'GatewayId' && route.target.value !== 'local');
    default:
      return false;
  }
}
