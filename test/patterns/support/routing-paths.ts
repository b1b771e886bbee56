/**
 * Checks of the per-zone inbound and return path in a synthesized application template,
 * read from the template alone (subnets by their `aws-cdk:subnet-name` tag).
 */

type Resources = Record<string, any>;

interface TierSubnet {
  readonly logicalId: string;
  readonly zoneKey: string;
  readonly cidr: string;
  /** The subnet's `Ipv6CidrBlock` property, when it has one. */
  readonly ipv6Cidr?: unknown;
  readonly assignIpv6: boolean;
  readonly routeTableId: string;
}

const ref = (value: any): string | undefined => (value && typeof value === 'object' ? value.Ref : undefined);

function tierSubnets(resources: Resources, tier: string): TierSubnet[] {
  const associations = Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SubnetRouteTableAssociation');
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::EC2::Subnet'
      && (r.Properties.Tags ?? []).some((t: any) => t.Key === 'aws-cdk:subnet-name' && t.Value === tier))
    .map(([logicalId, r]) => {
      const association = associations.find((a) => ref(a.Properties.SubnetId) === logicalId);
      if (!association) throw new Error(`subnet ${logicalId} has no route table association`);
      return {
        logicalId,
        zoneKey: JSON.stringify(r.Properties.AvailabilityZone),
        cidr: r.Properties.CidrBlock,
        ipv6Cidr: r.Properties.Ipv6CidrBlock,
        assignIpv6: r.Properties.AssignIpv6AddressOnCreation === true,
        routeTableId: ref(association.Properties.RouteTableId)!,
      };
    });
}

function routesOf(resources: Resources, routeTableId: string): any[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::EC2::Route' && ref(r.Properties.RouteTableId) === routeTableId)
    .map((r) => r.Properties);
}

/** What {@link checkPerZonePaths} verified, per zone. */
export interface ZonePath {
  readonly zone: string;
  readonly endpoint: string;
  readonly loadBalancerSubnet: string;
  readonly natGateway?: string;
  /** Whether the IPv6 path was checked too. */
  readonly ipv6: boolean;
}

/** Options of {@link checkPerZonePaths}. */
export interface PathCheckOptions {
  /**
   * Also check the IPv6 path (dual-stack): see {@link checkIpv6Zone}. Without it, the load
   * balancer subnets must have no IPv6 route to the internet gateway (nothing bypasses inspection).
   */
  readonly ipv6?: boolean;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether a route destination is the subnet's IPv6 CIDR block: the subnet's own `Ipv6CidrBlock`
 * expression, or its first `Ipv6CidrBlocks` attribute.
 */
function isSubnetIpv6Cidr(destination: unknown, subnet: TierSubnet): boolean {
  return (subnet.ipv6Cidr !== undefined && same(destination, subnet.ipv6Cidr))
    || same(destination, { 'Fn::Select': [0, { 'Fn::GetAtt': [subnet.logicalId, 'Ipv6CidrBlocks'] }] });
}

interface ZoneTiers {
  readonly zone: string;
  readonly lb: TierSubnet;
  readonly epSubnet: TierSubnet;
  readonly app: TierSubnet;
  readonly endpoint: string;
}

/**
 * The IPv6 path of one zone (throwing on the first violation):
 * - the endpoint is dual-stack and the endpoint and load balancer subnets have IPv6 CIDR blocks;
 * - the edge route table sends the load balancer subnet's IPv6 CIDR block to the same-zone endpoint;
 * - the load balancer subnet's only `::/0` route goes to that endpoint;
 * - the endpoint subnet's `::/0` route goes to the internet gateway;
 * - the application subnet has no IPv6 route at all (no egress-only or internet gateway) and
 *   assigns no IPv6 address to its instances.
 */
function checkIpv6Zone(resources: Resources, igw: string, edgeRoutes: any[], z: ZoneTiers): void {
  const { zone, lb, epSubnet, app, endpoint } = z;
  if (resources[endpoint].Properties.IpAddressType !== 'dualstack') {
    throw new Error(`zone ${zone}: endpoint ${endpoint} must be dualstack, got ${resources[endpoint].Properties.IpAddressType}`);
  }
  for (const subnet of [lb, epSubnet]) {
    if (subnet.ipv6Cidr === undefined) throw new Error(`zone ${zone}: subnet ${subnet.logicalId} has no IPv6 CIDR block`);
  }
  const edge6 = edgeRoutes.filter((r) => r.DestinationIpv6CidrBlock !== undefined && isSubnetIpv6Cidr(r.DestinationIpv6CidrBlock, lb));
  if (edge6.length !== 1 || ref(edge6[0].VpcEndpointId) !== endpoint) {
    throw new Error(`zone ${zone}: IPv6 edge route for ${lb.logicalId} must target ${endpoint}, got ${JSON.stringify(edge6)}`);
  }
  const lbDefault6 = routesOf(resources, lb.routeTableId).filter((r) => r.DestinationIpv6CidrBlock === '::/0');
  if (lbDefault6.length !== 1 || ref(lbDefault6[0].VpcEndpointId) !== endpoint || lbDefault6[0].GatewayId !== undefined) {
    throw new Error(`zone ${zone}: load balancer subnet ::/0 route must target ${endpoint} only, got ${JSON.stringify(lbDefault6)}`);
  }
  const epDefault6 = routesOf(resources, epSubnet.routeTableId).filter((r) => r.DestinationIpv6CidrBlock === '::/0');
  if (epDefault6.length !== 1 || ref(epDefault6[0].GatewayId) !== igw) {
    throw new Error(`zone ${zone}: endpoint subnet ::/0 route must target the internet gateway, got ${JSON.stringify(epDefault6)}`);
  }
  const app6 = routesOf(resources, app.routeTableId).filter((r) => r.DestinationIpv6CidrBlock !== undefined);
  if (app6.length > 0) {
    throw new Error(`zone ${zone}: application subnet ${app.logicalId} must have no IPv6 route, got ${JSON.stringify(app6)}`);
  }
  if (app.assignIpv6) {
    throw new Error(`zone ${zone}: application subnet ${app.logicalId} must not assign IPv6 addresses to its instances`);
  }
}

/**
 * For every zone that has a load balancer subnet, check (throwing on the first violation):
 * - the internet gateway's edge route table sends the load balancer subnet's CIDR to the
 *   endpoint in the SAME zone;
 * - the load balancer subnet's only default route goes to that same endpoint;
 * - the endpoint subnet's default route goes to the internet gateway;
 * - the application subnet has no route to the internet gateway, and its default route (if any)
 *   is the NAT gateway in the same zone's load balancer subnet;
 * - with `ipv6`, the IPv6 path of the zone as well ({@link checkIpv6Zone}).
 */
export function checkPerZonePaths(template: { Resources: Resources }, options: PathCheckOptions = {}): ZonePath[] {
  const resources = template.Resources;
  const igws = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::EC2::InternetGateway');
  if (igws.length !== 1) throw new Error(`expected one internet gateway, found ${igws.length}`);
  const igw = igws[0];
  const edgeAssociations = Object.values(resources)
    .filter((r) => r.Type === 'AWS::EC2::GatewayRouteTableAssociation' && ref(r.Properties.GatewayId) === igw);
  if (edgeAssociations.length !== 1) throw new Error(`expected one edge association, found ${edgeAssociations.length}`);
  const edgeTable = ref(edgeAssociations[0].Properties.RouteTableId)!;
  const edgeRoutes = routesOf(resources, edgeTable);

  const endpointSubnets = tierSubnets(resources, 'Endpoint');
  const lbSubnets = tierSubnets(resources, 'LoadBalancer');
  const appSubnets = tierSubnets(resources, 'Application');
  const endpoints = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::EC2::VPCEndpoint'
    && r.Properties.VpcEndpointType === 'GatewayLoadBalancer');
  if (lbSubnets.length === 0) throw new Error('no LoadBalancer subnets');

