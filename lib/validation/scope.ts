import { AddressFamily, CidrRelation, cidrRelation } from './cidr';
import { GwlbModel, isGwlbEndpoint } from './model';
import { EndpointNode, LoadBalancerNode, ElbLoadBalancerType, ModelNode, RouteNode, RouteTargetKind, SubnetNode, ModelValue } from './model-types';
import { isCustomResource } from './gwlb-chain';
import { defaultRoute, routeDestination, subnetCidrs, subnetRoutes } from './paths';
import { isUnresolved } from './resolve';
import { hasToken, refToken, resourcesIn } from './tokens';

/** Options shared by all rules. */
export interface GwlbRuleOptions {
  /**
   * Check every internet-facing load balancer of the app, not only those in VPCs that have a
   * GWLB endpoint or an IGW edge route table.
   * @default false
   */
  readonly inspectAllInternetFacing?: boolean;
}

/** A subnet whose inbound internet traffic must pass a GWLB endpoint. */
export interface InspectedSubnet {
  readonly subnet: SubnetNode;
  readonly vpcId: string;
  /** Internet-facing load balancers with a node in this subnet. */
  readonly loadBalancers: LoadBalancerNode[];
  /**
   * Set when the subnet is in scope because its 0.0.0.0/0 leaves through this GWLB endpoint while
   * publicly addressed workloads in it receive traffic from the internet gateway (a return path that
   * is inspected only if the inbound path is too).
   */
  returnEndpoint?: EndpointNode;
  /**
   * Set for a load balancer subnet whose route table sends traffic to a GWLB endpoint (a route, or a
   * custom resource that rewrites its routes): inspection between the load balancer and its targets
   * (VPC more-specific routing) rather than at the internet gateway.
   */
  behindLoadBalancer?: { readonly endpoint: EndpointNode; readonly via: ModelNode };
}

/** A load balancer subnet reference that could not be followed. */
export interface UnresolvedSubnetRef {
  readonly loadBalancer: LoadBalancerNode;
  readonly subnetId: ModelValue;
}

export interface InspectionScope {
  /** VPCs in which inbound traffic is expected to be inspected. */
  readonly vpcIds: ReadonlySet<string>;
  /** Internet-facing application/network load balancers in those VPCs. */
  readonly loadBalancers: LoadBalancerNode[];
  readonly subnets: InspectedSubnet[];
  readonly unresolvedSubnets: UnresolvedSubnetRef[];
  /** Application/network load balancers whose Scheme (or Type) is not known at synth time. */
  readonly unknownSchemes: LoadBalancerNode[];
}

export function isInternetFacing(lb: LoadBalancerNode): boolean {
  return (lb.lbType === ElbLoadBalancerType.APPLICATION || lb.lbType === ElbLoadBalancerType.NETWORK) && lb.scheme === 'internet-facing';
}

function isKnown(value: ModelValue): boolean {
  return typeof value === 'string' && !hasToken(value);
}

/** A load balancer that may be internet-facing: its Type or Scheme is a deploy-time value. */
function mayBeInternetFacing(lb: LoadBalancerNode): boolean {
  if (isKnown(lb.lbType) && lb.lbType === ElbLoadBalancerType.GATEWAY) {
    return false;
  }
  return !isKnown(lb.lbType) || (!isKnown(lb.scheme) && lb.lbType !== ElbLoadBalancerType.GATEWAY);
}

/**
 * The packet-path entry points: subnets of internet-facing load balancers and subnets that an IGW
 * edge route table routes to, in every VPC that has a GWLB endpoint or an IGW edge route table.
 */
