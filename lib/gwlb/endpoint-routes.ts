import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { GatewayLoadBalancerEndpoint, IGatewayLoadBalancerEndpoint } from './gateway-load-balancer-endpoint';
import { GatewayLoadBalancerIpAddressType } from './gateway-load-balancer';
import {
  azMismatch, describeAvailabilityZone, fail, subnetAvailabilityZone, validateIpv4Cidr, validateIpv6Cidr,
} from './validation';

/** Properties of {@link EndpointRoutes.routeThroughEndpoint}. */
export interface EndpointRouteProps {
  /** The route table to add the route to. */
  readonly routeTableId: string;
  /**
   * The IPv4 destination, such as `0.0.0.0/0` or `10.0.0.0/16`; give exactly one of
   * `destinationCidrBlock` and `destinationIpv6CidrBlock`.
   * @default - none (then `destinationIpv6CidrBlock` is required)
   */
  readonly destinationCidrBlock?: string;
  /**
   * The IPv6 destination, such as `::/0`; the endpoint must then be dual-stack.
   * @default - none (then `destinationCidrBlock` is required)
   */
  readonly destinationIpv6CidrBlock?: string;
  /** The Gateway Load Balancer endpoint the traffic goes to. */
  readonly endpoint: IGatewayLoadBalancerEndpoint;
}

/** Properties of {@link EndpointRoutes.routeSubnetThroughEndpoint}. */
export interface SubnetEndpointRouteProps {
  /** The subnet whose route table gets the route. */
  readonly subnet: ec2.ISubnet;
  /** The Gateway Load Balancer endpoint; it must be in the subnet's availability zone. */
  readonly endpoint: GatewayLoadBalancerEndpoint;
  /**
   * The IPv4 destination.
   * @default '0.0.0.0/0', unless `destinationIpv6CidrBlock` is given
   */
  readonly destinationCidrBlock?: string;
  /**
   * An IPv6 destination (such as `::/0`) instead of an IPv4 one; the endpoint must then be
   * dual-stack. Not together with `destinationCidrBlock`.
   * @default - an IPv4 route
   */
  readonly destinationIpv6CidrBlock?: string;
  /**
   * When the subnet already has a CDK route to the same destination (such as the default route
   * to the internet gateway that `ec2.Vpc` gives public subnets), point that route at the
   * endpoint instead of failing. The existing route is returned and `id` is not used.
   * @default false
   */
  readonly replaceExistingRoute?: boolean;
}

/** Routes added by these helpers, per stack: `<route table>|<destination>` to construct path. */
const addedRoutes = new WeakMap<Stack, Map<string, string>>();

/** The destination of a route: one IPv4 or one IPv6 CIDR block. */
interface Destination {
  readonly cidr: string;
  readonly ipv6: boolean;
}

/** Routes that send traffic to a Gateway Load Balancer endpoint, with same-AZ and duplicate checks. */
export class EndpointRoutes {
  /**
   * Add a route (`AWS::EC2::Route` with `VpcEndpointId`) sending a destination to a Gateway Load
   * Balancer endpoint. Fails if this helper already routed the same destination in the same table,
   * and for an IPv6 destination through an endpoint known to be IPv4-only.
   */
  public static routeThroughEndpoint(scope: Construct, id: string, props: EndpointRouteProps): ec2.CfnRoute {
    const destination = destinationOf(scope, props.destinationCidrBlock, props.destinationIpv6CidrBlock, undefined);
    validateEndpointFamily(scope, props.endpoint, destination);
    const key = `${props.routeTableId}|${destination.cidr}`;
    validateTableZone(scope, props.routeTableId, props.endpoint);
    const routes = routesOf(Stack.of(scope));
    const previous = routes.get(key);
    if (previous !== undefined) {
      fail(scope, `route table already has a route for ${destination.cidr} (${previous})`);
    }
    const route = new ec2.CfnRoute(scope, id, {
      routeTableId: props.routeTableId,
      destinationCidrBlock: destination.ipv6 ? undefined : destination.cidr,
      destinationIpv6CidrBlock: destination.ipv6 ? destination.cidr : undefined,
      vpcEndpointId: props.endpoint.vpcEndpointId,
    });
    routes.set(key, route.node.path);
    return route;
  }

  /**
   * Route a destination (by default `0.0.0.0/0`; or an IPv6 one such as `::/0`) of a subnet's
   * route table to the endpoint in the same availability zone, e.g. the return path of the
   * subnets behind an inspected internet gateway. Fails when the endpoint is in another
   * availability zone, or when the subnet already has a CDK route to that destination and
   * `replaceExistingRoute` is not set.
   */
  public static routeSubnetThroughEndpoint(scope: Construct, id: string, props: SubnetEndpointRouteProps): ec2.CfnRoute {
    const destination = destinationOf(scope, props.destinationCidrBlock, props.destinationIpv6CidrBlock, '0.0.0.0/0');
    validateEndpointFamily(scope, props.endpoint, destination);
    const routeTableId = props.subnet.routeTable?.routeTableId;
    if (routeTableId === undefined) {
      fail(scope, `subnet ${props.subnet.node.path} has no known route table: import it with routeTableId`);
    }
    const subnetAz = subnetAvailabilityZone(props.subnet);
    const endpointAz = props.endpoint.availabilityZoneIfKnown;
    if (azMismatch(scope, subnetAz, endpointAz)) {
      fail(scope, `endpoint ${props.endpoint.node.path} is in ${describeAvailabilityZone(scope, endpointAz)} but subnet `
        + `${props.subnet.node.path} is in ${describeAvailabilityZone(scope, subnetAz)}: `
        + 'route a subnet through the endpoint in its own availability zone');
    }

    const existing = findExistingRoute(props.subnet, routeTableId, destination);
    if (existing === undefined) {
      return EndpointRoutes.routeThroughEndpoint(scope, id, {
        routeTableId,
        destinationCidrBlock: destination.ipv6 ? undefined : destination.cidr,
        destinationIpv6CidrBlock: destination.ipv6 ? destination.cidr : undefined,
        endpoint: props.endpoint,
      });
    }
    if (!props.replaceExistingRoute) {
      fail(scope, `subnet ${props.subnet.node.path} already has a route for ${destination.cidr} (${existing.node.path}); `
        + 'set replaceExistingRoute: true to send it to the endpoint instead');
    }
    retarget(existing, props.endpoint.vpcEndpointId);
    routesOf(Stack.of(scope)).set(`${routeTableId}|${destination.cidr}`, existing.node.path);
    return existing;
  }

