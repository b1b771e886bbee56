import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import {
  EndpointRoutes, GatewayLoadBalancerEndpoint, IGatewayLoadBalancerEndpointService,
} from '../../gwlb';
import { validateIpv4Cidr } from '../../gwlb/validation';
import { ITransitGateway, TransitGateway, TransitGatewayRouteTable, TransitGatewayVpcAttachment } from '../../tgw';
import { CidrRelation, cidrRelation } from '../../validation/cidr';
import { APPLIANCE_SUBNET_GROUP } from '../inspection-vpc-layout';
import { InspectionVpc, InspectionVpcProps } from '../inspection-vpc';
import { fail, showAz } from '../validation';
import {
  CENTRAL_ENDPOINT_SUBNET_GROUP, CENTRAL_NAT_SUBNET_GROUP, createCentralInspectionNetwork, TGW_ATTACHMENT_SUBNET_GROUP,
} from './central-inspection-network';
import { CentralizedEgress, EastWestTraffic } from './centralized-options';
import { InspectedSpoke, InspectedSpokeOptions } from './inspected-spoke';

/** Properties of a {@link CentralizedInspection}. */
export interface CentralizedInspectionProps {
  /**
   * The Transit Gateway. An existing one (`TransitGateway.fromTransitGatewayId()`) must have
   * default route table association and propagation turned off.
   * @default - a new Transit Gateway with default association and propagation off
   */
  readonly transitGateway?: ITransitGateway;

  /**
   * The Gateway Load Balancer endpoint service of a separate security VPC: an `InspectionVpc`,
   * its `endpointService`, or a service of another account from
   * `GatewayLoadBalancerEndpointService.fromServiceName()`. Not together with `inspectionVpcProps`.
   * @default - the Gateway Load Balancer and the appliances are built in the inspection VPC itself
   */
  readonly inspectionService?: IGatewayLoadBalancerEndpointService;

  /**
   * The appliances, when they live in the inspection VPC (no `inspectionService`). `existingVpc`,
   * `cidr`, `maxAzs`, `natGateways` and `applianceSubnets` are chosen by this construct.
   * @default - InspectionVpc defaults: two appliances running the bundled agent
   */
  readonly inspectionVpcProps?: InspectionVpcProps;

  /**
   * The CIDR block of the new inspection VPC; it must not overlap any spoke.
   * @default '100.64.0.0/16'
   */
  readonly cidr?: string;

  /**
   * The number of availability zones of the inspection VPC, at least 2. A spoke in a zone the
   * inspection VPC does not have is inspected in another zone (the Transit Gateway picks one).
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * How inspected traffic reaches the internet.
   * @default CentralizedEgress.NAT_GATEWAYS
   */
  readonly egress?: CentralizedEgress;

  /**
   * How traffic between spokes travels.
   * @default EastWestTraffic.INSPECTED
   */
  readonly eastWest?: EastWestTraffic;

  /**
   * Summary CIDR blocks of the spokes (such as `10.0.0.0/8`), routed once in the inspection VPC
   * (endpoint subnets to the Transit Gateway, NAT subnets to the endpoint of their zone). A spoke
   * outside them gets routes of its own.
   * @default - each spoke adds routes for its own CIDR blocks
   */
  readonly spokeSummaryCidrs?: string[];
}

/**
 * Centralized inspection through a Transit Gateway: every attached spoke VPC's internet egress
 * and spoke-to-spoke traffic crosses a Gateway Load Balancer endpoint of one inspection VPC, in
 * the same availability zone both ways.
 *
 * - Transit Gateway (new, or yours) with two route tables: the spokes' table sends `0.0.0.0/0` to
 *   the inspection VPC's attachment; the inspection table has each spoke's CIDR (propagated).
 * - The inspection VPC's attachment is in appliance mode, so a flow and its reply use one zone.
 * - Per zone: attachment subnet `0.0.0.0/0` -> that zone's endpoint; endpoint subnet spoke CIDRs ->
 *   Transit Gateway and `0.0.0.0/0` -> that zone's NAT gateway; NAT subnet spoke CIDRs -> that
 *   zone's endpoint and `0.0.0.0/0` -> internet gateway.
 *
 * Attach spokes with `addSpoke()` or `new InspectedSpoke()`.
 */
