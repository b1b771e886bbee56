import { Resource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { GatewayLoadBalancerEndpoint } from './gateway-load-balancer-endpoint';
import {
  azMismatch, describeAvailabilityZone, differentVpcs, fail, isConcrete, subnetAvailabilityZone, subnetIpv4Cidr, subnetIpv6Cidr, validateSubnetInVpc,
} from './validation';

/** Properties of an {@link IngressRouteTable}. */
export interface IngressRouteTableProps {
  /** The VPC whose internet gateway the table is associated with. */
  readonly vpc: ec2.IVpc;

  /**
   * The id of the VPC's internet gateway (`igw-...`).
   *
   * @default - `vpc.internetGatewayId` when `vpc` is an `ec2.Vpc` with an internet gateway;
   * required for imported VPCs
   */
  readonly internetGatewayId?: string;
}

/** Options of {@link IngressRouteTable.addSubnetIpv6Route}. */
export interface IngressIpv6RouteOptions {
  /**
   * The IPv6 CIDR block of the subnet.
   * @default - the first IPv6 CIDR block of a subnet defined in this app
   * (`Fn::GetAtt <subnet>.Ipv6CidrBlocks`); required for imported subnets
   */
  readonly ipv6CidrBlock?: string;
}

/**
 * A gateway route table associated with the VPC's internet gateway (an "edge association",
 * `AWS::EC2::GatewayRouteTableAssociation`): inbound internet traffic for a subnet is routed
 * to the Gateway Load Balancer endpoint in that subnet's availability zone.
 */
export class IngressRouteTable extends Resource {
  /** @attribute */
  public readonly routeTableId: string;
  public readonly internetGatewayId: string;
  public readonly vpc: ec2.IVpc;

  private readonly routedSubnets = new Map<ec2.ISubnet, string>();
  private readonly routedCidrs = new Map<string, string>();
  private readonly routedIpv6Subnets = new Map<ec2.ISubnet, string>();
  private readonly routedIpv6Cidrs = new Map<string, string>();

  constructor(scope: Construct, id: string, props: IngressRouteTableProps) {
    super(scope, id);
    this.vpc = props.vpc;
    const igw = props.internetGatewayId ?? (props.vpc instanceof ec2.Vpc ? props.vpc.internetGatewayId : undefined);
    if (igw === undefined) {
      fail(this, 'internetGatewayId is required: the VPC has no internet gateway known to CDK '
        + '(an imported VPC, or a Vpc without public subnets); pass internetGatewayId');
    }
    if (isConcrete(igw) && !/^igw-[0-9a-f]+$/.test(igw)) {
      fail(this, `internetGatewayId must look like igw-<hex>, got '${igw}'`);
    }
    this.internetGatewayId = igw;

    const table = new ec2.CfnRouteTable(this, 'Resource', { vpcId: props.vpc.vpcId });
    this.routeTableId = table.ref;
    const association = new ec2.CfnGatewayRouteTableAssociation(this, 'GatewayAssociation', {
      gatewayId: igw,
      routeTableId: this.routeTableId,
    });
    // The internet gateway must be attached to the VPC before it can be associated.
    const attachment = props.vpc instanceof ec2.Vpc ? props.vpc.node.tryFindChild('VPCGW') : undefined;
    association.node.addDependency(attachment ?? props.vpc.internetConnectivityEstablished);
  }

  /**
   * Route the subnet's IPv4 CIDR to the endpoint. The endpoint must be in the subnet's
   * availability zone, and each subnet can be routed once.
   */
  public addSubnetRoute(id: string, subnet: ec2.ISubnet, endpoint: GatewayLoadBalancerEndpoint): ec2.CfnRoute {
    this.validateSubnetAndEndpoint(subnet, endpoint);
    const cidr = subnetIpv4Cidr(this, subnet);
    this.validateNotRouted(subnet, cidr, this.routedSubnets, this.routedCidrs);
    const route = new ec2.CfnRoute(this, id, {
      routeTableId: this.routeTableId,
      destinationCidrBlock: cidr,
      vpcEndpointId: endpoint.vpcEndpointId,
    });
    remember(subnet, cidr, route, this.routedSubnets, this.routedCidrs);
    return route;
  }

  /**
   * Route the subnet's IPv6 CIDR block (`DestinationIpv6CidrBlock`) to the endpoint, the IPv6
   * counterpart of {@link addSubnetRoute}. The endpoint must be dual-stack and in the subnet's
   * availability zone; each subnet can be routed once.
   */
  public addSubnetIpv6Route(
    id: string, subnet: ec2.ISubnet, endpoint: GatewayLoadBalancerEndpoint, options: IngressIpv6RouteOptions = {},
  ): ec2.CfnRoute {
    this.validateSubnetAndEndpoint(subnet, endpoint);
    if (!endpoint.supportsIpv6) {
      fail(this, `endpoint ${endpoint.node.path} is IPv4-only (ipAddressType IPV4) and cannot carry the IPv6 traffic of `
        + `subnet ${subnet.node.path}: create the endpoint with ipAddressType DUAL_STACK`);
    }
    const cidr = subnetIpv6Cidr(this, subnet, options.ipv6CidrBlock);
    this.validateNotRouted(subnet, cidr, this.routedIpv6Subnets, this.routedIpv6Cidrs);
    const route = new ec2.CfnRoute(this, id, {
      routeTableId: this.routeTableId,
      destinationIpv6CidrBlock: cidr,
      vpcEndpointId: endpoint.vpcEndpointId,
    });
    remember(subnet, cidr, route, this.routedIpv6Subnets, this.routedIpv6Cidrs);
    return route;
  }

  private validateSubnetAndEndpoint(subnet: ec2.ISubnet, endpoint: GatewayLoadBalancerEndpoint): void {
    validateSubnetInVpc(this, 'subnet', subnet, this.vpc);
    if (differentVpcs(endpoint.vpc, this.vpc)) {
      fail(this, `endpoint ${endpoint.node.path} is in VPC ${endpoint.vpc.node.path}, not in ${this.vpc.node.path}`);
    }
    const subnetAz = subnetAvailabilityZone(subnet);
    const endpointAz = endpoint.availabilityZoneIfKnown;
    if (azMismatch(this, subnetAz, endpointAz)) {
      fail(this, `endpoint ${endpoint.node.path} is in ${describeAvailabilityZone(this, endpointAz)} but subnet ${subnet.node.path} `
        + `is in ${describeAvailabilityZone(this, subnetAz)}: `
        + 'route a subnet to the endpoint in its own availability zone, or replies leave through another zone and are dropped');
    }
  }

  private validateNotRouted(subnet: ec2.ISubnet, cidr: string, bySubnet: Map<ec2.ISubnet, string>, byCidr: Map<string, string>): void {
    const previous = bySubnet.get(subnet) ?? (isConcrete(cidr) ? byCidr.get(cidr) : undefined);
    if (previous !== undefined) {
      const shown = isConcrete(cidr) ? cidr : 'its IPv6 CIDR block';
      fail(this, `subnet ${subnet.node.path} (${shown}) already has a route in this ingress route table (${previous}): `
        + 'route each subnet once');
    }
  }
}

function remember(
  subnet: ec2.ISubnet, cidr: string, route: ec2.CfnRoute, bySubnet: Map<ec2.ISubnet, string>, byCidr: Map<string, string>,
): void {
  bySubnet.set(subnet, route.node.path);
  if (isConcrete(cidr)) {
    byCidr.set(cidr, route.node.path);
  }
}