  private constructor() {}
}

/** The one destination given (or the default), validated. */
function destinationOf(scope: Construct, ipv4: string | undefined, ipv6: string | undefined, ipv4Default: string | undefined): Destination {
  if (ipv4 !== undefined && ipv6 !== undefined) {
    fail(scope, `give either destinationCidrBlock (${ipv4}) or destinationIpv6CidrBlock (${ipv6}), not both: `
      + 'a route has one destination (add a second route for the other address family)');
  }
  if (ipv6 !== undefined) {
    validateIpv6Cidr(scope, 'destinationIpv6CidrBlock', ipv6);
    return { cidr: ipv6, ipv6: true };
  }
  const cidr = ipv4 ?? ipv4Default;
  if (cidr === undefined) {
    fail(scope, 'destinationCidrBlock or destinationIpv6CidrBlock is required');
  }
  validateIpv4Cidr(scope, 'destinationCidrBlock', cidr);
  return { cidr, ipv6: false };
}

function validateEndpointFamily(scope: Construct, endpoint: IGatewayLoadBalancerEndpoint, destination: Destination): void {
  if (destination.ipv6 && endpoint.ipAddressType === GatewayLoadBalancerIpAddressType.IPV4) {
    fail(scope, `destinationIpv6CidrBlock ${destination.cidr} cannot go through endpoint ${endpoint.node.path}: it is `
      + 'IPv4-only (ipAddressType IPV4); create it with ipAddressType DUAL_STACK');
  }
}

/**
 * Fail when the route table belongs to a subnet of this app (its own table, or one associated
 * with it) in another availability zone than the endpoint: the replies would come back through
 * another zone's endpoint (or none) and be dropped.
 */
function validateTableZone(scope: Construct, routeTableId: string, endpoint: IGatewayLoadBalancerEndpoint): void {
  const endpointAz = (endpoint as Partial<GatewayLoadBalancerEndpoint>).availabilityZoneIfKnown;
  if (endpointAz === undefined) {
    return;
  }
  for (const subnet of subnetsUsingTable(scope, routeTableId)) {
    const subnetAz = subnetAvailabilityZone(subnet);
    if (azMismatch(scope, subnetAz, endpointAz)) {
      fail(scope, `routeTableId is the route table of subnet ${subnet.node.path} in ${describeAvailabilityZone(scope, subnetAz)}, `
        + `but endpoint ${endpoint.node.path} is in ${describeAvailabilityZone(scope, endpointAz)}: route a subnet's table `
        + 'through the endpoint in its own availability zone');
    }
  }
}

/** The subnets of this app whose route table is `routeTableId` (their own, or associated). */
function subnetsUsingTable(scope: Construct, routeTableId: string): ec2.ISubnet[] {
  const all = scope.node.root.node.findAll();
  const subnets = all.filter((c): c is ec2.ISubnet & Construct => {
    const candidate = c as Partial<ec2.ISubnet>;
    return typeof candidate.subnetId === 'string' && candidate.routeTable?.routeTableId === routeTableId;
  });
  const associated = new Set(all.filter((c): c is ec2.CfnSubnetRouteTableAssociation =>
    c instanceof ec2.CfnSubnetRouteTableAssociation && c.routeTableId === routeTableId).map((a) => a.subnetId));
  const more = all.filter((c): c is ec2.ISubnet & Construct => {
    const candidate = c as Partial<ec2.ISubnet>;
    return typeof candidate.subnetId === 'string' && associated.has(candidate.subnetId) && !subnets.includes(c as ec2.ISubnet & Construct);
  });
  return [...subnets, ...more];
}

function routesOf(stack: Stack): Map<string, string> {
  let routes = addedRoutes.get(stack);
  if (routes === undefined) {
    routes = new Map();
    addedRoutes.set(stack, routes);
  }
  return routes;
}

function findExistingRoute(subnet: ec2.ISubnet, routeTableId: string, destination: Destination): ec2.CfnRoute | undefined {
  return subnet.node.children.find((child): child is ec2.CfnRoute => child instanceof ec2.CfnRoute
    && child.routeTableId === routeTableId
    && (destination.ipv6 ? child.destinationIpv6CidrBlock : child.destinationCidrBlock) === destination.cidr);
}

function retarget(route: ec2.CfnRoute, vpcEndpointId: string): void {
  route.gatewayId = undefined;
  route.natGatewayId = undefined;
  route.instanceId = undefined;
  route.networkInterfaceId = undefined;
  route.transitGatewayId = undefined;
  route.vpcPeeringConnectionId = undefined;
  route.egressOnlyInternetGatewayId = undefined;
  route.carrierGatewayId = undefined;
  route.localGatewayId = undefined;
  route.coreNetworkArn = undefined;
  route.vpcEndpointId = vpcEndpointId;
}
