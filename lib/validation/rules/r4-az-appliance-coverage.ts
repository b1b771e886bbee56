import { describeAz, sameAz } from '../az';
import { Finding, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { appliancePlacementsOf, gatewayLoadBalancers, geneveTargetGroupsOf } from '../gwlb-chain';
import { GwlbModel } from '../model';
import { LoadBalancerNode } from '../model-types';
import { isUnresolved } from '../resolve';
import { GwlbRule } from './rule';

const CROSS_ZONE = 'load_balancing.cross_zone.enabled';

/**
 * R4 (coverage): with cross-zone load balancing off, every AZ in which the GWLB has a node
 * (one of its Subnets) also has an appliance; otherwise that node drops its flows.
 */
export const azApplianceCoverage: GwlbRule = {
  id: RuleId.AZ_APPLIANCE_COVERAGE,
  unresolvedId: UnresolvedRuleId.R4,
  description: 'Without cross-zone load balancing, every GWLB AZ has at least one appliance.',
  check: (model: GwlbModel): Finding[] => gatewayLoadBalancers(model).flatMap((gwlb) => checkGwlb(model, gwlb)),
};

function checkGwlb(model: GwlbModel, gwlb: LoadBalancerNode): Finding[] {
  const placements = appliancePlacementsOf(model, gwlb);
  if (gwlb.crossZoneEnabled === true || placements.length === 0) {
    return []; // cross-zone serves every AZ; no appliances at all is reported by the fleet rule
  }
  const targetGroups = geneveTargetGroupsOf(model, gwlb);
  if (isUnresolved(gwlb.crossZoneEnabled)) {
    return [unresolved(UnresolvedRuleId.R4, {
      resources: [[gwlb, 'Properties/LoadBalancerAttributes']],
      message: `Cannot tell whether cross-zone load balancing is on for ${nameOf(gwlb)}: ${gwlb.crossZoneEnabled.reason}.`,
      fix: `Set ${CROSS_ZONE} to a literal 'true' or 'false'.`,
    })];
  }
  const findings: Finding[] = [];
  for (const subnetId of gwlb.subnetIds) {
    const subnet = model.lookup(model.subnets, subnetId);
    const nodeAz = subnet?.availabilityZone;
    const matches = placements.map((p) => sameAz(nodeAz, p.availabilityZone));
    if (matches.includes(true)) {
      continue;
    }
    const resources = [[gwlb, 'Properties/Subnets'] as [LoadBalancerNode, string], subnet, ...targetGroups];
    if (!subnet || matches.includes(undefined)) {
      findings.push(unresolved(UnresolvedRuleId.R4, {
        availabilityZone: describeAz(nodeAz),
        resources,
        message: `Cannot prove that the AZ of GWLB ${nameOf(gwlb)} subnet ${subnet ? nameOf(subnet) : String(subnetId)} (${describeAz(nodeAz)}) has an appliance.`,
        fix: 'Use GWLB and appliance subnets of this app with comparable AvailabilityZone values.',
      }));
      continue;
    }
    findings.push(violation(RuleId.AZ_APPLIANCE_COVERAGE, {
      availabilityZone: describeAz(nodeAz),
      resources,
      message: `Gateway Load Balancer ${nameOf(gwlb)} has a node in ${describeAz(nodeAz)} (subnet ${nameOf(subnet)}) but no appliance there, and cross-zone load balancing is off: flows through the endpoints of that AZ are dropped.`,
      fix: `Add an appliance subnet in ${describeAz(nodeAz)} to the Auto Scaling group, remove the GWLB subnet, or set ${CROSS_ZONE}=true.`,
    }));
  }
  return findings;
}
