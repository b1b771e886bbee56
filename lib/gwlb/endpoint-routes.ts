import { Annotations, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { GatewayLoadBalancerEndpoint, IGatewayLoadBalancerEndpoint } from './gateway-load-balancer-endpoint';
import { azMismatch, fail, subnetAvailabilityZone, validateIpv4Cidr } from './validation';

/** Properties of {@link routeThroughEndpoint}. */
export interface EndpointRouteProps {
  /** The route table to add the route to. */
  readonly routeTableId: string;
  /** The IPv4 destination, such as `0.0.0.0/0` or `10.0.0.0/16`. */
  readonly destinationCidrBlock: string;
  /** The Gateway Load Balancer endpoint the traffic goes to. */
  readonly endpoint: IGatewayLoadBalancerEndpoint;
}

/** Properties of {@link routeSubnetThroughEndpoint}. */
export interface SubnetEndpointRouteProps {
  /** The subnet whose route table gets the route. */
  readonly subnet: ec2.ISubnet;
  /** The Gateway Load Balancer endpoint; it must be in the subnet's availability zone. */
  readonly endpoint: GatewayLoadBalancerEndpoint;
  /**
   * The IPv4 destination.
   * @default '0.0.0.0/0'
   */
  readonly destinationCidrBlock?: string;
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

/**
 * Add a route (`AWS::EC2::Route` with `VpcEndpointId`) sending a destination to a Gateway Load
 * Balancer endpoint. Fails if this helper already routed the same destination in the same table.
 */
export function routeThroughEndpoint(scope: Construct, id: string, props: EndpointRouteProps): ec2.CfnRoute {
  validateIpv4Cidr(scope, 'destinationCidrBlock', props.destinationCidrBlock);
  const key = `${props.routeTableId}|${props.destinationCidrBlock}`;
  const routes = routesOf(Stack.of(scope));
  const previous = routes.get(key);
  if (previous !== undefined) {
    fail(scope, `route table already has a route for ${props.destinationCidrBlock} (${previous})`);
  }
  const route = new ec2.CfnRoute(scope, id, {
    routeTableId: props.routeTableId,
    destinationCidrBlock: props.destinationCidrBlock,
    vpcEndpointId: props.endpoint.vpcEndpointId,
  });
  routes.set(key, route.node.path);
  return route;
}

/**
 * Route a destination (by default `0.0.0.0/0`) of a subnet's route table to the endpoint in the
 * same availability zone, e.g. the return path of the subnets behind an inspected internet gateway.
 * Fails when the endpoint is in another availability zone, or when the subnet already has a CDK
 * route to that destination and `replaceExistingRoute` is not set.
 */
export function routeSubnetThroughEndpoint(scope: Construct, id: string, props: SubnetEndpointRouteProps): ec2.CfnRoute {
  const destination = props.destinationCidrBlock ?? '0.0.0.0/0';
  validateIpv4Cidr(scope, 'destinationCidrBlock', destination);
  const routeTableId = props.subnet.routeTable?.routeTableId;
  if (routeTableId === undefined) {
    fail(scope, `subnet ${props.subnet.node.path} has no known route table: import it with routeTableId`);
  }
  const subnetAz = subnetAvailabilityZone(props.subnet);
  const endpointAz = props.endpoint.availabilityZoneIfKnown;
  if (azMismatch(subnetAz, endpointAz)) {
    fail(scope, `endpoint ${props.endpoint.node.path} is in ${endpointAz} but subnet ${props.subnet.node.path} is in ${subnetAz}: `
      + 'route a subnet through the endpoint in its own availability zone');
  }

  const existing = findExistingRoute(props.subnet, routeTableId, destination);
  if (existing === undefined) {
    return routeThroughEndpoint(scope, id, { routeTableId, destinationCidrBlock: destination, endpoint: props.endpoint });
  }
  if (!props.replaceExistingRoute) {
    fail(scope, `subnet ${props.subnet.node.path} already has a route for ${destination} (${existing.node.path}); `
      + 'set replaceExistingRoute: true to send it to the endpoint instead');
  }
  retarget(existing, props.endpoint.vpcEndpointId);
  routesOf(Stack.of(scope)).set(`${routeTableId}|${destination}`, existing.node.path);
  Annotations.of(existing).addInfo(`route for ${destination} now targets Gateway Load Balancer endpoint ${props.endpoint.node.path}`);
  return existing;
}

function routesOf(stack: Stack): Map<string, string> {
  let routes = addedRoutes.get(stack);
  if (routes === undefined) {
    routes = new Map();
    addedRoutes.set(stack, routes);
  }
  return routes;
}

function findExistingRoute(subnet: ec2.ISubnet, routeTableId: string, destination: string): ec2.CfnRoute | undefined {
  return subnet.node.children.find((child): child is ec2.CfnRoute => child instanceof ec2.CfnRoute
    && child.routeTableId === routeTableId && child.destinationCidrBlock === destination);
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
