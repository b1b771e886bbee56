import { Finding, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { gwlbEndpoints, isGatewayLoadBalancer, serviceOfEndpoint } from '../gwlb-chain';
import { GwlbModel } from '../model';
import { EndpointNode, EndpointServiceNode, LoadBalancerNode } from '../model-types';
import { isUnresolved } from '../resolve';
import { describeValue } from '../tokens';
import { GwlbRule } from './rule';

/**
 * R4 (service): every GWLB endpoint's service is in the app and lists a gateway load balancer under
 * GatewayLoadBalancerArns; a GWLB under NetworkLoadBalancerArns (what aws-cdk-lib's
 * VpcEndpointService writes) is flagged.
 */
export const serviceGwlbArns: GwlbRule = {
  id: RuleId.SERVICE_GWLB_ARNS,
  unresolvedId: UnresolvedRuleId.R4,
  description: 'Each GWLB endpoint service lists its Gateway Load Balancer under GatewayLoadBalancerArns.',
  check: (model: GwlbModel): Finding[] => {
    const findings: Finding[] = [];
    const consumers = new Map<EndpointServiceNode, EndpointNode[]>();
    const unknownNames = new Map<string, { endpoints: EndpointNode[]; reason: string }>();
    for (const endpoint of gwlbEndpoints(model)) {
      const { service, name, reason } = serviceOfEndpoint(model, endpoint);
      if (service) {
        consumers.set(service, [...consumers.get(service) ?? [], endpoint]);
      } else {
        const entry = unknownNames.get(name) ?? { endpoints: [], reason: reason ?? '' };
        entry.endpoints.push(endpoint);
        unknownNames.set(name, entry);
      }
    }
    for (const [name, { endpoints, reason }] of unknownNames) {
      findings.push(unresolved(UnresolvedRuleId.R4, {
        resources: endpoints.map((e) => [e, 'Properties/ServiceName']),
        message: `Endpoint service '${name}' of GWLB endpoint(s) ${endpoints.map(nameOf).join(', ')} cannot be resolved: ${reason}. Its GWLB, GENEVE target group and appliances cannot be verified here.`,
        fix: 'Validate the provider app that owns the endpoint service with this plugin as well, or acknowledge this warning.',
      }));
    }
    for (const service of model.endpointServices.values()) {
      const consumed = consumers.get(service);
      if (consumed || hasGateway(model, service)) {
        findings.push(...checkService(model, service, consumed ?? []));
      }
    }
    return findings;
  },
};

function hasGateway(model: GwlbModel, service: EndpointServiceNode): boolean {
  return [...service.gatewayLoadBalancerArns, ...service.networkLoadBalancerArns]
    .some((arn) => isGatewayLoadBalancer(model.lookup(model.loadBalancers, arn)));
}

function checkService(model: GwlbModel, service: EndpointServiceNode, consumers: EndpointNode[]): Finding[] {
  const findings: Finding[] = [];
  const misplaced = service.networkLoadBalancerArns.map((arn) => model.lookup(model.loadBalancers, arn))
    .filter((lb): lb is LoadBalancerNode => isGatewayLoadBalancer(lb));
  for (const gwlb of misplaced) {
    findings.push(violation(RuleId.SERVICE_GWLB_ARNS, {
      resources: [[service, 'Properties/NetworkLoadBalancerArns'], gwlb, ...consumers],
      message: `Endpoint service ${nameOf(service)} lists Gateway Load Balancer ${nameOf(gwlb)} under NetworkLoadBalancerArns (as aws-cdk-lib's VpcEndpointService does); GWLB endpoints need it under GatewayLoadBalancerArns.`,
      fix: 'Use CfnVPCEndpointService with GatewayLoadBalancerArns (or this library\'s GatewayLoadBalancerEndpointService).',
    }));
  }
  for (const arn of service.gatewayLoadBalancerArns) {
    const lb = model.lookup(model.loadBalancers, arn);
    if (!lb) {
      findings.push(unresolved(UnresolvedRuleId.R4, {
        resources: [[service, 'Properties/GatewayLoadBalancerArns']],
        message: `Endpoint service ${nameOf(service)} lists ${isUnresolved(arn) ? `an unresolvable ARN (${arn.reason})` : describeValue(arn)}, which is not a load balancer of this app.`,
        fix: 'Reference the GatewayLoadBalancer resource defined in this app.',
      }));
    } else if (!isGatewayLoadBalancer(lb)) {
      findings.push(violation(RuleId.SERVICE_GWLB_ARNS, {
        resources: [[service, 'Properties/GatewayLoadBalancerArns'], lb],
        message: `Endpoint service ${nameOf(service)} lists ${nameOf(lb)} (Type ${String(lb.lbType)}) under GatewayLoadBalancerArns; only Type gateway load balancers belong there.`,
        fix: 'List the Gateway Load Balancer (Type gateway) under GatewayLoadBalancerArns.',
      }));
    }
  }
  if (service.gatewayLoadBalancerArns.length === 0 && misplaced.length === 0 && consumers.length > 0) {
    const unknownNlb = service.networkLoadBalancerArns.some((arn) => !model.lookup(model.loadBalancers, arn));
    const props = {
      resources: [service, ...consumers],
      message: `Endpoint service ${nameOf(service)} is used by GWLB endpoint(s) ${consumers.map(nameOf).join(', ')} but lists no Gateway Load Balancer under GatewayLoadBalancerArns.`,
      fix: 'Set GatewayLoadBalancerArns to the Gateway Load Balancer that fronts the appliances.',
    };
    findings.push(unknownNlb ? unresolved(UnresolvedRuleId.R4, props) : violation(RuleId.SERVICE_GWLB_ARNS, props));
  }
  return findings;
}