export class CentralizedInspection extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly transitGateway: ITransitGateway;
  /** The inspection VPC's attachment (appliance mode). */
  public readonly inspectionAttachment: TransitGatewayVpcAttachment;
  /** The route table of the spokes: `0.0.0.0/0` -> inspection attachment. */
  public readonly spokeRouteTable: TransitGatewayRouteTable;
  /** The route table of the inspection attachment: each spoke's CIDR -> its attachment. */
  public readonly inspectionRouteTable: TransitGatewayRouteTable;
  /** The Gateway Load Balancer endpoint service used. */
  public readonly inspectionService: IGatewayLoadBalancerEndpointService;
  /** The appliances, when they are in this VPC. */
  public readonly appliances?: InspectionVpc;
  /** One endpoint per availability zone, in zone order. */
  public readonly endpoints: GatewayLoadBalancerEndpoint[];
  public readonly attachmentSubnets: ec2.ISubnet[];
  public readonly endpointSubnets: ec2.ISubnet[];
  /** The NAT subnets (empty without egress). */
  public readonly natSubnets: ec2.ISubnet[];
  public readonly egress: CentralizedEgress;
  public readonly eastWest: EastWestTraffic;
  /** The spokes attached so far. */
  public readonly spokes: InspectedSpoke[] = [];

  private readonly summaryCidrs: string[];
  private readonly endpointsByZone = new Map<string, GatewayLoadBalancerEndpoint>();

  constructor(scope: Construct, id: string, props: CentralizedInspectionProps = {}) {
    super(scope, id);
    this.egress = props.egress ?? CentralizedEgress.NAT_GATEWAYS;
    this.eastWest = props.eastWest ?? EastWestTraffic.INSPECTED;
    if (props.inspectionService && props.inspectionVpcProps) {
      fail(this, 'give either inspectionService (a separate security VPC) or inspectionVpcProps (appliances in this VPC), not both');
    }
    for (const name of ['existingVpc', 'cidr', 'maxAzs', 'natGateways', 'applianceSubnets'] as const) {
      if (props.inspectionVpcProps?.[name] !== undefined) {
        fail(this, `inspectionVpcProps.${name} is chosen by CentralizedInspection (the appliances share its VPC); remove it`);
      }
    }
    const cidr = props.cidr ?? '100.64.0.0/16';
    validateIpv4Cidr(this, 'cidr', cidr);
    this.summaryCidrs = props.spokeSummaryCidrs ?? [];
    this.summaryCidrs.forEach((c, i) => validateIpv4Cidr(this, `spokeSummaryCidrs[${i}]`, c));

    this.vpc = createCentralInspectionNetwork(this, 'Vpc', {
      cidr, maxAzs: props.maxAzs ?? 2, egress: this.egress, appliances: props.inspectionService === undefined,
    });
    this.attachmentSubnets = this.vpc.selectSubnets({ subnetGroupName: TGW_ATTACHMENT_SUBNET_GROUP }).subnets;
    this.endpointSubnets = this.vpc.selectSubnets({ subnetGroupName: CENTRAL_ENDPOINT_SUBNET_GROUP }).subnets;
    this.natSubnets = this.egress === CentralizedEgress.NAT_GATEWAYS
      ? this.vpc.selectSubnets({ subnetGroupName: CENTRAL_NAT_SUBNET_GROUP }).subnets : [];

    if (props.inspectionService) {
      this.inspectionService = props.inspectionService;
    } else {
      this.appliances = new InspectionVpc(this, 'Appliances', {
        ...props.inspectionVpcProps,
        existingVpc: this.vpc,
        applianceSubnets: { subnetGroupName: APPLIANCE_SUBNET_GROUP },
      });
      this.inspectionService = this.appliances.endpointService;
    }
    const service = this.inspectionService instanceof InspectionVpc ? this.inspectionService.endpointService : this.inspectionService;

    this.endpoints = this.endpointSubnets.map((subnet, i) => {
      const endpoint = new GatewayLoadBalancerEndpoint(this, `Endpoint${i + 1}`, { vpc: this.vpc, service, subnet });
      this.endpointsByZone.set(subnet.availabilityZone, endpoint);
      return endpoint;
    });

    this.transitGateway = props.transitGateway ?? new TransitGateway(this, 'TransitGateway', {
      description: `Centralized inspection (${this.node.path})`,
    });
    this.inspectionAttachment = new TransitGatewayVpcAttachment(this, 'InspectionAttachment', {
      transitGateway: this.transitGateway,
      vpc: this.vpc,
      subnets: this.attachmentSubnets,
      applianceMode: true,
    });
    this.spokeRouteTable = new TransitGatewayRouteTable(this, 'SpokeRouteTable', { transitGateway: this.transitGateway });
    this.inspectionRouteTable = new TransitGatewayRouteTable(this, 'InspectionRouteTable', { transitGateway: this.transitGateway });
    this.inspectionAttachment.associateWith(this, 'InspectionAssociation', this.inspectionRouteTable);
    new ec2.CfnTransitGatewayRoute(this, 'SpokeDefaultRoute', {
      transitGatewayRouteTableId: this.spokeRouteTable.transitGatewayRouteTableId,
      destinationCidrBlock: '0.0.0.0/0',
      transitGatewayAttachmentId: this.inspectionAttachment.transitGatewayAttachmentId,
    });

    // Attachment subnets: everything from the Transit Gateway goes to the endpoint of the same zone.
    this.attachmentSubnets.forEach((subnet, i) => {
      EndpointRoutes.routeSubnetThroughEndpoint(this, `AttachmentSubnetRoute${i + 1}`, { subnet, endpoint: this.endpointForAvailabilityZone(subnet.availabilityZone) });
    });
    this.summaryCidrs.forEach((c, i) => this.routeSpokeCidr(this, `Summary${i + 1}`, c));
  }

  /** The endpoint in an availability zone (fails naming the zone if there is none). */
  public endpointForAvailabilityZone(availabilityZone: string): GatewayLoadBalancerEndpoint {
    const endpoint = this.endpointsByZone.get(availabilityZone);
    if (endpoint === undefined) {
      fail(this, `the inspection VPC has no endpoint in availability zone ${showAz(availabilityZone)}`);
    }
    return endpoint;
  }

  /** Attach a spoke VPC (created under this construct: use `new InspectedSpoke()` to put it in another stack). */
  public addSpoke(id: string, options: InspectedSpokeOptions = {}): InspectedSpoke {
    return new InspectedSpoke(this, id, { ...options, hub: this });
  }

  /** Whether a spoke CIDR block is inside one of `spokeSummaryCidrs` (and so already routed). */
  public coversSpokeCidr(cidr: string): boolean {
    return this.summaryCidrs.some((s) => [CidrRelation.EQUAL, CidrRelation.CONTAINS].includes(cidrRelation(s, cidr)));
  }

  /**
   * Route a spoke CIDR block in the inspection VPC, in every zone: endpoint subnet -> Transit
   * Gateway (inspected traffic back to the spokes), and with egress NAT subnet -> that zone's
   * endpoint (internet replies into inspection). The routes are created in `scope`, such as the
   * spoke; `InspectedSpoke` calls this for its CIDR blocks. Returns the routes.
   */
  public routeSpokeCidr(scope: Construct, id: string, cidr: string): ec2.CfnRoute[] {
    validateIpv4Cidr(this, 'cidr', cidr);
    const routes: ec2.CfnRoute[] = [];
    const group = new Construct(scope, id);
    this.endpointSubnets.forEach((subnet, i) => {
      const route = new ec2.CfnRoute(group, `EndpointSubnet${i + 1}`, {
        routeTableId: subnet.routeTable.routeTableId,
        destinationCidrBlock: cidr,
        transitGatewayId: this.transitGateway.transitGatewayId,
      });
      route.node.addDependency(this.inspectionAttachment);
      routes.push(route);
    });
    this.natSubnets.forEach((subnet, i) => {
      routes.push(EndpointRoutes.routeThroughEndpoint(group, `NatSubnet${i + 1}`, {
        routeTableId: subnet.routeTable.routeTableId,
        destinationCidrBlock: cidr,
        endpoint: this.endpointForAvailabilityZone(subnet.availabilityZone),
      }));
    });
    return routes;
  }
}