export function inspectionScope(model: GwlbModel, options: GwlbRuleOptions = {}): InspectionScope {
  const vpcIds = new Set<string>();
  for (const endpoint of model.endpoints.values()) {
    if (isGwlbEndpoint(endpoint) && typeof endpoint.vpcId === 'string') {
      vpcIds.add(endpoint.vpcId);
    }
  }
  for (const association of model.gatewayAssociations) {
    const table = model.lookup(model.routeTables, association.routeTableId);
    if (table && typeof table.vpcId === 'string' && model.isInternetGateway(association.gatewayId)) {
      vpcIds.add(table.vpcId);
    }
  }
  const bySubnet = new Map<string, InspectedSubnet>();
  const add = (subnet: SubnetNode, vpcId: string, lb?: LoadBalancerNode): void => {
    let entry = bySubnet.get(subnet.meta.key);
    if (!entry) {
      entry = { subnet, vpcId, loadBalancers: [] };
      bySubnet.set(subnet.meta.key, entry);
    }
    if (lb && !entry.loadBalancers.includes(lb)) {
      entry.loadBalancers.push(lb);
    }
  };

  const loadBalancers: LoadBalancerNode[] = [];
  const unresolvedSubnets: UnresolvedSubnetRef[] = [];
  const internetFacing = [...model.loadBalancers.values()].filter(isInternetFacing);
  const unknownSchemes = [...model.loadBalancers.values()].filter(mayBeInternetFacing);
  if (options.inspectAllInternetFacing) {
    for (const lb of internetFacing) {
      lb.subnetIds.map((id) => model.lookup(model.subnets, id)?.vpcId)
        .forEach((vpc) => typeof vpc === 'string' && vpcIds.add(vpc));
    }
  }
  for (const lb of internetFacing) {
    let inScope = false;
    let vpcKnown = false;
    const pending: UnresolvedSubnetRef[] = [];
    for (const subnetId of lb.subnetIds) {
      const subnet = model.lookup(model.subnets, subnetId);
      if (!subnet || typeof subnet.vpcId !== 'string') {
        pending.push({ loadBalancer: lb, subnetId: subnet && isUnresolved(subnet.vpcId) ? subnet.vpcId : subnetId });
        continue;
      }
      vpcKnown = true;
      if (vpcIds.has(subnet.vpcId)) {
        inScope = true;
        add(subnet, subnet.vpcId, lb);
      }
    }
    if (inScope) {
      loadBalancers.push(lb);
    }
    // Report subnets we could not follow when the load balancer is (or may be) in an inspected VPC:
    // with no known VPC at all it may be, whatever else is in scope.
    if (inScope || !vpcKnown) {
      unresolvedSubnets.push(...pending);
    }
  }
  for (const vpcId of vpcIds) {
    for (const { table } of model.edgeAssociationsOfVpc(vpcId)) {
      for (const route of model.routesOf(table)) {
        for (const subnet of subnetsBehind(model, route, vpcId)) {
          add(subnet, vpcId);
        }
      }
    }
  }
  for (const { subnet, endpoint } of publicSubnetsReturningThroughEndpoints(model)) {
    add(subnet, subnet.vpcId as string);
    bySubnet.get(subnet.meta.key)!.returnEndpoint ??= endpoint;
  }
  for (const entry of bySubnet.values()) {
    if (entry.loadBalancers.length > 0) {
      entry.behindLoadBalancer = endpointBehind(model, entry.subnet);
    }
  }
  return { vpcIds, loadBalancers, subnets: [...bySubnet.values()], unresolvedSubnets, unknownSchemes };
}

/**
 * Subnets whose 0.0.0.0/0 route targets a GWLB endpoint and that hold a publicly addressed workload
 * (an instance with a public IP or an Elastic IP, or an Auto Scaling group launching with public
 * IPs) in a VPC with an internet gateway: inbound flows to those public addresses arrive from the
 * internet gateway, so they must be sent through the same endpoint by an edge route.
 */
function publicSubnetsReturningThroughEndpoints(model: GwlbModel): Array<{ subnet: SubnetNode; endpoint: EndpointNode }> {
  const out: Array<{ subnet: SubnetNode; endpoint: EndpointNode }> = [];
  const igwVpcs = new Set(model.internetGatewayAttachments
    .filter((a) => model.isInternetGateway(a.internetGatewayId) && typeof a.vpcId === 'string').map((a) => a.vpcId as string));
  for (const subnet of model.subnets.values()) {
    if (typeof subnet.vpcId !== 'string' || !igwVpcs.has(subnet.vpcId)) {
      continue;
    }
    const route = defaultRoute(subnetRoutes(model, subnet).routes);
    const endpoint = route?.target.kind === RouteTargetKind.GWLB_ENDPOINT ? model.lookup(model.endpoints, route.target.value) : undefined;
    if (endpoint && hasPublicWorkload(model, subnet)) {
      out.push({ subnet, endpoint });
    }
  }
  return out;
}

