import { IResource, Resource, Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { fail } from '../gwlb/validation';
import { ITransitGateway } from './transit-gateway';
import { ITransitGatewayRouteTable } from './transit-gateway-route-table';

/** A Transit Gateway attachment. */
export interface ITransitGatewayAttachment extends IResource {
  /**
   * The id of the attachment (`tgw-attach-...`).
   * @attribute
   */
  readonly transitGatewayAttachmentId: string;
}

/** Properties of a {@link TransitGatewayVpcAttachment}. */
export interface TransitGatewayVpcAttachmentProps {
  /** The Transit Gateway. */
  readonly transitGateway: ITransitGateway;
  /** The VPC to attach. */
  readonly vpc: ec2.IVpc;
  /** The subnets of the attachment's network interfaces: at most one per availability zone, at least one. */
  readonly subnets: ec2.ISubnet[];
  /**
   * Appliance mode (`ApplianceModeSupport`): the Transit Gateway sends both directions of a flow
   * through the same availability zone of this attachment for the flow's whole life. Required
   * for the attachment of an inspection VPC, so that a flow and its reply cross the same
   * Gateway Load Balancer endpoint and appliance.
   * @default false
   */
  readonly applianceMode?: boolean;
}

/** A VPC attachment of a Transit Gateway. */
export class TransitGatewayVpcAttachment extends Resource implements ITransitGatewayAttachment {
  public readonly transitGatewayAttachmentId: string;
  public readonly transitGateway: ITransitGateway;
  public readonly vpc: ec2.IVpc;
  public readonly subnets: ec2.ISubnet[];
  /** Whether appliance mode is on. */
  public readonly applianceMode: boolean;

  constructor(scope: Construct, id: string, props: TransitGatewayVpcAttachmentProps) {
    super(scope, id);
    if (props.subnets.length === 0) {
      fail(this, 'subnets must not be empty: a Transit Gateway attachment needs a subnet in at least one availability zone');
    }
    const zones = new Set<string>();
    for (const subnet of props.subnets) {
      const az = subnet.availabilityZone;
      if (!Token.isUnresolved(az) && zones.has(az)) {
        fail(this, `subnets has two subnets in availability zone ${az} (${subnet.node.path}): a Transit Gateway attachment takes one subnet per zone`);
      }
      zones.add(az);
    }
    this.transitGateway = props.transitGateway;
    this.vpc = props.vpc;
    this.subnets = props.subnets;
    this.applianceMode = props.applianceMode ?? false;
    const resource = new ec2.CfnTransitGatewayVpcAttachment(this, 'Resource', {
      transitGatewayId: props.transitGateway.transitGatewayId,
      vpcId: props.vpc.vpcId,
      subnetIds: props.subnets.map((s) => s.subnetId),
      options: this.applianceMode ? { ApplianceModeSupport: 'enable' } : undefined,
    });
    Tags.of(resource).add('Name', this.node.path);
    this.transitGatewayAttachmentId = resource.ref;
  }

  /**
   * Associate the attachment with a route table (traffic arriving from this VPC is routed by it).
   * An attachment has at most one association. The resource is created in `scope`.
   */
  public associateWith(scope: Construct, id: string, routeTable: ITransitGatewayRouteTable): ec2.CfnTransitGatewayRouteTableAssociation {
    return new ec2.CfnTransitGatewayRouteTableAssociation(scope, id, {
      transitGatewayAttachmentId: this.transitGatewayAttachmentId,
      transitGatewayRouteTableId: routeTable.transitGatewayRouteTableId,
    });
  }

  /** Propagate this VPC's CIDR blocks into a route table. The resource is created in `scope`. */
  public propagateTo(scope: Construct, id: string, routeTable: ITransitGatewayRouteTable): ec2.CfnTransitGatewayRouteTablePropagation {
    return new ec2.CfnTransitGatewayRouteTablePropagation(scope, id, {
      transitGatewayAttachmentId: this.transitGatewayAttachmentId,
      transitGatewayRouteTableId: routeTable.transitGatewayRouteTableId,
    });
  }
}
