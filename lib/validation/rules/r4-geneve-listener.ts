import { Finding, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { gatewayLoadBalancers } from '../gwlb-chain';
import { GwlbModel } from '../model';
import { LoadBalancerNode } from '../model-types';
import { isUnresolved } from '../resolve';
import { forwardedTargetGroups, GENEVE_PORT, GENEVE_PROTOCOL, isGeneveTargetGroup } from '../targets';
import { describeValue } from '../tokens';
import { GwlbRule } from './rule';

/** R4 (listener): every Gateway Load Balancer has a listener that forwards to a GENEVE:6081 target group. */
export const geneveListener: GwlbRule = {
  id: RuleId.GENEVE_LISTENER,
  unresolvedId: UnresolvedRuleId.R4,
  description: 'Each Gateway Load Balancer listener forwards to a GENEVE target group on port 6081.',
  check: (model: GwlbModel): Finding[] => gatewayLoadBalancers(model).flatMap((gwlb) => checkGwlb(model, gwlb)),
};

function checkGwlb(model: GwlbModel, gwlb: LoadBalancerNode): Finding[] {
  const listeners = model.listenersOf(gwlb);
  if (listeners.length === 0) {
    return [violation(RuleId.GENEVE_LISTENER, {
      resources: [gwlb],
      message: `Gateway Load Balancer ${nameOf(gwlb)} has no listener: traffic from its endpoints reaches no appliance.`,
      fix: `Add a listener (no port/protocol) whose default action forwards to a ${GENEVE_PROTOCOL}:${GENEVE_PORT} target group.`,
    })];
  }
  const findings: Finding[] = [];
  for (const listener of listeners) {
    const refs = forwardedTargetGroups(model, gwlb, false).filter((r) => r.listener === listener);
    if (refs.length === 0) {
      findings.push(violation(RuleId.GENEVE_LISTENER, {
        resources: [gwlb, [listener, 'Properties/DefaultActions']],
        message: `Listener ${nameOf(listener)} of Gateway Load Balancer ${nameOf(gwlb)} has no forward action to a target group.`,
        fix: `Forward the default action to a ${GENEVE_PROTOCOL}:${GENEVE_PORT} target group.`,
      }));
    }
    for (const { targetGroup, arn } of refs) {
      if (!targetGroup) {
        findings.push(unresolved(UnresolvedRuleId.R4, {
          resources: [gwlb, [listener, 'Properties/DefaultActions']],
          message: `Listener ${nameOf(listener)} of ${nameOf(gwlb)} forwards to ${isUnresolved(arn) ? `an unresolvable target group (${arn.reason})` : describeValue(arn)}, which is not a target group of this app.`,
          fix: 'Reference a GENEVE target group defined in this app.',
        }));
      } else if (!isGeneveTargetGroup(targetGroup)) {
        findings.push(violation(RuleId.GENEVE_LISTENER, {
          resources: [gwlb, listener, [targetGroup, 'Properties/Protocol']],
          message: `Listener ${nameOf(listener)} of Gateway Load Balancer ${nameOf(gwlb)} forwards to target group ${nameOf(targetGroup)} with ${describeValue(String(targetGroup.protocol))}:${describeValue(String(targetGroup.port))}; a GWLB only speaks ${GENEVE_PROTOCOL} on port ${GENEVE_PORT}.`,
          fix: `Set Protocol ${GENEVE_PROTOCOL} and Port ${GENEVE_PORT} on the target group.`,
        }));
      }
    }
  }
  return findings;
}