  return lbSubnets.map((lb) => {
    const zone = lb.zoneKey;
    const inZone = (subnets: TierSubnet[], tier: string) => {
      const found = subnets.filter((s) => s.zoneKey === zone);
      if (found.length !== 1) throw new Error(`zone ${zone}: expected one ${tier} subnet, found ${found.length}`);
      return found[0];
    };
    const epSubnet = inZone(endpointSubnets, 'Endpoint');
    const endpointIds = endpoints.filter(([, r]) => r.Properties.SubnetIds.length === 1
      && ref(r.Properties.SubnetIds[0]) === epSubnet.logicalId).map(([id]) => id);
    if (endpointIds.length !== 1) throw new Error(`zone ${zone}: expected one endpoint in ${epSubnet.logicalId}, found ${endpointIds.length}`);
    const endpoint = endpointIds[0];

    const edge = edgeRoutes.filter((r) => r.DestinationCidrBlock === lb.cidr);
    if (edge.length !== 1 || ref(edge[0].VpcEndpointId) !== endpoint) {
      throw new Error(`zone ${zone}: edge route for ${lb.cidr} must target ${endpoint}, got ${JSON.stringify(edge)}`);
    }
    const lbDefaults = routesOf(resources, lb.routeTableId).filter((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    if (lbDefaults.length !== 1 || ref(lbDefaults[0].VpcEndpointId) !== endpoint || lbDefaults[0].GatewayId !== undefined) {
      throw new Error(`zone ${zone}: load balancer subnet default route must target ${endpoint} only, got ${JSON.stringify(lbDefaults)}`);
    }
    const epDefaults = routesOf(resources, epSubnet.routeTableId).filter((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    if (epDefaults.length !== 1 || ref(epDefaults[0].GatewayId) !== igw) {
      throw new Error(`zone ${zone}: endpoint subnet default route must target the internet gateway, got ${JSON.stringify(epDefaults)}`);
    }
    const app = inZone(appSubnets, 'Application');
    const appRoutes = routesOf(resources, app.routeTableId);
    if (appRoutes.some((r) => ref(r.GatewayId) === igw)) {
      throw new Error(`zone ${zone}: application subnet ${app.logicalId} has a route to the internet gateway`);
    }
    const appDefault = appRoutes.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    let natGateway: string | undefined;
    if (appDefault) {
      natGateway = ref(appDefault.NatGatewayId);
      if (!natGateway || ref(resources[natGateway]?.Properties.SubnetId) !== lb.logicalId) {
        throw new Error(`zone ${zone}: application default route must be the NAT gateway in ${lb.logicalId}, got ${JSON.stringify(appDefault)}`);
      }
    }
    if (options.ipv6) {
      checkIpv6Zone(resources, igw, edgeRoutes, { zone, lb, epSubnet, app, endpoint });
    } else {
      const lb6 = routesOf(resources, lb.routeTableId).filter((r) => r.DestinationIpv6CidrBlock !== undefined && ref(r.GatewayId) === igw);
      if (lb6.length > 0) {
        throw new Error(`zone ${zone}: load balancer subnet has an uninspected IPv6 route to the internet gateway: ${JSON.stringify(lb6)}`);
      }
    }
    return { zone, endpoint, loadBalancerSubnet: lb.logicalId, natGateway, ipv6: options.ipv6 === true };
  });
}
