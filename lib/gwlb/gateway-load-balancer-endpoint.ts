import { Annotations, IResource, Resource, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import {
  GatewayLoadBalancerEndpointService, IGatewayLoadBalancerEndpointService,
} from './gateway-load-balancer-endpoint-service';
import { fail, isConcrete, subnetAvailabilityZone, validateSubnetInVpc } from './validation';

/** A Gateway Load Balancer endpoint. */
export interface IGatewayLoadBalancerEndpoint extends IResource {
  /**
   * The id of the endpoint (`vpce-...`), the target of routes.
   * @attribute
   */
  readonly vpcEndpointId: string;
}

/** Properties of a {@link GatewayLoadBalancerEndpoint}. */
export interface GatewayLoadBalancerEndpointProps {
  /** The VPC of the endpoint (the application VPC). */
  readonly vpc: ec2.IVpc;
  /** The endpoint service of the Gateway Load Balancer. */
  readonly service: IGatewayLoadBalancerEndpointService;
  /** The one subnet of the endpoint; it fixes the endpoint's availability zone. */
  readonly subnet: ec2.ISubnet;
}

/**
 * A Gateway Load Balancer endpoint (`AWS::EC2::VPCEndpoint` of type `GatewayLoadBalancer`)
 * in exactly one subnet. Route tables send traffic to it by `vpcEndpointId`.
 */
export class GatewayLoadBalancerEndpoint extends Resource implements IGatewayLoadBalancerEndpoint {
  public readonly vpcEndpointId: string;
  public readonly vpc: ec2.IVpc;
  public readonly subnet: ec2.ISubnet;
  public readonly service: IGatewayLoadBalancerEndpointService;

  private readonly knownAvailabilityZone?: string;

  constructor(scope: Construct, id: string, props: GatewayLoadBalancerEndpointProps) {
    super(scope, id);
    validateSubnetInVpc(this, 'subnet', props.subnet, props.vpc);
    this.vpc = props.vpc;
    this.subnet = props.subnet;
    this.service = props.service;
    this.knownAvailabilityZone = subnetAvailabilityZone(props.subnet);

    const resource = new ec2.CfnVPCEndpoint(this, 'Resource', {
      vpcEndpointType: 'GatewayLoadBalancer',
      serviceName: props.service.serviceName,
      vpcId: props.vpc.vpcId,
      subnetIds: [props.subnet.subnetId],
    });
    this.vpcEndpointId = resource.ref;

    if (props.service instanceof GatewayLoadBalancerEndpointService) {
      // Request the endpoint only once its principals are allowed (also covers principals added later).
      resource.node.addDependency(props.service.principalsAllowed);
      this.warnIfZoneNotServed(props.service);
    }
  }

  /**
   * The availability zone of the endpoint (its subnet's).
   * Fails when the subnet was imported without an availability zone.
   */
  public get availabilityZone(): string {
    if (this.knownAvailabilityZone === undefined) {
      fail(this, `the availability zone of subnet ${this.subnet.node.path} is unknown: import it with `
        + 'Subnet.fromSubnetAttributes({ subnetId, availabilityZone })');
    }
    return this.knownAvailabilityZone;
  }

  /** The availability zone, or undefined when it is not known at synth time. */
  public get availabilityZoneIfKnown(): string | undefined {
    return this.knownAvailabilityZone;
  }

  private warnIfZoneNotServed(service: GatewayLoadBalancerEndpointService): void {
    const az = this.knownAvailabilityZone;
    const served = service.availabilityZones;
    if (!isConcrete(az) || served.length === 0 || served.some((z) => Token.isUnresolved(z))) {
      return;
    }
    if (!served.includes(az)) {
      Annotations.of(this).addWarningV2('cdk-gwlb-inspection:endpointZoneNotServed',
        `the endpoint is in ${az} but the service's Gateway Load Balancers are only in ${served.join(', ')}: `
        + 'the endpoint cannot be created there (availability zone names are per account; ignore this across accounts)');
    }
  }
}
