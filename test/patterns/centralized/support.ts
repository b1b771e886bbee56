import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

export const ENV = { account: '111111111111', region: 'eu-west-1' };

type Resources = Record<string, { Type: string; Properties: any; DependsOn?: string[] }>;

/** Template queries for per-AZ path assertions. */
export class Paths {
  readonly resources: Resources;

  constructor(stack: Stack) {
    this.resources = Template.fromStack(stack).toJSON().Resources;
  }

  ofType(type: string): Array<[string, any]> {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type).map(([id, r]) => [id, r.Properties ?? {}]);
  }

  /** The AZ of a subnet logical id. */
  subnetAz(subnetId: string): unknown {
    return JSON.stringify(this.resources[subnetId].Properties.AvailabilityZone);
  }

  /** The route table logical id of a subnet. */
  tableOf(subnetId: string): string {
    const [, assoc] = this.ofType('AWS::EC2::SubnetRouteTableAssociation').find(([, p]) => p.SubnetId.Ref === subnetId)!;
    return assoc.RouteTableId.Ref;
  }

  /** Routes of a route table: destination -> target properties. */
  routes(tableId: string): Record<string, any> {
    const out: Record<string, any> = {};
    for (const [, p] of this.ofType('AWS::EC2::Route').filter(([, r]) => r.RouteTableId.Ref === tableId)) {
      const { RouteTableId: _t, DestinationCidrBlock: d, ...target } = p;
      out[d] = target;
    }
    return out;
  }

  /** The subnet logical id of an endpoint or NAT gateway. */
  subnetOfEndpoint(endpointId: string): string {
    return this.resources[endpointId].Properties.SubnetIds[0].Ref;
  }

  subnetOfNat(natId: string): string {
    return this.resources[natId].Properties.SubnetId.Ref;
  }

  subnetsNamed(fragment: string): string[] {
    return this.ofType('AWS::EC2::Subnet').map(([id]) => id).filter((id) => id.includes(fragment));
  }
}
