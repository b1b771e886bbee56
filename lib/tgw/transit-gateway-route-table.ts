import { IResource, Resource, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ITransitGateway } from './transit-gateway';

/** A Transit Gateway route table. */
export interface ITransitGatewayRouteTable extends IResource {
  /**
   * The id of the route table (`tgw-rtb-...`).
   * @attribute
   */
  readonly transitGatewayRouteTableId: string;
}

/** Properties of a {@link TransitGatewayRouteTable}. */
export interface TransitGatewayRouteTableProps {
  /** The Transit Gateway of the route table. */
  readonly transitGateway: ITransitGateway;
}

/**
 * A Transit Gateway route table. Associations and propagations are separate resources
 * (`TransitGatewayVpcAttachment.associateWith()` / `propagateTo()`), created beside the
 * attachment so that a spoke in another stack does not make this stack depend on it.
 */
export class TransitGatewayRouteTable extends Resource implements ITransitGatewayRouteTable {
  public readonly transitGatewayRouteTableId: string;
  public readonly transitGateway: ITransitGateway;

  constructor(scope: Construct, id: string, props: TransitGatewayRouteTableProps) {
    super(scope, id);
    this.transitGateway = props.transitGateway;
    const resource = new ec2.CfnTransitGatewayRouteTable(this, 'Resource', {
      transitGatewayId: props.transitGateway.transitGatewayId,
    });
    Tags.of(resource).add('Name', this.node.path);
    this.transitGatewayRouteTableId = resource.ref;
  }
}
