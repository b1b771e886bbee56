/**
 * Checks of the per-zone inbound and return path in a synthesized application template,
 * read from the template alone (subnets by their `aws-cdk:subnet-name` tag).
 */

type Resources = Record<string, any>;

interface TierSubnet {
  readonly logicalId: string;
  readonly zoneKey: string;
  readonly cidr: string;
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
}

/**
 * For every zone that has a load balancer subnet, check (throwing on the first violation):
 * - the internet gateway's edge route table sends the load balancer subnet's CIDR to the
 *   endpoint in the SAME zone;
 * - the load balancer subnet's only default route goes to that same endpoint;
 * - the endpoint subnet's default route goes to the internet gateway;
 * - the application subnet has no route to the internet gateway, and its default route (if any)
 *   is the NAT gateway in the same zone's load balancer subnet.
 */
export function checkPerZonePaths(template: { Resources: Resources }): ZonePath[] {
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
    return { zone, endpoint, loadBalancerSubnet: lb.logicalId, natGateway };
  });
}
