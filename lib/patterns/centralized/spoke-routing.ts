import { Annotations, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** The path validator's id for a spoke route that skips the Transit Gateway, as acknowledged by `UninspectedTraffic`. */
export const SPOKE_BYPASS_ACK_ID = 'GwlbPathValidator::GWLB-T3-SPOKE-ROUTE-BYPASS';

/**
 * The primary IPv4 CIDR block of a VPC: the literal of an `ec2.Vpc` of this app, else
 * `vpcCidrBlock`; undefined when an imported VPC was given none.
 */
export function vpcPrimaryCidr(vpc: ec2.IVpc): string | undefined {
  const resource = vpc.node.defaultChild;
  if (resource instanceof ec2.CfnVPC && typeof resource.cidrBlock === 'string' && !Token.isUnresolved(resource.cidrBlock)) {
    return resource.cidrBlock;
  }
  try {
    return vpc.vpcCidrBlock;
  } catch {
    return undefined; // Vpc.fromVpcAttributes() without vpcCidrBlock
  }
}

/** Route properties that make a route leave the VPC without the Transit Gateway. */
const BYPASS_TARGETS: ReadonlyArray<[keyof ec2.CfnRoute, string]> = [
  ['gatewayId', 'an internet or virtual private gateway'],
  ['natGatewayId', 'a NAT gateway'],
  ['egressOnlyInternetGatewayId', 'an egress-only internet gateway'],
  ['vpcPeeringConnectionId', 'a VPC peering connection'],
  ['carrierGatewayId', 'a carrier gateway'],
  ['localGatewayId', 'a local gateway'],
  ['coreNetworkArn', 'a Cloud WAN core network'],
];

/**
 * Point a subnet's existing CDK default route (such as `ec2.Vpc`'s route to a NAT gateway or
 * the internet gateway) at the Transit Gateway; undefined when the subnet has none.
 */
export function retargetToTransitGateway(subnet: ec2.ISubnet, transitGatewayId: string): ec2.CfnRoute | undefined {
  const existing = subnet.node.children.find((c): c is ec2.CfnRoute => c instanceof ec2.CfnRoute && c.destinationCidrBlock === '0.0.0.0/0');
  if (existing === undefined) {
    return undefined;
  }
  const previous = BYPASS_TARGETS.find(([p]) => existing[p] !== undefined)?.[1];
  for (const [property] of BYPASS_TARGETS) {
    (existing as unknown as Record<string, unknown>)[property] = undefined;
  }
  existing.instanceId = undefined;
  existing.networkInterfaceId = undefined;
  existing.vpcEndpointId = undefined;
  existing.transitGatewayId = transitGatewayId;
  Annotations.of(existing).addInfo(`default route retargeted from ${previous ?? 'its previous target'} to the Transit Gateway (inspected egress)`);
  return existing;
}

/** A route of a spoke subnet that leaves the VPC without the hub's Transit Gateway. */
export interface SpokeBypass {
  readonly route: ec2.CfnRoute;
  readonly subnet: ec2.ISubnet;
  readonly destination: string;
  readonly target: string;
}

/**
 * Every CDK route in the app on the route table of a subnet of the VPC that leaves without the
 * Transit Gateway, except those excused (by the route's or the subnet's construct path).
 */
export function findSpokeBypasses(vpc: ec2.IVpc, transitGatewayId: string, excused: ReadonlySet<string>): SpokeBypass[] {
  const subnetsByTable = new Map<string, ec2.ISubnet[]>();
  for (const subnet of [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets]) {
    const table = subnet.routeTable?.routeTableId;
    if (table !== undefined) {
      subnetsByTable.set(table, [...subnetsByTable.get(table) ?? [], subnet]);
    }
  }
  const out: SpokeBypass[] = [];
  for (const construct of vpc.node.root.node.findAll()) {
    if (!(construct instanceof ec2.CfnRoute) || excused.has(construct.node.path)) {
      continue;
    }
    const subnets = subnetsByTable.get(construct.routeTableId) ?? [];
    const target = bypassTarget(construct, transitGatewayId);
    if (target === undefined) {
      continue;
    }
    for (const subnet of subnets.filter((s) => !excused.has(s.node.path))) {
      out.push({ route: construct, subnet, target, destination: construct.destinationCidrBlock ?? construct.destinationIpv6CidrBlock ?? '(no destination)' });
    }
  }
  return out;
}

function bypassTarget(route: ec2.CfnRoute, transitGatewayId: string): string | undefined {
  if (route.gatewayId === 'local') {
    return undefined;
  }
  if (route.transitGatewayId !== undefined && route.transitGatewayId !== transitGatewayId) {
    return 'another Transit Gateway';
  }
  return BYPASS_TARGETS.find(([p]) => route[p] !== undefined)?.[1];
}

