import { AddressFamily, cidrPrefix, CidrRelation, cidrRelation } from './cidr';
import { ModelValue, RouteNode } from './model-types';
import { routeDestination } from './paths';
import { TgwAttachmentNode } from './tgw-model';

/** The result of looking up the route a destination block takes in a VPC route table. */
export interface RouteChoice {
  /** The most specific route whose destination equals or contains the block. */
  readonly route?: RouteNode;
  /** Set when a destination could not be compared with the block. */
  readonly unknown?: string;
}

/** The route of `routes` that carries `cidr` (longest prefix that equals or contains it; IPv4). */
export function routeFor(routes: readonly RouteNode[], cidr: ModelValue): RouteChoice {
  if (typeof cidr !== 'string') {
    return { unknown: `the block is unknown (${cidr.reason})` };
  }
  let best: { route: RouteNode; prefix: number } | undefined;
  let unknown: string | undefined;
  for (const route of routes) {
    const destination = routeDestination(route, AddressFamily.IPV4);
    if (typeof destination !== 'string') {
      continue;
    }
    const relation = cidrRelation(destination, cidr);
    if (relation === CidrRelation.UNKNOWN) {
      unknown ??= `route ${route.meta.logicalId} (${destination}) cannot be compared with ${cidr}`;
    } else if (relation === CidrRelation.EQUAL || relation === CidrRelation.CONTAINS) {
      const prefix = relation === CidrRelation.EQUAL ? 33 : cidrPrefix(destination) ?? 0;
      if (!best || prefix > best.prefix) {
        best = { route, prefix };
      }
    }
  }
  return best ? { route: best.route } : { unknown };
}

/** Whether a route targets the Transit Gateway of the attachment. */
export function targetsTransitGateway(route: RouteNode, attachment: TgwAttachmentNode): boolean {
  return route.target.property === 'TransitGatewayId' && route.target.value === attachment.transitGatewayId;
}
