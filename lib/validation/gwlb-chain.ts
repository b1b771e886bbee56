import { GwlbModel, isGwlbEndpoint } from './model';
import { EndpointNode, EndpointServiceNode, LoadBalancerNode, ElbLoadBalancerType, TargetGroupNode } from './model-types';
import { isUnresolved } from './resolve';
import { forwardedTargetGroups, isGeneveTargetGroup, Placement, targetPlacements } from './targets';
import { describeValue, resourcesIn } from './tokens';

export function isGatewayLoadBalancer(lb: LoadBalancerNode | undefined): boolean {
  return lb?.lbType === ElbLoadBalancerType.GATEWAY;
}

export function gatewayLoadBalancers(model: GwlbModel): LoadBalancerNode[] {
  return [...model.loadBalancers.values()].filter(isGatewayLoadBalancer);
}

export function gwlbEndpoints(model: GwlbModel): EndpointNode[] {
  return [...model.endpoints.values()].filter(isGwlbEndpoint);
}

export interface ServiceLookup {
  readonly service?: EndpointServiceNode;
  /** Display form of the endpoint's ServiceName. */
  readonly name: string;
  /** Why the service cannot be found in the app. */
  readonly reason?: string;
}

/**
 * The endpoint service a GWLB endpoint connects to. The CDK writes the service name as
 * `com.amazonaws.vpce.<region>.<Ref service>`, so any service resource named inside the
 * resolved ServiceName identifies it; a literal name belongs to another account or app.
 */
export function serviceOfEndpoint(model: GwlbModel, endpoint: EndpointNode): ServiceLookup {
  const name = endpoint.serviceName;
  if (name === undefined || isUnresolved(name)) {
    return { name: '(unresolved)', reason: name ? name.reason : 'the endpoint has no ServiceName' };
  }
  const named = resourcesIn(name);
  const service = named.map((key) => model.endpointServices.get(key)).find((s) => s !== undefined);
  if (service) {
    return { service, name: describeValue(name) };
  }
  const custom = named.map((key) => model.resources.get(key)).find((meta) => meta && isCustomResource(meta.type));
  if (custom) {
    // e.g. a Lambda-backed resource that looks up the service name of `Input: !Ref VpcEndpointService`
    const inputs = resourcesIn(JSON.stringify(model.propertiesOf(custom)));
    const fromCustom = inputs.map((key) => model.endpointServices.get(key)).find((s) => s !== undefined);
    return fromCustom ? { service: fromCustom, name: `${describeValue(name)} (custom resource ${custom.logicalId} of service ${fromCustom.meta.logicalId})` }
      : { name: describeValue(name), reason: `it is the output of custom resource ${custom.logicalId} of this app, whose properties name no AWS::EC2::VPCEndpointService of this app` };
  }
  return { name: describeValue(name), reason: 'it names no AWS::EC2::VPCEndpointService of this app (a service of another account or app?)' };
}

export function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/** GENEVE target groups that the listeners of a GWLB forward to. */
export function geneveTargetGroupsOf(model: GwlbModel, gwlb: LoadBalancerNode): TargetGroupNode[] {
  return forwardedTargetGroups(model, gwlb, false)
    .map((ref) => ref.targetGroup)
    .filter((tg): tg is TargetGroupNode => tg !== undefined && isGeneveTargetGroup(tg));
}

/** Where the appliances behind a GWLB sit (all its GENEVE target groups). */
export function appliancePlacementsOf(model: GwlbModel, gwlb: LoadBalancerNode): Placement[] {
  return geneveTargetGroupsOf(model, gwlb).flatMap((tg) => targetPlacements(model, tg).placements);
}
