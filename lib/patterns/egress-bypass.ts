/**
 * The egress-bypass check (internal API): given the subnets whose instances must be inspected, the
 * Gateway Load Balancer endpoints (one per zone) and the subnets whose replies the internet
 * gateway's edge route table sends back through them, it follows every route of the construct
 * tree and reports each internet path (IPv4 and IPv6) that does not cross the endpoint of the
 * subnet's own zone both ways. `InspectionRouting` uses it; other patterns (such as a transit
 * gateway design) can call `findEgressBypasses` or `addEgressBypassValidation` with their own inputs.
 */
import { Annotations, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';
import { GatewayLoadBalancerEndpoint } from '../gwlb';
import { describeAvailabilityZone, isConcrete, sameAvailabilityZone, subnetAvailabilityZone } from '../gwlb/validation';
import { UninspectedEgress } from './uninspected-egress';

/**
 * What the egress-bypass check looks at (internal API, shared by the patterns that route an
 * application through Gateway Load Balancer endpoints).
 */
export interface EgressBypassCheck {
  /** The VPC of the instances. */
  readonly vpc: ec2.IVpc;
  /** The subnets whose instances' internet egress must cross an endpoint of their own zone, by kind. */
  readonly sources: EgressSource[];
  /** The endpoints egress must cross, at most one per availability zone. */
  readonly endpoints: GatewayLoadBalancerEndpoint[];
  /**
   * The subnets whose inbound internet traffic the internet gateway's edge route table sends
   * through their zone's endpoint: only there do the replies of inspected egress come back inspected.
   */
  readonly returnInspectedSubnets: ec2.ISubnet[];
  /** The internet gateway of the VPC, when known. */
  readonly internetGatewayId?: string;
  /** @default UninspectedEgress.deny() */
  readonly uninspectedEgress?: UninspectedEgress;
}

/** Subnets of one kind whose egress is checked. */
export interface EgressSource {
  /** What they are, for messages: 'protected subnet', 'application subnet'. */
  readonly kind: string;
  readonly subnets: ec2.ISubnet[];
}

/** One path found by the check. */
export interface EgressFinding {
  /** True for a path that skips inspection; false for one synth time cannot see. */
  readonly bypass: boolean;
  readonly message: string;
}

const OPT_OUT = "or, if this egress may stay uninspected, pass uninspectedEgress: UninspectedEgress.allow('<why>')";

/**
 * Check at synth time (after every route of the app exists) that no route lets the instances'
 * internet egress (IPv4 and IPv6) skip an endpoint of their zone. Bypasses are errors unless
 * `uninspectedEgress` allows them (then warnings naming each path); routes synth time cannot
 * see (imported route tables, NAT gateways or subnets) are warnings naming the resource and the fix.
 */
export function addEgressBypassValidation(scope: Construct, check: EgressBypassCheck): void {
  scope.node.addValidation({
    validate: () => {
      const findings = findEgressBypasses(scope, check);
      const allowed = check.uninspectedEgress?.allowed ?? false;
      for (const f of findings.filter((x) => !x.bypass || allowed)) {
        if (f.bypass) {
          Annotations.of(scope).addWarningV2('cdk-gwlb-inspection:uninspectedEgressAllowed',
            `uninspected egress allowed (${check.uninspectedEgress!.reason}): ${f.message}`);
        } else {
          Annotations.of(scope).addWarningV2('cdk-gwlb-inspection:egressRouteUnknown', f.message);
        }
      }
      return allowed ? [] : findings.filter((f) => f.bypass).map((f) => f.message);
    },
  });
}

interface Tree {
  readonly routes: ec2.CfnRoute[];
  readonly natGateways: ec2.CfnNatGateway[];
  readonly associations: ec2.CfnSubnetRouteTableAssociation[];
  readonly subnets: ec2.ISubnet[];
  readonly internetGateways: string[];
}

/** Every path of the source subnets' internet egress that skips inspection or cannot be seen. */
export function findEgressBypasses(scope: IConstruct, check: EgressBypassCheck): EgressFinding[] {
  const tree = readTree(scope, check);
  const findings: EgressFinding[] = [];
  const seen = new Set<string>();
  const add = (f: EgressFinding) => {
    if (!seen.has(f.message)) {
      seen.add(f.message);
      findings.push(f);
    }
  };
  const checked = new Set<ec2.ISubnet>();
  for (const source of check.sources) {
    for (const subnet of source.subnets.filter((s) => !checked.has(s))) {
      checked.add(subnet);
      checkSubnet(scope, check, tree, source.kind, subnet, add);
    }
  }
  return findings;
}

function checkSubnet(
  scope: IConstruct, check: EgressBypassCheck, tree: Tree, kind: string, subnet: ec2.ISubnet, add: (f: EgressFinding) => void,
): void {
  const az = subnetAvailabilityZone(subnet);
  const where = `${kind} ${subnet.node.path} (${describeAvailabilityZone(scope, az)})`;
  const tables = routeTablesOf(tree, subnet);
  if (tables.length === 0) {
    add({
      bypass: false,
      message: `${where}: its route table is unknown, so synth time cannot tell whether its internet egress is inspected; `
        + 'import the subnet with its routeTableId (Vpc.fromVpcAttributes <type>SubnetRouteTableIds, or Vpc.fromLookup())',
    });
    return;
  }
  if (tables.length > 1) {
    add({
      bypass: true,
      message: `${where} is associated with ${tables.length} route tables (${tables.map((t) => describeId(scope, t)).join(', ')}): `
        + 'a subnet has one route table association; remove the extra CfnSubnetRouteTableAssociation',
    });
  }
  for (const table of tables) {
    warnIfTableUnseen(scope, tree, subnet, table, where, add);
    for (const route of routesOf(tree, table)) {
      checkRoute(scope, check, tree, subnet, az, where, route, add);
    }
  }
}

function checkRoute(
  scope: IConstruct, check: EgressBypassCheck, tree: Tree, subnet: ec2.ISubnet, az: string | undefined, where: string,
  route: ec2.CfnRoute, add: (f: EgressFinding) => void,
): void {
  const what = `route ${route.node.path} (${destinationOf(route)})`;
  const defaultRoute = isDefault(route);
  if (route.egressOnlyInternetGatewayId !== undefined) {
    add({
      bypass: true,
      message: `${where}: ${what} goes to egress-only internet gateway ${describeId(scope, route.egressOnlyInternetGatewayId)} `
        + 'without crossing a Gateway Load Balancer endpoint, so the instances\' IPv6 egress is not inspected; remove the route '
        + `and give the instances no IPv6 address, ${OPT_OUT}`,
    });
  } else if (route.gatewayId !== undefined && isInternetGateway(tree, route.gatewayId)) {
    add({
      bypass: true,
      message: `${where}: ${what} goes straight to internet gateway ${describeId(scope, route.gatewayId)}, so this traffic skips `
        + 'inspection; put the instances in subnets whose default route is a NAT gateway in an inspected (protected) subnet '
        + `of the same zone, or route this subnet through its zone's endpoint, ${OPT_OUT}`,
    });
  } else if (route.natGatewayId !== undefined) {
    checkNatGateway(scope, check, tree, az, where, what, route.natGatewayId, add);
  } else if (route.vpcEndpointId !== undefined) {
    checkEndpointRoute(scope, check, subnet, az, where, what, route, add);
  } else if (defaultRoute && otherTarget(scope, route) !== undefined) {
    add({
      bypass: false,
      message: `${where}: ${what} leaves the VPC through ${otherTarget(scope, route)}, which this library cannot follow: make sure `
        + 'that path is inspected, or route the subnet through its zone\'s Gateway Load Balancer endpoint',
    });
  } else if (defaultRoute && route.gatewayId !== undefined) {
    add({
      bypass: false,
      message: `${where}: ${what} goes to gateway ${describeId(scope, route.gatewayId)}, which is not the VPC's internet gateway `
        + 'as far as synth time can tell: make sure that path is inspected',
    });
  }
}

/** A route to a NAT gateway: the NAT gateway must be in the same zone, in a subnet routed through that zone's endpoint both ways. */
function checkNatGateway(
  scope: IConstruct, check: EgressBypassCheck, tree: Tree, az: string | undefined, where: string, what: string,
  natGatewayId: string, add: (f: EgressFinding) => void,
): void {
  const nat = tree.natGateways.find((n) => n.ref === natGatewayId);
  if (nat !== undefined && (nat.availabilityMode?.toLowerCase() === 'regional' || (nat.subnetId === undefined && nat.vpcId !== undefined))) {
    add({
      bypass: true,
      message: `${where}: ${what} goes to regional NAT gateway ${nat.node.path}, which has no subnet whose route table could send `
        + 'its traffic through the endpoint of the zone, so the egress reaches the internet gateway uninspected; use zonal NAT '
        + `gateways in the protected subnets (ec2.NatProvider.gateway() with natGatewaySubnets), ${OPT_OUT}`,
    });
    return;
  }
  if (nat !== undefined && nat.connectivityType?.toLowerCase() === 'private') {
    add({
      bypass: false,
      message: `${where}: ${what} goes to private NAT gateway ${nat.node.path}, which forwards to whatever its subnet routes to `
        + '(a transit gateway, a virtual private gateway): make sure that path is inspected',
    });
    return;
  }
  const natSubnet = nat === undefined ? undefined : tree.subnets.find((s) => s.subnetId === nat.subnetId);
  if (nat === undefined || natSubnet === undefined) {
    const which = nat === undefined ? `NAT gateway ${describeId(scope, natGatewayId)} is not defined in this app`
      : `the subnet of NAT gateway ${nat.node.path} is not known to this app`;
    add({
      bypass: false,
      message: `${where}: ${what} goes to a NAT gateway, but ${which}, so synth time cannot tell whether it sends traffic through `
        + 'an endpoint: make sure the NAT gateway is in a subnet whose default route is the Gateway Load Balancer endpoint of '
        + 'the same zone and whose CIDR the internet gateway\'s edge route table sends to that endpoint',
    });
    return;
  }
  const natAz = subnetAvailabilityZone(natSubnet);
  const natWhere = `NAT gateway ${nat.node.path} in subnet ${natSubnet.node.path} (${describeAvailabilityZone(scope, natAz)})`;
  if (sameAvailabilityZone(scope, az, natAz) === false) {
    add({
      bypass: true,
      message: `${where}: ${what} goes to ${natWhere}, another availability zone, so the egress does not cross the endpoint of `
        + `its own zone; give each zone its own NAT gateway in its inspected subnet, ${OPT_OUT}`,
    });
  }
  const natEndpoint = endpointInZone(scope, check, natAz);
  let routedThroughEndpoint = false;
  for (const table of routeTablesOf(tree, natSubnet)) {
    warnIfTableUnseen(scope, tree, natSubnet, table, `${natWhere} (reached by ${what} from ${where})`, add);
    for (const route of routesOf(tree, table).filter((r) => r.destinationIpv6CidrBlock === undefined)) {
      const natWhat = `route ${route.node.path} (${destinationOf(route)})`;
      if (route.gatewayId !== undefined && isInternetGateway(tree, route.gatewayId)) {
        add({
          bypass: true,
          message: `${where}: ${what} goes to ${natWhere}, whose ${natWhat} goes straight to internet gateway `
            + `${describeId(scope, route.gatewayId)}: the instances' egress skips inspection. Put the NAT gateways in the `
            + 'subnets routed through the endpoints (for an ec2.Vpc: natGatewaySubnets: { subnetGroupName: \'<the protected '
            + `subnet group>\' }; CDK's default is the first public subnet group), ${OPT_OUT}`,
        });
      } else if (route.vpcEndpointId !== undefined && isDefault(route)) {
        routedThroughEndpoint = true;
        if (natEndpoint !== undefined && route.vpcEndpointId !== natEndpoint.vpcEndpointId) {
          add({
            bypass: true,
            message: `${where}: ${what} goes to ${natWhere}, whose ${natWhat} goes to an endpoint that is not `
              + `${natEndpoint.node.path}, the endpoint of its zone; route each subnet through its own zone's endpoint`,
          });
        }
      }
    }
  }
  if (routedThroughEndpoint && !check.returnInspectedSubnets.includes(natSubnet)) {
    add({
      bypass: true,
      message: `${where}: ${what} goes to ${natWhere}, whose egress crosses an endpoint, but the internet gateway's edge route `
        + 'table does not send the subnet\'s CIDR back through it, so the replies skip inspection (and the appliance sees one '
        + `direction only); add the subnet to the protected subnets, ${OPT_OUT}`,
    });
  }
}

function checkEndpointRoute(
  scope: IConstruct, check: EgressBypassCheck, subnet: ec2.ISubnet, az: string | undefined, where: string, what: string,
  route: ec2.CfnRoute, add: (f: EgressFinding) => void,
): void {
  const target = check.endpoints.find((e) => e.vpcEndpointId === route.vpcEndpointId);
  if (target === undefined) {
    if (isDefault(route)) {
      add({
        bypass: false,
        message: `${where}: ${what} goes to VPC endpoint ${describeId(scope, route.vpcEndpointId!)}, which is not one of this `
          + 'construct\'s Gateway Load Balancer endpoints: make sure that endpoint inspects the traffic',
      });
    }
    return;
  }
  const endpointAz = target.availabilityZoneIfKnown;
  if (sameAvailabilityZone(scope, az, endpointAz) === false) {
    add({
      bypass: true,
      message: `${where}: ${what} goes to endpoint ${target.node.path} in ${describeAvailabilityZone(scope, endpointAz)}, another `
        + 'availability zone: the replies come back through the endpoint of the subnet\'s own zone and are dropped; route the '
        + 'subnet through the endpoint of its own zone',
    });
  } else if (isDefault(route) && !check.returnInspectedSubnets.includes(subnet)) {
    add({
      bypass: true,
      message: `${where}: ${what} goes to endpoint ${target.node.path}, but the internet gateway's edge route table does not `
        + 'send the subnet\'s CIDR back through it, so the replies skip inspection; add the subnet to the protected subnets, '
        + OPT_OUT,
    });
  }
}

/** Warn when a table's routes that exist outside this app cannot be seen (an imported subnet whose default route the app does not set). */
function warnIfTableUnseen(
  scope: IConstruct, tree: Tree, subnet: ec2.ISubnet, table: string, where: string, add: (f: EgressFinding) => void,
): void {
  if (subnet instanceof ec2.Subnet || tree.routes.some((r) => r.routeTableId === table && r.destinationCidrBlock === '0.0.0.0/0')) {
    return;
  }
  add({
    bypass: false,
    message: `${where}: the routes already in its route table ${describeId(scope, table)} are not visible at synth time (an imported `
      + 'subnet): if it has a route to the internet gateway, to an egress-only internet gateway, or to a NAT gateway in a subnet '
      + 'that is not routed through the zone\'s endpoint, that egress skips inspection. Check it in the account, send its '
      + '0.0.0.0/0 (and ::/0) to a NAT gateway in an inspected subnet of the same zone or to the zone\'s endpoint, then '
      + 'acknowledge this warning (Annotations.of(scope).acknowledgeWarning(\'cdk-gwlb-inspection:egressRouteUnknown\'))',
  });
}

function readTree(scope: IConstruct, check: EgressBypassCheck): Tree {
  const all = scope.node.root.node.findAll();
  const vpcSubnets = [...check.vpc.publicSubnets, ...check.vpc.privateSubnets, ...check.vpc.isolatedSubnets];
  const treeSubnets = all.filter((c): c is ec2.Subnet => c instanceof ec2.Subnet);
  const igws = all.filter((c): c is ec2.CfnInternetGateway => c instanceof ec2.CfnInternetGateway).map((g) => g.ref);
  const known = [check.internetGatewayId, check.vpc instanceof ec2.Vpc ? check.vpc.internetGatewayId : undefined];
  return {
    routes: all.filter((c): c is ec2.CfnRoute => c instanceof ec2.CfnRoute),
    natGateways: all.filter((c): c is ec2.CfnNatGateway => c instanceof ec2.CfnNatGateway),
    associations: all.filter((c): c is ec2.CfnSubnetRouteTableAssociation => c instanceof ec2.CfnSubnetRouteTableAssociation),
    subnets: unique([...vpcSubnets, ...treeSubnets, ...check.sources.flatMap((x) => x.subnets)]),
    internetGateways: [...igws, ...known.filter((g): g is string => g !== undefined)],
  };
}

/** The route tables a subnet is associated with: its CDK associations, else its own table. */
function routeTablesOf(tree: Tree, subnet: ec2.ISubnet): string[] {
  const associated = tree.associations.filter((a) => a.subnetId === subnet.subnetId).map((a) => a.routeTableId);
  if (associated.length > 0) {
    return [...new Set(associated)];
  }
  const own = subnet.routeTable?.routeTableId;
  return own === undefined ? [] : [own];
}

function routesOf(tree: Tree, table: string): ec2.CfnRoute[] {
  return tree.routes.filter((r) => r.routeTableId === table);
}

function isInternetGateway(tree: Tree, gatewayId: string): boolean {
  return tree.internetGateways.includes(gatewayId) || (isConcrete(gatewayId) && gatewayId.startsWith('igw-'));
}

function endpointInZone(scope: IConstruct, check: EgressBypassCheck, az: string | undefined): GatewayLoadBalancerEndpoint | undefined {
  return check.endpoints.find((e) => sameAvailabilityZone(scope, e.availabilityZoneIfKnown, az) === true);
}

function isDefault(route: ec2.CfnRoute): boolean {
  return route.destinationCidrBlock === '0.0.0.0/0' || route.destinationIpv6CidrBlock === '::/0';
}

function destinationOf(route: ec2.CfnRoute): string {
  if (route.destinationIpv6CidrBlock !== undefined) {
    return `IPv6 ${isConcrete(route.destinationIpv6CidrBlock) ? route.destinationIpv6CidrBlock : 'CIDR resolved at deploy time'}`;
  }
  if (route.destinationCidrBlock !== undefined) {
    return `IPv4 ${isConcrete(route.destinationCidrBlock) ? route.destinationCidrBlock : 'CIDR resolved at deploy time'}`;
  }
  return `prefix list ${route.destinationPrefixListId ?? '(unknown)'}`;
}

function otherTarget(scope: IConstruct, route: ec2.CfnRoute): string | undefined {
  const targets: Array<[string, string | undefined]> = [
    ['a transit gateway', route.transitGatewayId], ['a VPC peering connection', route.vpcPeeringConnectionId],
    ['a network interface', route.networkInterfaceId], ['an instance', route.instanceId],
    ['a carrier gateway', route.carrierGatewayId], ['a local gateway', route.localGatewayId],
    ['a Cloud WAN core network', route.coreNetworkArn],
  ];
  const found = targets.find(([, id]) => id !== undefined);
  return found === undefined ? undefined : `${found[0]} (${describeId(scope, found[1]!)})`;
}

/** An id for messages: the id itself, or the CloudFormation expression of a token (`{"Ref":"..."}`). */
function describeId(scope: IConstruct, id: string): string {
  return isConcrete(id) ? id : JSON.stringify(Stack.of(scope).resolve(id));
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
