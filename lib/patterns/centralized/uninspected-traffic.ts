import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * An explicit, reasoned exception to inspection in a spoke: traffic that may leave the spoke
 * without crossing the Transit Gateway and the inspection VPC. Without one, a spoke route that
 * skips the Transit Gateway (a subnet's own internet gateway or NAT gateway route, a peering
 * route) fails synthesis. With one, synthesis reports a warning naming the resource and the reason.
 */
export class UninspectedTraffic {
  /**
   * Subnets of the spoke VPC that keep their own routes (for example public subnets with a
   * default route to the spoke's internet gateway).
   */
  public static subnets(subnets: ec2.SubnetSelection, reason: string): UninspectedTraffic {
    return new UninspectedTraffic(subnets, undefined, reason);
  }

  /** One route of a spoke subnet that does not go through the Transit Gateway. */
  public static route(route: ec2.CfnRoute, reason: string): UninspectedTraffic {
    return new UninspectedTraffic(undefined, route, reason);
  }

  /** The subnets, when this exception is for subnets. */
  public readonly subnetSelection?: ec2.SubnetSelection;
  /** The route, when this exception is for one route. */
  public readonly cfnRoute?: ec2.CfnRoute;
  /** Why the traffic is not inspected. */
  public readonly reason: string;

  private constructor(subnetSelection: ec2.SubnetSelection | undefined, cfnRoute: ec2.CfnRoute | undefined, reason: string) {
    if (reason.trim().length < 10) {
      throw new Error(`UninspectedTraffic: give a real reason (at least 10 characters), got '${reason}'`);
    }
    this.subnetSelection = subnetSelection;
    this.cfnRoute = cfnRoute;
    this.reason = reason;
  }
}
