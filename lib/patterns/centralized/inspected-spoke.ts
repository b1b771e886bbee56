import { Annotations, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { validateIpv4Cidr } from '../../gwlb/validation';
import { TransitGatewayVpcAttachment } from '../../tgw';
import { CidrRelation, cidrRelation } from '../../validation/cidr';
import { dropRedundantProviderDependency } from '../cfn-fixes';
import { fail } from '../validation';
import type { CentralizedInspection } from './centralized-inspection';
import { EastWestTraffic } from './centralized-options';
import { findSpokeBypasses, retargetToTransitGateway, SPOKE_BYPASS_ACK_ID, vpcPrimaryCidr } from './spoke-routing';
import { UninspectedTraffic } from './uninspected-traffic';

/** Subnet group of the Transit Gateway attachment in a new spoke VPC. */
const SPOKE_ATTACHMENT_GROUP = 'TransitGateway';
/** Subnet group of the workloads in a new spoke VPC. */
const SPOKE_WORKLOAD_GROUP = 'Workload';

/** Options of a spoke, for {@link CentralizedInspection.addSpoke}. */
export interface InspectedSpokeOptions {
  /**
   * The spoke VPC. Not together with `cidr` or `maxAzs`.
   * @default - a new VPC with an isolated `Workload` subnet group and a `TransitGateway` /28 group, no internet gateway
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The CIDR block of a new spoke VPC.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;

  /**
   * The number of availability zones of a new spoke VPC.
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * The subnets whose `0.0.0.0/0` goes to the Transit Gateway (the internet and every other spoke,
   * through inspection). An existing CDK default route of these subnets (such as `ec2.Vpc`'s route
   * to a NAT gateway) is retargeted to the Transit Gateway.
   * @default - every private and isolated subnet of the VPC
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * The subnets of the Transit Gateway attachment, one per availability zone.
   * @default - the `TransitGateway` group of a new VPC; otherwise the first of `subnets` in each zone
   */
  readonly attachmentSubnets?: ec2.SubnetSelection;

  /**
   * The spoke's CIDR blocks as routed by the inspection VPC (add secondary VPC CIDR blocks here).
   * @default - the VPC's primary CIDR block
   */
  readonly cidrs?: string[];

  /**
   * Exceptions: routes or subnets of the spoke that may skip the Transit Gateway. Without one, a
   * route of a spoke subnet to an internet gateway, NAT gateway, peering connection or another
   * Transit Gateway fails synthesis; with one, synthesis warns with the resource and the reason.
   * @default - none: every route of every subnet of the spoke must go through the Transit Gateway
   */
  readonly uninspected?: UninspectedTraffic[];
}

/** Properties of an {@link InspectedSpoke}. */
export interface InspectedSpokeProps extends InspectedSpokeOptions {
  /** The centralized inspection hub to attach to. */
  readonly hub: CentralizedInspection;
}

/**
 * A spoke VPC attached to a {@link CentralizedInspection} hub: its attachment is associated with
 * the spokes' route table (default route to inspection) and propagated into the inspection
 * table; its subnets send `0.0.0.0/0` to the Transit Gateway; the inspection VPC routes its
 * CIDR back. Routes that skip the Transit Gateway fail synthesis unless listed in `uninspected`.
 */
export class InspectedSpoke extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly attachment: TransitGatewayVpcAttachment;
  /** The subnets routed to the Transit Gateway. */
  public readonly routedSubnets: ec2.ISubnet[];
  /** The spoke's CIDR blocks. */
  public readonly cidrs: string[];
  /** The subnets' default routes to the Transit Gateway (one per route table). */
  public readonly defaultRoutes: ec2.CfnRoute[] = [];
  public readonly association: ec2.CfnTransitGatewayRouteTableAssociation;
  /** The propagation into the inspection route table. */
  public readonly inspectionPropagation: ec2.CfnTransitGatewayRouteTablePropagation;
  /** With `EastWestTraffic.DIRECT_UNINSPECTED`, the propagation into the spokes' table (uninspected east-west). */
  public readonly directPropagation?: ec2.CfnTransitGatewayRouteTablePropagation;

  constructor(scope: Construct, id: string, props: InspectedSpokeProps) {
    super(scope, id);
    const hub = props.hub;
    const planned = props.cidrs ?? (props.vpc ? undefined : [props.cidr ?? '10.0.0.0/16']);
    planned?.forEach((c, i) => validateIpv4Cidr(this, props.cidrs ? `cidrs[${i}]` : 'cidr', c));
    this.checkOverlaps(hub, planned ?? []);
    this.vpc = this.resolveVpc(props);
    this.routedSubnets = this.select('subnets', props.subnets ?? { subnets: [...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets] });
    if (this.routedSubnets.length === 0) {
      fail(this, 'subnets selected no subnet: give the subnets whose traffic the hub inspects');
    }
    const attachmentSubnets = props.attachmentSubnets ? this.select('attachmentSubnets', props.attachmentSubnets)
      : props.vpc ? firstPerZone(this.routedSubnets) : this.select('attachmentSubnets', { subnetGroupName: SPOKE_ATTACHMENT_GROUP });
    if (firstPerZone(attachmentSubnets).length !== attachmentSubnets.length) {
      fail(this, `attachmentSubnets selected ${attachmentSubnets.length} subnets in ${firstPerZone(attachmentSubnets).length} availability zones: `
        + 'a Transit Gateway attachment takes one subnet per zone (narrow the selection or use onePerAz: true)');
    }
    this.cidrs = planned ?? [this.primaryCidr()];
    if (planned === undefined) {
      this.checkOverlaps(hub, this.cidrs);
    }

    this.attachment = new TransitGatewayVpcAttachment(this, 'Attachment', {
      transitGateway: hub.transitGateway, vpc: this.vpc, subnets: attachmentSubnets,
    });
    this.association = this.attachment.associateWith(this, 'Association', hub.spokeRouteTable);
    this.inspectionPropagation = this.attachment.propagateTo(this, 'InspectionPropagation', hub.inspectionRouteTable);
    if (hub.eastWest === EastWestTraffic.DIRECT_UNINSPECTED) {
      this.directPropagation = this.attachment.propagateTo(this, 'DirectPropagation', hub.spokeRouteTable);
      const reason = `the hub uses EastWestTraffic.DIRECT_UNINSPECTED: traffic between ${this.node.path} and the other spokes `
        + 'takes this propagated route and is NOT inspected (internet egress still is)';
      Annotations.of(this.directPropagation).addWarningV2('cdk-gwlb-inspection:uninspectedEastWest', reason);
      Validations.of(this.directPropagation).acknowledge({ id: 'GwlbPathValidator::GWLB-T4-TGW-TABLE-BYPASS', reason });
    }

    const tables = new Set<string>();
    this.routedSubnets.forEach((subnet, i) => {
      const routeTableId = subnet.routeTable?.routeTableId;
      if (routeTableId === undefined) {
        fail(this, `subnets: subnet ${subnet.node.path} has no known route table; import it with routeTableId`);
      }
      if (tables.has(routeTableId)) {
        return;
      }
      tables.add(routeTableId);
      const route = retargetToTransitGateway(subnet, hub.transitGateway.transitGatewayId)
        ?? new ec2.CfnRoute(this, `DefaultRoute${i + 1}`, {
          routeTableId, destinationCidrBlock: '0.0.0.0/0', transitGatewayId: hub.transitGateway.transitGatewayId,
        });
      route.node.addDependency(this.attachment);
      this.defaultRoutes.push(route);
    });
    this.cidrs.forEach((cidr, i) => {
      if (!hub.coversSpokeCidr(cidr)) {
        hub.routeSpokeCidr(this, `InspectionVpcRoutes${i + 1}`, cidr);
      }
    });
    hub.spokes.push(this);

    const excused = this.applyExceptions(props.uninspected ?? []);
    this.node.addValidation({
      validate: () => findSpokeBypasses(this.vpc, hub.transitGateway.transitGatewayId, excused).map((b) =>
        `${b.route.node.path}: route ${b.destination} of spoke subnet ${b.subnet.node.path} goes to ${b.target}, not the Transit `
        + `Gateway: it skips inspection. Route it to the Transit Gateway, or list it in uninspected (UninspectedTraffic.route() or .subnets()) with a reason.`),
    });
  }

  private primaryCidr(): string {
    const cidr = vpcPrimaryCidr(this.vpc);
    if (cidr === undefined) {
      fail(this, `cidrs: the CIDR block of vpc ${this.vpc.node.path} is unknown; give cidrs, or import the VPC with vpcCidrBlock`);
    }
    return cidr;
  }

  private resolveVpc(props: InspectedSpokeProps): ec2.IVpc {
    if (props.vpc) {
      for (const [name, value] of [['cidr', props.cidr], ['maxAzs', props.maxAzs]] as const) {
        if (value !== undefined) {
          fail(this, `${name} (${value}) configures a new spoke VPC and cannot be used with vpc`);
        }
      }
      return props.vpc;
    }
    const cidr = props.cidr ?? '10.0.0.0/16';
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: SPOKE_WORKLOAD_GROUP, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
        { name: SPOKE_ATTACHMENT_GROUP, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 28 },
      ],
      flowLogs: { FlowLog: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    dropRedundantProviderDependency(vpc);
    return vpc;
  }

  private select(prop: string, selection: ec2.SubnetSelection): ec2.ISubnet[] {
    try {
      return this.vpc.selectSubnets(selection).subnets;
    } catch (e) {
      fail(this, `${prop}: ${(e as Error).message}`);
    }
  }

  /** Spoke CIDR blocks must not overlap the inspection VPC or another spoke (known blocks only). */
  private checkOverlaps(hub: CentralizedInspection, cidrs: readonly string[]): void {
    const others: Array<[string, string]> = [[(hub.vpc.node.defaultChild as ec2.CfnVPC).cidrBlock ?? '', 'the inspection VPC'],
      ...hub.spokes.flatMap((s) => s.cidrs.map((c): [string, string] => [c, `spoke ${s.node.path}`]))];
    for (const cidr of cidrs) {
      for (const [other, what] of others) {
        const overlapping = [cidrRelation(cidr, other), cidrRelation(other, cidr)].some((r) => r === CidrRelation.EQUAL || r === CidrRelation.CONTAINS);
        if (overlapping) {
          fail(this, `cidrs: ${cidr} overlaps ${other} of ${what}; the Transit Gateway cannot route overlapping CIDR blocks`);
        }
      }
    }
  }

  /** Warn about (and acknowledge in the path validator) each exception; returns what is excused. */
  private applyExceptions(exceptions: UninspectedTraffic[]): Set<string> {
    const excused = new Set<string>();
    for (const exception of exceptions) {
      const targets = exception.cfnRoute ? [exception.cfnRoute] : this.select('uninspected', exception.subnetSelection!);
      for (const target of targets) {
        excused.add(target.node.path);
        const what = exception.cfnRoute ? 'route' : 'subnet';
        Annotations.of(target).addWarningV2('cdk-gwlb-inspection:uninspectedSpokeTraffic',
          `${what} ${target.node.path} of spoke ${this.node.path} may skip the Transit Gateway: its traffic is NOT inspected (${exception.reason})`);
        Validations.of(target).acknowledge({ id: SPOKE_BYPASS_ACK_ID, reason: exception.reason });
      }
    }
    return excused;
  }
}

function firstPerZone(subnets: ec2.ISubnet[]): ec2.ISubnet[] {
  const seen = new Set<string>();
  return subnets.filter((s) => !seen.has(s.availabilityZone) && seen.add(s.availabilityZone) !== undefined);
}
