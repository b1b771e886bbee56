import { describeAz } from '../az';
import { Finding, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { LoadBalancerNode, RouteTargetKind, SubnetNode } from '../model-types';
import { describeDestination, describeTarget, subnetRoutes } from '../paths';
import { forwardedTargetGroups, Placement, targetPlacements } from '../targets';
import { GwlbRule, RuleContext } from './rule';

/**
 * R5: the application targets behind each inspected internet-facing load balancer (its target
 * groups' Auto Scaling groups and instances) sit in subnets without any route to an internet
 * gateway, so the load balancer is their only inbound path.
 */
export const appTargetsPrivate: GwlbRule = {
  id: RuleId.APP_TARGETS_PRIVATE,
  unresolvedId: UnresolvedRuleId.R5,
  description: 'Application targets of inspected load balancers sit in subnets with no route to an internet gateway.',
  check: (model: GwlbModel, context: RuleContext): Finding[] => {
    const seen = new Set<string>();
    return context.scope.loadBalancers.flatMap((lb) => forwardedTargetGroups(model, lb, true)
      .flatMap(({ targetGroup }) => (targetGroup ? targetPlacements(model, targetGroup).placements : []))
      .filter((p) => {
        const key = `${p.via.meta.key}|${p.subnet?.meta.key ?? p.unknown}`;
        return !seen.has(key) && seen.add(key);
      })
      .flatMap((placement) => checkPlacement(model, lb, placement)));
  },
};

function checkPlacement(model: GwlbModel, lb: LoadBalancerNode, placement: Placement): Finding[] {
  if (!placement.subnet) {
    if (!placement.unknown) {
      return []; // placed by AZ only (no subnet): nothing to route
    }
    return [unresolved(UnresolvedRuleId.R5, {
      resources: [placement.via, lb],
      message: `Cannot locate a target of ${nameOf(lb)} placed by ${nameOf(placement.via)}: ${placement.unknown}.`,
      fix: 'Place the application targets in subnets defined in this app.',
    })];
  }
  return checkSubnet(model, lb, placement.via, placement.subnet);
}

function checkSubnet(model: GwlbModel, lb: LoadBalancerNode, via: Placement['via'], subnet: SubnetNode): Finding[] {
  const az = describeAz(subnet.availabilityZone);
  const { table, routes, unknown } = subnetRoutes(model, subnet);
  if (unknown) {
    return [unresolved(UnresolvedRuleId.R5, { availabilityZone: az, resources: [subnet, via, lb], message: `Cannot check the routes of application subnet ${nameOf(subnet)}: ${unknown}.`, fix: 'Associate the subnet with a route table defined in this app.' })];
  }
  return routes.filter((r) => r.target.kind === RouteTargetKind.INTERNET_GATEWAY).map((route) => violation(RuleId.APP_TARGETS_PRIVATE, {
    availabilityZone: az,
    resources: [subnet, table, [route, `Properties/${route.target.property}`], via, lb],
    message: `Application target ${nameOf(via)} of inspected load balancer ${nameOf(lb)} sits in subnet ${nameOf(subnet)}, whose route ${route.meta.logicalId} (${describeDestination(route)}) goes to ${describeTarget(model, route.target)}: targets there with a public IP are reachable from the internet without passing the GWLB.`,
    fix: 'Move the targets to private subnets (default route to a NAT gateway or none) and keep only the load balancer in the inspected subnets.',
  }));
}
