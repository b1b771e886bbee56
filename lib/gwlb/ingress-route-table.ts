import { Resource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { GatewayLoadBalancerEndpoint } from './gateway-load-balancer-endpoint';
import {
  azMismatch, differentVpcs, fail, isConcrete, subnetAvailabilityZone, subnetIpv4Cidr, validateSubnetInVpc,
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
    validateSubnetInVpc(this, 'subnet', subnet, this.vpc);
    if (differentVpcs(endpoint.vpc, this.vpc)) {
      fail(this, `endpoint ${endpoint.node.path} is in VPC ${endpoint.vpc.node.path}, not in ${this.vpc.node.path}`);
    }
    const cidr = subnetIpv4Cidr(this, subnet);
    const previous = this.routedSubnets.get(subnet) ?? (isConcrete(cidr) ? this.routedCidrs.get(cidr) : undefined);
    if (previous !== undefined) {
      fail(this, `subnet ${subnet.node.path} (${cidr}) already has a route in this ingress route table (${previous}): `
        + 'route each subnet once');
    }
    const subnetAz = subnetAvailabilityZone(subnet);
    const endpointAz = endpoint.availabilityZoneIfKnown;
    if (azMismatch(subnetAz, endpointAz)) {
      fail(this, `endpoint ${endpoint.node.path} is in ${endpointAz} but subnet ${subnet.node.path} is in ${subnetAz}: `
        + 'route a subnet to the endpoint in its own availability zone, or replies leave through another zone and are dropped');
    }
    const route = new ec2.CfnRoute(this, id, {
      routeTableId: this.routeTableId,
      destinationCidrBlock: cidr,
      vpcEndpointId: endpoint.vpcEndpointId,
    });
    this.routedSubnets.set(subnet, route.node.path);
    if (isConcrete(cidr)) {
      this.routedCidrs.set(cidr, route.node.path);
    }
    return route;
  }
}
