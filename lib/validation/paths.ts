import { AddressFamily, cidrPrefix, CidrRelation, cidrRelation, DEFAULT_DESTINATION } from './cidr';
import { GwlbModel } from './model';
import { EndpointNode, RouteNode, RouteTableNode, SubnetNode, ModelValue } from './model-types';
import { isUnresolved } from './resolve';
import { describeValue, refTarget } from './tokens';

export const DEFAULT_ROUTE = DEFAULT_DESTINATION[AddressFamily.IPV4];

/** The destination of a route in one address family (undefined when the route is of the other family). */
export function routeDestination(route: RouteNode, family: AddressFamily): ModelValue | undefined {
  return family === AddressFamily.IPV4 ? route.destination : route.destinationIpv6;
}

/** The destination of a route for messages, whatever its family. */
export function describeDestination(route: RouteNode): string {
  const destination = route.destination ?? route.destinationIpv6;
  return isUnresolved(destination) ? `(${destination.reason})` : describeValue(destination ?? '(no destination)');
}

/** A subnet's CIDR blocks of one family (IPv4: its CidrBlock; IPv6: every IPv6 block). */
export function subnetCidrs(subnet: SubnetNode, family: AddressFamily): ModelValue[] {
  if (family === AddressFamily.IPV6) {
    return subnet.ipv6CidrBlocks;
  }
  return subnet.cidrBlock === undefined ? [] : [subnet.cidrBlock];
}

/** `IPv6 ` before "CIDR" in messages about IPv6, nothing for IPv4. */
export function familyLabel(family: AddressFamily): string {
  return family === AddressFamily.IPV6 ? 'IPv6 ' : '';
}

/** The routes that apply to a subnet, or why they cannot be known. */
export interface SubnetRoutes {
  /** The explicitly associated route table. @default - none: the VPC main route table (local route only) */
  readonly table?: RouteTableNode;
  readonly routes: RouteNode[];
  /** Set when the routes cannot be known at synth time. */
  readonly unknown?: string;
}

/**
 * The routes of a subnet's route table. A subnet without an explicit association uses the VPC's
 * main route table; CloudFormation cannot add routes to it, so when the VPC is part of the app the
 * subnet has only the local route.
 */
export function subnetRoutes(model: GwlbModel, subnet: SubnetNode): SubnetRoutes {
  const association = model.subnetAssociation(subnet);
  if (association) {
    const table = model.lookup(model.routeTables, association.routeTableId);
    return table ? { table, routes: model.routesOf(table) }
      : { routes: [], unknown: `route table ${String(association.routeTableId)} of ${association.meta.logicalId} is not in the app` };
  }
  const vpc = refTarget(subnet.vpcId);
  if (vpc && model.resources.get(vpc)?.type === 'AWS::EC2::VPC') {
    return { routes: [] };
  }
  return { routes: [], unknown: `${subnet.meta.logicalId} has no explicit route table association and its VPC's main route table is not in the app` };
}

export function defaultRoute(routes: readonly RouteNode[], family = AddressFamily.IPV4): RouteNode | undefined {
  return routes.find((r) => {
    const destination = routeDestination(r, family);
    return typeof destination === 'string' && cidrRelation(destination, DEFAULT_DESTINATION[family]) === CidrRelation.EQUAL;
  });
}

/** A route whose destination (of the family) is not known at synth time, so it may be the default route. */
export function possibleDefaultRoute(routes: readonly RouteNode[], family = AddressFamily.IPV4): RouteNode | undefined {
  return routes.find((r) => {
    const destination = routeDestination(r, family);
    return isUnresolved(destination) || (typeof destination === 'string' && cidrRelation(destination, DEFAULT_DESTINATION[family]) === CidrRelation.UNKNOWN);
  });
}

export type EdgeLookup =
  | { readonly kind: 'no-edge-table' }
  | { readonly kind: 'no-route'; readonly tables: RouteTableNode[] }
  | { readonly kind: 'unknown'; readonly reason: string; readonly tables: RouteTableNode[] }
  | { readonly kind: 'route'; readonly table: RouteTableNode; readonly route: RouteNode; readonly endpoint?: EndpointNode };

/**
 * The IGW edge route that carries inbound traffic for a block of `subnet` (by default its IPv4
 * CIDR): the most specific route of the VPC's edge route tables, of the same address family,
 * whose destination equals or contains the block.
 */
export function edgeRouteFor(
  model: GwlbModel, subnet: SubnetNode, vpcId: string, family = AddressFamily.IPV4, cidr: ModelValue | undefined = subnet.cidrBlock,
): EdgeLookup {
  const tables = model.edgeAssociationsOfVpc(vpcId).map((e) => e.table);
  if (tables.length === 0) {
    return { kind: 'no-edge-table' };
  }
  if (typeof cidr !== 'string') {
    return { kind: 'unknown', tables, reason: `the ${familyLabel(family)}CIDR of ${subnet.meta.logicalId} is unknown (${isUnresolved(cidr) ? cidr.reason : 'missing'})` };
  }
  let best: { table: RouteTableNode; route: RouteNode; prefix: number } | undefined;
  let unknown: string | undefined;
  for (const table of tables) {
    for (const route of model.routesOf(table)) {
      const destination = routeDestination(route, family);
      if (typeof destination !== 'string') {
        continue;
      }
      const relation = cidrRelation(destination, cidr);
      if (relation === CidrRelation.UNKNOWN) {
        unknown ??= `cannot compare edge route destination ${describeValue(destination)} (${route.meta.logicalId}) with subnet ${familyLabel(family)}CIDR ${describeValue(cidr)}`;
      } else if (relation !== CidrRelation.OTHER) {
        const prefix = relation === CidrRelation.EQUAL ? 129 : cidrPrefix(destination) ?? 0;
        if (!best || prefix > best.prefix) {
          best = { table, route, prefix };
        }
      }
    }
  }
  if (!best) {
    return unknown ? { kind: 'unknown', reason: unknown, tables } : { kind: 'no-route', tables };
  }
  return { kind: 'route', table: best.table, route: best.route, endpoint: model.lookup(model.endpoints, best.route.target.value) };
}

/** `the Gateway Load Balancer endpoint GwlbeA` / `internet gateway igw-123` for messages. */
export function describeTarget(model: GwlbModel, target: { kind: string; value?: ModelValue; resource?: string }): string {
  const name = target.resource ? model.resources.get(target.resource)?.logicalId : undefined;
  const value = isUnresolved(target.value) ? `(${target.value.reason})` : target.value;
  return `${target.kind} ${name ?? value ?? ''}`.trim();
}
