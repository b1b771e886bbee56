import { Annotations, IResource, Resource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { GatewayLoadBalancerIpAddressType } from './gateway-load-balancer';
import {
  GatewayLoadBalancerEndpointService, IGatewayLoadBalancerEndpointService,
} from './gateway-load-balancer-endpoint-service';
import {
  describeAvailabilityZone, describeService, fail, sameAvailabilityZone, subnetAvailabilityZone, subnetHasIpv6, validateSubnetInVpc,
} from './validation';

/** A Gateway Load Balancer endpoint. */
export interface IGatewayLoadBalancerEndpoint extends IResource {
  /**
   * The id of the endpoint (`vpce-...`), the target of routes.
   * @attribute
   */
  readonly vpcEndpointId: string;

  /**
   * The IP address type of the endpoint, when known.
   * @default - unknown
   */
  readonly ipAddressType?: GatewayLoadBalancerIpAddressType;
}

/** Properties of a {@link GatewayLoadBalancerEndpoint}. */
export interface GatewayLoadBalancerEndpointProps {
  /** The VPC of the endpoint (the application VPC). */
  readonly vpc: ec2.IVpc;
  /** The endpoint service of the Gateway Load Balancer. */
  readonly service: IGatewayLoadBalancerEndpointService;
  /** The one subnet of the endpoint; it fixes the endpoint's availability zone. */
  readonly subnet: ec2.ISubnet;

  /**
   * The IP address type of the endpoint (`IpAddressType`). `DUAL_STACK` carries IPv6 traffic
   * too: the subnet needs an IPv6 CIDR block and the service must support IPv6
   * (`supportedIpAddressTypes` with `ec2.IpAddressType.IPV6`).
   *
   * @default GatewayLoadBalancerIpAddressType.IPV4 (the property is not written)
   */
  readonly ipAddressType?: GatewayLoadBalancerIpAddressType;
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
  /** The IP address type (always set; optional only as in `IGatewayLoadBalancerEndpoint`). */
  public readonly ipAddressType?: GatewayLoadBalancerIpAddressType;

  private readonly knownAvailabilityZone?: string;

  constructor(scope: Construct, id: string, props: GatewayLoadBalancerEndpointProps) {
    super(scope, id);
    validateSubnetInVpc(this, 'subnet', props.subnet, props.vpc);
    this.vpc = props.vpc;
    this.subnet = props.subnet;
    this.service = props.service;
    this.knownAvailabilityZone = subnetAvailabilityZone(props.subnet);
    this.ipAddressType = props.ipAddressType ?? GatewayLoadBalancerIpAddressType.IPV4;
    this.validateIpAddressType();

    const resource = new ec2.CfnVPCEndpoint(this, 'Resource', {
      vpcEndpointType: 'GatewayLoadBalancer',
      serviceName: props.service.serviceName,
      vpcId: props.vpc.vpcId,
      subnetIds: [props.subnet.subnetId],
      ipAddressType: props.ipAddressType,
    });
    this.vpcEndpointId = resource.ref;

    if (props.service instanceof GatewayLoadBalancerEndpointService) {
      // Request the endpoint only once its principals are allowed (also covers principals added later).
      resource.node.addDependency(props.service.principalsAllowed);
      this.validateZoneServed(props.service);
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

  /** Whether the endpoint carries IPv6 traffic (it is dual-stack). */
  public get supportsIpv6(): boolean {
    return this.ipAddressType === GatewayLoadBalancerIpAddressType.DUAL_STACK;
  }

  private validateIpAddressType(): void {
    const dualStack = this.supportsIpv6;
    if (dualStack && subnetHasIpv6(this.subnet) === false) {
      fail(this, `ipAddressType is DUAL_STACK but subnet ${this.subnet.node.path} has no IPv6 CIDR block: `
        + 'a dual-stack endpoint needs a subnet with IPv4 and IPv6 (use a VPC with ipProtocol DUAL_STACK)');
    }
    const supported = this.service.supportedIpAddressTypes;
    if (supported === undefined) {
      return;
    }
    const needed = dualStack ? [ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6] : [ec2.IpAddressType.IPV4];
    const missing = needed.filter((t) => !supported.includes(t));
    if (missing.length > 0) {
      const service = describeService(this.service);
      fail(this, `ipAddressType is ${dualStack ? 'DUAL_STACK' : 'IPV4'} but endpoint service ${service} does not support `
        + `${missing.join(' and ')} (supportedIpAddressTypes: ${supported.join(', ')}): `
        + (dualStack
          ? 'add ec2.IpAddressType.IPV6 to the service\'s supportedIpAddressTypes (its Gateway Load Balancers must be DUAL_STACK) '
            + 'or make the endpoint IPV4'
          : 'add ec2.IpAddressType.IPV4 to the service\'s supportedIpAddressTypes'));
    }
  }

  /**
   * An endpoint can only be created in a zone where the service's Gateway Load Balancer has a
   * subnet. With the zones known (names, or the zone tokens of environment-agnostic stacks) and
   * both sides in the same account, that is an error; across accounts zone names differ (only
   * zone ids match), so it is a warning.
   */
  private validateZoneServed(service: GatewayLoadBalancerEndpointService): void {
    const az = this.knownAvailabilityZone;
    const served = service.availabilityZones;
    if (az === undefined || served.length === 0) {
      return;
    }
    const matches = served.map((zone) => sameAvailabilityZone(this, az, zone));
    if (matches.some((m) => m !== false)) {
      return;
    }
    const zones = served.map((zone) => describeAvailabilityZone(this, zone)).join(', ');
    const message = `the endpoint is in ${describeAvailabilityZone(this, az)} but the service's Gateway Load Balancers `
      + `(${service.gatewayLoadBalancers.map((lb) => lb.node.path).join(', ')}) are only in ${zones}: the endpoint cannot be `
      + 'created there; give the Gateway Load Balancer a subnet in that zone, or put the endpoint in a served zone';
    const accounts = [Stack.of(this).account, Stack.of(service).account];
    if (accounts[0] === accounts[1]) {
      fail(this, message);
    }
    Annotations.of(this).addWarningV2('cdk-gwlb-inspection:endpointZoneNotServed', `${message} (the service is in another `
      + 'account, whose zone names may map to other zones: compare zone ids, and acknowledge this warning when they match)');
  }
}
