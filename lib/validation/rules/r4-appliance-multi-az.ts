import { describeAz, sameAz } from '../az';
import { Finding, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { gatewayLoadBalancers, geneveTargetGroupsOf } from '../gwlb-chain';
import { GwlbModel } from '../model';
import { LoadBalancerNode, TargetGroupNode } from '../model-types';
import { targetPlacements } from '../targets';
import { GwlbRule } from './rule';

/** R4 (fleet): an Auto Scaling group spanning at least two AZs registers into each GENEVE target group. */
export const applianceMultiAz: GwlbRule = {
  id: RuleId.APPLIANCE_MULTI_AZ,
  unresolvedId: UnresolvedRuleId.R4,
  description: 'Appliances (an Auto Scaling group) in at least two AZs register into each GENEVE target group.',
  check: (model: GwlbModel): Finding[] => {
    const checked = new Set<TargetGroupNode>();
    return gatewayLoadBalancers(model).flatMap((gwlb) => geneveTargetGroupsOf(model, gwlb)
      .filter((tg) => !checked.has(tg) && checked.add(tg))
      .flatMap((tg) => checkTargetGroup(model, gwlb, tg)));
  },
};

function checkTargetGroup(model: GwlbModel, gwlb: LoadBalancerNode, tg: TargetGroupNode): Finding[] {
  const { asgs, placements } = targetPlacements(model, tg);
  if (placements.length === 0) {
    return [violation(RuleId.APPLIANCE_MULTI_AZ, {
      resources: [tg, gwlb, ...asgs],
      message: `No appliance registers into GENEVE target group ${nameOf(tg)} of ${nameOf(gwlb)}${asgs.length ? ' (its Auto Scaling groups have no subnets)' : ''}: inspected traffic is dropped.`,
      fix: 'Register an Auto Scaling group of appliances (TargetGroupARNs) whose VPCZoneIdentifier spans at least two AZs.',
    })];
  }
  const azs = placements.map((p) => p.availabilityZone);
  if (azs.some((a, i) => azs.slice(i + 1).some((b) => sameAz(a, b) === false))) {
    return []; // two appliances provably in different AZs
  }
  const resources = [tg, gwlb, ...asgs.map((g) => [g, 'Properties/VPCZoneIdentifier'] as [typeof g, string])];
  if (!azs.every((a) => sameAz(a, azs[0]) === true)) {
    const reasons = placements.map((p) => p.unknown).filter((r) => r !== undefined);
    return [unresolved(UnresolvedRuleId.R4, {
      resources,
      message: `Cannot prove that the appliances of GENEVE target group ${nameOf(tg)} span two AZs${reasons.length ? `: ${reasons.join('; ')}` : ` (their AZs ${[...new Set(azs.map(describeAz))].join(', ')} cannot be compared at synth time)`}.`,
      fix: 'Place the appliances in subnets of this app with comparable AvailabilityZone values (literal, Fn::GetAZs selections, or parameters with defaults).',
    })];
  }
  return [violation(RuleId.APPLIANCE_MULTI_AZ, {
    availabilityZone: describeAz(azs[0]),
    resources,
    message: `All appliances of GENEVE target group ${nameOf(tg)} (${nameOf(gwlb)}) are in one AZ (${describeAz(azs[0])}): losing that AZ stops inspection everywhere.`,
    fix: 'Spread the appliance Auto Scaling group (VPCZoneIdentifier) over at least two AZs, one subnet per GWLB AZ.',
  })];
}
