import { describeAz, endpointSubnet } from '../az';
import { AddressFamily, DEFAULT_DESTINATION } from '../cidr';
import { Finding, Involved, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { EndpointNode, RouteNode, RouteTargetKind } from '../model-types';
import { defaultRoute, describeDestination, describeTarget, familyLabel, possibleDefaultRoute, subnetRoutes } from '../paths';
import { ingressEndpoints } from '../scope';
import { GwlbRule, RuleContext } from './rule';

/**
 * R3: the subnet of each ingress GWLB endpoint routes 0.0.0.0/0 to the internet gateway and has no
 * route back to itself or any GWLB endpoint; when an IPv6 edge route uses the endpoint, ::/0 also
 * goes to the internet gateway (not an egress-only one: inbound flows must leave where they came in).
 */
export const endpointSubnetEgress: GwlbRule = {
  id: RuleId.ENDPOINT_SUBNET_EGRESS,
  unresolvedId: UnresolvedRuleId.R3,
  description: 'The subnet of each ingress GWLB endpoint routes 0.0.0.0/0 (and ::/0 when it carries IPv6) to the internet gateway and never to a GWLB endpoint.',
  check: (model: GwlbModel, context: RuleContext): Finding[] => {
    const seen = new Set<string>();
    return ingressEndpoints(model, context.scope).flatMap(({ endpoint, families }) => {
      const subnet = endpointSubnet(model, endpoint);
      if (subnet && seen.has(subnet.meta.key)) {
        return [];
      }
      if (subnet) {
        seen.add(subnet.meta.key);
      }
      return checkEndpoint(model, endpoint, families);
    });
  },
};

function checkEndpoint(model: GwlbModel, endpoint: EndpointNode, families: ReadonlySet<AddressFamily>): Finding[] {
  const subnet = endpointSubnet(model, endpoint);
  if (!subnet) {
    return [unresolved(UnresolvedRuleId.R3, {
      resources: [[endpoint, 'Properties/SubnetIds']],
      message: `GWLB endpoint ${nameOf(endpoint)} does not name exactly one subnet of this app, so its egress route cannot be checked.`,
      fix: 'Create the endpoint in exactly one subnet defined in this app (one endpoint per AZ).',
    })];
  }
  const az = describeAz(subnet.availabilityZone);
  const { table, routes, unknown } = subnetRoutes(model, subnet);
  const resources = [endpoint, subnet, table];
  if (unknown) {
    return [unresolved(UnresolvedRuleId.R3, { availabilityZone: az, resources, message: `Cannot check the egress of endpoint ${nameOf(endpoint)}: ${unknown}.`, fix: 'Associate the endpoint subnet with a route table defined in this app.' })];
  }
  // 0.0.0.0/0 always; ::/0 too when an edge route sends IPv6 traffic to this endpoint.
  const needed = [AddressFamily.IPV4, ...(families.has(AddressFamily.IPV6) ? [AddressFamily.IPV6] : [])];
  const findings: Finding[] = [];
  const loops = routes.filter((r) => r.target.kind === RouteTargetKind.GWLB_ENDPOINT);
  for (const loop of loops) {
    const self = loop.target.resource === endpoint.meta.key;
    findings.push(violation(RuleId.ENDPOINT_SUBNET_EGRESS, {
      availabilityZone: az,
      resources: [...resources, [loop, `Properties/${loop.target.property}`]],
      message: `Route ${loop.meta.logicalId} (${describeDestination(loop)}) of endpoint subnet ${nameOf(subnet)} sends traffic to ${self ? 'the subnet\'s own' : 'another'} ${describeTarget(model, loop.target)}: traffic returning from the appliances loops back into the GWLB.`,
      fix: `Remove route ${loop.meta.logicalId}; the endpoint subnet needs only ${needed.map((f) => DEFAULT_DESTINATION[f]).join(' and ')} -> internet gateway (and the local route).`,
    }));
  }
  for (const family of needed) {
    const route = defaultRoute(routes, family);
    if (!route || !loops.includes(route)) {
      findings.push(...checkDefault(model, endpoint, family, route ?? possibleDefaultRoute(routes, family), az, resources));
    }
  }
  return findings;
}

function checkDefault(
  model: GwlbModel, endpoint: EndpointNode, family: AddressFamily, route: RouteNode | undefined, az: string, resources: ReadonlyArray<Involved | undefined>,
): Finding[] {
  const base = { availabilityZone: az, resources };
  const any = DEFAULT_DESTINATION[family];
  const fix = `Route ${any} of the endpoint subnet to the VPC's internet gateway (GatewayId).`;
  if (!route) {
    return [violation(RuleId.ENDPOINT_SUBNET_EGRESS, { ...base, fix, message: `The subnet of GWLB endpoint ${nameOf(endpoint)} has no ${any} route: inspected ${familyLabel(family)}replies cannot leave through the internet gateway.` })];
  }
  const withRoute = { ...base, resources: [...resources, [route, `Properties/${route.target.property}`] as Involved] };
  if (defaultRoute([route], family) === undefined) { // a route whose destination may be the default route
    return [unresolved(UnresolvedRuleId.R3, { ...withRoute, fix, message: `Cannot check the egress of GWLB endpoint ${nameOf(endpoint)}: the destination of route ${route.meta.logicalId} of its subnet (${describeDestination(route)}) is not known at synth time.` })];
  }
  if (route.target.kind === RouteTargetKind.UNRESOLVED) {
    return [unresolved(UnresolvedRuleId.R3, { ...withRoute, fix, message: `The ${any} route of the subnet of endpoint ${nameOf(endpoint)} targets ${describeTarget(model, route.target)}, which cannot be identified as an internet gateway at synth time.` })];
  }
  if (route.target.kind !== RouteTargetKind.INTERNET_GATEWAY) {
    return [violation(RuleId.ENDPOINT_SUBNET_EGRESS, { ...withRoute, fix, message: `The ${any} route ${route.meta.logicalId} of the subnet of GWLB endpoint ${nameOf(endpoint)} targets ${describeTarget(model, route.target)} instead of the internet gateway: inspected replies do not leave through the IGW that received the flow.` })];
  }
  return [];
}