/** A GWLB endpoint that the subnet's route table sends traffic to: by a route, or a custom resource that rewrites its routes. */
function endpointBehind(model: GwlbModel, subnet: SubnetNode): { endpoint: EndpointNode; via: ModelNode } | undefined {
  const { table, routes } = subnetRoutes(model, subnet);
  // A default route to an endpoint is the return half of inspection at the IGW; a more specific one leads to the targets.
  const defaults = [defaultRoute(routes, AddressFamily.IPV4), defaultRoute(routes, AddressFamily.IPV6)];
  const route = routes.find((r) => r.target.kind === RouteTargetKind.GWLB_ENDPOINT && !defaults.includes(r));
  const endpoint = route ? model.lookup(model.endpoints, route.target.value) : undefined;
  if (route && endpoint) {
    return { endpoint, via: route };
  }
  if (!table) {
    return undefined;
  }
  for (const meta of model.resources.values()) {
    if (!isCustomResource(meta.type)) {
      continue;
    }
    const named = resourcesIn(JSON.stringify(model.propertiesOf(meta)));
    const gwlbe = named.map((key) => model.lookup(model.endpoints, refToken(key))).find((e) => e && isGwlbEndpoint(e));
    if (gwlbe && named.includes(table.meta.key)) {
      return { endpoint: gwlbe, via: { meta } };
    }
  }
  return undefined;
}

function hasPublicWorkload(model: GwlbModel, subnet: SubnetNode): boolean {
  const ref = refToken(subnet.meta.key);
  const instances = [...model.instances.values()].some((i) => model.instanceSubnet(i) === ref && model.hasPublicIp(i, subnet));
  const interfaces = [...model.networkInterfaces.values()]
    .some((eni) => eni.subnetId === ref && model.elasticIpHolders.includes(refToken(eni.meta.key)));
  const groups = model.autoScalingGroups.some((g) => g.subnetIds.includes(ref)
    && (model.lookup(model.launchTemplates, g.launchTemplateId)?.associatePublicIp ?? subnet.mapPublicIpOnLaunch) === 'true');
  return instances || interfaces || groups;
}

/** Subnets of the VPC with a block (of the route's family) that the edge route's destination covers. */
function subnetsBehind(model: GwlbModel, route: RouteNode, vpcId: string): SubnetNode[] {
  if (route.target.kind === RouteTargetKind.LOCAL) {
    return [];
  }
  return [AddressFamily.IPV4, AddressFamily.IPV6].flatMap((family) => {
    const destination = routeDestination(route, family);
    if (typeof destination !== 'string') {
      return [];
    }
    return [...model.subnets.values()].filter((s) => s.vpcId === vpcId && subnetCidrs(s, family)
      .some((cidr) => typeof cidr === 'string' && [CidrRelation.EQUAL, CidrRelation.CONTAINS].includes(cidrRelation(destination, cidr))));
  });
}

/** A GWLB endpoint that an IGW edge route table sends traffic to, and the address families it carries. */
export interface IngressEndpoint {
  readonly endpoint: EndpointNode;
  readonly route: RouteNode;
  readonly families: ReadonlySet<AddressFamily>;
}

/** GWLB endpoints that an IGW edge route table of a scoped VPC sends traffic to. */
export function ingressEndpoints(model: GwlbModel, scope: InspectionScope): IngressEndpoint[] {
  const out = new Map<EndpointNode, { route: RouteNode; families: Set<AddressFamily> }>();
  for (const vpcId of scope.vpcIds) {
    for (const { table } of model.edgeAssociationsOfVpc(vpcId)) {
      for (const route of model.routesOf(table)) {
        const endpoint = route.target.kind === RouteTargetKind.GWLB_ENDPOINT ? model.lookup(model.endpoints, route.target.value) : undefined;
        if (!endpoint) {
          continue;
        }
        const entry = out.get(endpoint) ?? { route, families: new Set<AddressFamily>() };
        out.set(endpoint, entry);
        if (route.destinationIpv6 !== undefined) {
          entry.families.add(AddressFamily.IPV6);
        }
        if (route.destination !== undefined) {
          entry.families.add(AddressFamily.IPV4);
        }
      }
    }
  }
  return [...out].map(([endpoint, { route, families }]) => ({ endpoint, route, families }));
}
