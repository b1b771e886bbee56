import { Annotations, IResource, Resource, Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { fail } from '../gwlb/validation';

/** A Transit Gateway. */
export interface ITransitGateway extends IResource {
  /**
   * The id of the Transit Gateway (`tgw-...`).
   * @attribute
   */
  readonly transitGatewayId: string;
}

/** Properties of a {@link TransitGateway}. */
export interface TransitGatewayProps {
  /**
   * The private ASN of the Amazon side of BGP sessions (64512..65534 or 4200000000..4294967294).
   * @default 64512 (the AWS default; the property is not written)
   */
  readonly amazonSideAsn?: number;

  /**
   * A description of the Transit Gateway.
   * @default - none
   */
  readonly description?: string;

  /**
   * Accept attachments that other accounts (through AWS RAM) create, without a manual step.
   * An accepted attachment is only associated with a route table when you associate it: with
   * default association and propagation off, it cannot route until you do.
   * @default false
   */
  readonly autoAcceptSharedAttachments?: boolean;
}

/**
 * A Transit Gateway with **default route table association and propagation off**: an attachment
 * only routes where a route table association says so, which is what keeps spokes from reaching
 * each other around the inspection VPC.
 *
 * Use `TransitGateway.fromTransitGatewayId()` for an existing one.
 */
export class TransitGateway extends Resource implements ITransitGateway {
  /**
   * An existing Transit Gateway. It must have default route table association and propagation
   * turned off (`DefaultRouteTableAssociation` and `DefaultRouteTablePropagation` `disable`):
   * otherwise every attachment is also associated with (and propagated into) the default route
   * table, and the explicit associations made by this library fail at deploy time.
   */
  public static fromTransitGatewayId(scope: Construct, id: string, transitGatewayId: string): ITransitGateway {
    if (!Token.isUnresolved(transitGatewayId) && !/^tgw-[0-9a-f]{8,17}$/.test(transitGatewayId)) {
      fail(scope, `transitGatewayId must look like tgw-0123456789abcdef0, got '${transitGatewayId}'`);
    }
    class Imported extends Resource implements ITransitGateway {
      public readonly transitGatewayId = transitGatewayId;
    }
    const imported = new Imported(scope, id);
    Annotations.of(imported).addInfo('an imported Transit Gateway must have default route table association and propagation '
      + 'turned off; the path validator cannot see its settings');
    return imported;
  }

  public readonly transitGatewayId: string;

  constructor(scope: Construct, id: string, props: TransitGatewayProps = {}) {
    super(scope, id);
    const asn = props.amazonSideAsn;
    if (asn !== undefined && !Token.isUnresolved(asn) && !(asn >= 64512 && asn <= 65534) && !(asn >= 4200000000 && asn <= 4294967294)) {
      fail(this, `amazonSideAsn must be a private ASN (64512..65534 or 4200000000..4294967294), got ${asn}`);
    }
    const resource = new ec2.CfnTransitGateway(this, 'Resource', {
      amazonSideAsn: asn,
      description: props.description,
      defaultRouteTableAssociation: 'disable',
      defaultRouteTablePropagation: 'disable',
      autoAcceptSharedAttachments: props.autoAcceptSharedAttachments ? 'enable' : 'disable',
      dnsSupport: 'enable',
      vpnEcmpSupport: 'enable',
    });
    Tags.of(resource).add('Name', this.node.path);
    this.transitGatewayId = resource.ref;
  }
}
