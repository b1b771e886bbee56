import { IResource, Resource, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { GatewayLoadBalancerListener, GatewayLoadBalancerListenerProps } from './gateway-load-balancer-listener';
import { fail, isConcrete, subnetHasIpv6 } from './validation';

/**
 * The IP address type of a Gateway Load Balancer or of its endpoints: whether the application
 * side may send IPv6 traffic through it. The appliance side is unaffected: GENEVE always
 * carries the client packet (IPv4 or IPv6) in an outer IPv4 header.
 */
export enum GatewayLoadBalancerIpAddressType {
  /** IPv4 only (`ipv4`, the AWS default). */
  IPV4 = 'ipv4',
  /**
   * IPv4 and IPv6 (`dualstack`). The subnets of a dual-stack load balancer or endpoint need an
   * IPv6 CIDR block (and so does their VPC).
   */
  DUAL_STACK = 'dualstack',
}

/** A Gateway Load Balancer, created here or imported. */
export interface IGatewayLoadBalancer extends IResource {
  /**
   * The ARN of the load balancer.
   * @attribute
   */
  readonly loadBalancerArn: string;

  /**
   * The VPC of the load balancer, when known.
   * @default - unknown for imported load balancers
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The IP address type of the load balancer, when known.
   * @default - unknown for imported load balancers without `ipAddressType`
   */
  readonly ipAddressType?: GatewayLoadBalancerIpAddressType;
}

/** Attributes to import an existing Gateway Load Balancer. */
export interface GatewayLoadBalancerAttributes {
  /**
   * The ARN of the load balancer
   * (`arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/gwy/<name>/<id>`).
   */
  readonly loadBalancerArn: string;

  /**
   * The VPC of the load balancer.
   * @default - unknown
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The IP address type of the load balancer.
   * @default - unknown (endpoint services and endpoints cannot check it)
   */
  readonly ipAddressType?: GatewayLoadBalancerIpAddressType;
}

/** Properties of a {@link GatewayLoadBalancer}. */
export interface GatewayLoadBalancerProps {
  /** The VPC the load balancer lives in (the security/inspection VPC). */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the load balancer: at most one per availability zone, at least one.
   *
   * @default - the VPC's private subnets with egress (or, if it has none, its isolated subnets),
   * one per availability zone
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Whether cross-zone load balancing is enabled
   * (load balancer attribute `load_balancing.cross_zone.enabled`).
   *
   * @default false (the AWS default)
   */
  readonly crossZoneEnabled?: boolean;

  /**
   * Whether deletion protection is enabled (load balancer attribute `deletion_protection.enabled`).
   *
   * @default false
   */
  readonly deletionProtection?: boolean;

  /**
   * The name of the load balancer: 1..32 letters, digits and hyphens, not starting or ending
   * with a hyphen and not starting with `internal-`.
   *
   * @default - CloudFormation generates a name
   */
  readonly loadBalancerName?: string;

  /**
   * The IP address type (`IpAddressType`). `DUAL_STACK` lets the endpoints carry IPv6 traffic;
   * every subnet of the load balancer then needs an IPv6 CIDR block.
   *
   * @default GatewayLoadBalancerIpAddressType.IPV4 (the property is not written)
   */
  readonly ipAddressType?: GatewayLoadBalancerIpAddressType;

  /**
   * Capacity reservation: the minimum capacity, in capacity units, that AWS keeps provisioned
   * for the load balancer (`MinimumLoadBalancerCapacity.CapacityUnits`), for traffic that
   * arrives faster than it scales. A positive integer; reserved capacity is billed.
   *
   * @default - no reservation (the property is not written)
   */
  readonly minimumCapacityUnits?: number;
}

const ARN_PATTERN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/gwy\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;
const NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/**
 * An AWS Gateway Load Balancer (`AWS::ElasticLoadBalancingV2::LoadBalancer` of type `gateway`).
 *
 * It has one network interface in each of its subnets, one subnet per availability zone, and
 * forwards every IP packet it receives from its endpoints to a GENEVE target group.
 */
export class GatewayLoadBalancer extends Resource implements IGatewayLoadBalancer {
  /** Import an existing Gateway Load Balancer by ARN. */
  public static fromGatewayLoadBalancerAttributes(
    scope: Construct, id: string, attrs: GatewayLoadBalancerAttributes,
  ): IGatewayLoadBalancer {
    class Import extends Resource implements IGatewayLoadBalancer {
      public readonly loadBalancerArn = attrs.loadBalancerArn;
      public readonly vpc = attrs.vpc;
      public readonly ipAddressType = attrs.ipAddressType;
    }
    const imported = new Import(scope, id, { environmentFromArn: attrs.loadBalancerArn });
    if (isConcrete(attrs.loadBalancerArn) && !ARN_PATTERN.test(attrs.loadBalancerArn)) {
      fail(imported, 'loadBalancerArn must be a Gateway Load Balancer ARN '
        + `(arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/gwy/<name>/<id>), got '${attrs.loadBalancerArn}'`);
    }
    return imported;
  }

  public readonly loadBalancerArn: string;
  /** @attribute */
  public readonly loadBalancerName: string;
  /** The full name (`gwy/<name>/<id>`), as used in CloudWatch metric dimensions. @attribute */
  public readonly loadBalancerFullName: string;
  /** The VPC of the load balancer (always set; optional only as in `IGatewayLoadBalancer`). */
  public readonly vpc?: ec2.IVpc;
  /** The availability zones of the load balancer's subnets, in subnet order. */
  public readonly availabilityZones: string[];
  public readonly subnets: ec2.ISubnet[];
  public readonly crossZoneEnabled: boolean;
  public readonly deletionProtection: boolean;
  /** The IP address type (always set; optional only as in `IGatewayLoadBalancer`). */
  public readonly ipAddressType?: GatewayLoadBalancerIpAddressType;
  /** The reserved minimum capacity in capacity units, if any. */
  public readonly minimumCapacityUnits?: number;

  private readonly resource: elbv2.CfnLoadBalancer;

  constructor(scope: Construct, id: string, props: GatewayLoadBalancerProps) {
    super(scope, id, { physicalName: props.loadBalancerName });
    validateName(this, props.loadBalancerName);

    this.vpc = props.vpc;
    this.crossZoneEnabled = props.crossZoneEnabled ?? false;
    this.deletionProtection = props.deletionProtection ?? false;

    const selected = props.vpc.selectSubnets(props.vpcSubnets ?? defaultSubnetSelection(props.vpc));
    this.subnets = selected.subnets;
    this.availabilityZones = selected.availabilityZones;
    validateOnePerAz(this, selected);
    this.ipAddressType = props.ipAddressType ?? GatewayLoadBalancerIpAddressType.IPV4;
    if (this.ipAddressType === GatewayLoadBalancerIpAddressType.DUAL_STACK) {
      validateDualStackSubnets(this, selected.subnets);
    }

    const units = props.minimumCapacityUnits;
    if (units !== undefined && !Token.isUnresolved(units) && (!Number.isInteger(units) || units < 1)) {
      fail(this, `minimumCapacityUnits must be a positive integer (capacity units to reserve), got ${units}`);
    }
    this.minimumCapacityUnits = props.minimumCapacityUnits;

    this.resource = new elbv2.CfnLoadBalancer(this, 'Resource', {
      type: 'gateway',
      name: this.physicalName,
      subnets: selected.subnetIds,
      ipAddressType: props.ipAddressType,
      minimumLoadBalancerCapacity: props.minimumCapacityUnits === undefined ? undefined : { capacityUnits: props.minimumCapacityUnits },
      loadBalancerAttributes: [
        { key: 'load_balancing.cross_zone.enabled', value: String(this.crossZoneEnabled) },
        { key: 'deletion_protection.enabled', value: String(this.deletionProtection) },
      ],
    });
    this.resource.node.addDependency(selected.internetConnectivityEstablished);

    this.loadBalancerArn = this.resource.ref;
    this.loadBalancerName = this.resource.attrLoadBalancerName;
    this.loadBalancerFullName = this.resource.attrLoadBalancerFullName;
    this.node.addValidation({ validate: () => this.findNetworkLoadBalancerServices() });
  }

  /**
   * `ec2.VpcEndpointService` writes every load balancer into `NetworkLoadBalancerArns`, which EC2
   * rejects for a Gateway Load Balancer at deploy time: find such services anywhere in the app.
   */
  private findNetworkLoadBalancerServices(): string[] {
    return this.node.root.node.findAll()
      .filter((c): c is ec2.CfnVPCEndpointService => c instanceof ec2.CfnVPCEndpointService)
      .filter((svc) => Array.isArray(svc.networkLoadBalancerArns) && svc.networkLoadBalancerArns.includes(this.loadBalancerArn))
      .map((svc) => `endpoint service ${svc.node.path} lists this Gateway Load Balancer in NetworkLoadBalancerArns, `
        + 'which EC2 rejects (ec2.VpcEndpointService only knows Network Load Balancers): use '
        + 'GatewayLoadBalancerEndpointService, which writes GatewayLoadBalancerArns');
  }

  /** Add a listener; Gateway Load Balancer listeners have no port or protocol. */
  public addListener(id: string, props: GatewayLoadBalancerListenerProps): GatewayLoadBalancerListener {
    return new GatewayLoadBalancerListener(this, id, { ...props, loadBalancer: this });
  }
}

function defaultSubnetSelection(vpc: ec2.IVpc): ec2.SubnetSelection {
  const subnetType = vpc.privateSubnets.length > 0
    ? ec2.SubnetType.PRIVATE_WITH_EGRESS
    : ec2.SubnetType.PRIVATE_ISOLATED;
  return { subnetType, onePerAz: true };
}

function validateName(scope: Construct, name: string | undefined): void {
  if (!isConcrete(name)) {
    return;
  }
  if (!NAME_PATTERN.test(name) || name.toLowerCase().startsWith('internal-')) {
    fail(scope, 'loadBalancerName must be 1..32 letters, digits or hyphens, must not start or end with a hyphen '
      + `and must not start with 'internal-', got '${name}'`);
  }
}

function validateOnePerAz(scope: Construct, selected: ec2.SelectedSubnets): void {
  if (selected.subnets.length === 0) {
    fail(scope, 'vpcSubnets selected no subnets: a Gateway Load Balancer needs at least one subnet');
  }
  const seen = new Map<string, string>();
  for (const subnet of selected.subnets) {
    const az = subnet.availabilityZone;
    const previous = seen.get(az);
    if (previous !== undefined) {
      const shown = Token.isUnresolved(az) ? Stack.of(scope).resolve(az) : az;
      fail(scope, `vpcSubnets selected two subnets in availability zone ${JSON.stringify(shown)} `
        + `(${previous} and ${subnet.node.path}): a Gateway Load Balancer takes one subnet per availability zone `
        + '(use onePerAz: true or a narrower selection)');
    }
    seen.set(az, subnet.node.path);
  }
}

function validateDualStackSubnets(scope: Construct, subnets: ec2.ISubnet[]): void {
  const withoutIpv6 = subnets.filter((subnet) => subnetHasIpv6(subnet) === false);
  if (withoutIpv6.length > 0) {
    fail(scope, `ipAddressType is DUAL_STACK but subnet(s) ${withoutIpv6.map((s) => s.node.path).join(', ')} have no IPv6 `
      + 'CIDR block: a dual-stack Gateway Load Balancer needs IPv6 in every subnet (use a VPC with ipProtocol DUAL_STACK)');
  }
}
