import { AddressFamily, CidrRelation, cidrRelation } from './cidr';
import { GwlbModel, isGwlbEndpoint } from './model';
import { EndpointNode, LoadBalancerNode, ElbLoadBalancerType, RouteNode, RouteTargetKind, SubnetNode, ModelValue } from './model-types';
import { routeDestination, subnetCidrs } from './paths';
import { isUnresolved } from './resolve';

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
}

export function isInternetFacing(lb: LoadBalancerNode): boolean {
  return (lb.lbType === ElbLoadBalancerType.APPLICATION || lb.lbType === ElbLoadBalancerType.NETWORK) && lb.scheme === 'internet-facing';
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
    // Report subnets we could not follow when the load balancer is (or may be) in an inspected VPC.
    if (inScope || (!vpcKnown && vpcIds.size > 0)) {
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
  return { vpcIds, loadBalancers, subnets: [...bySubnet.values()], unresolvedSubnets };
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
