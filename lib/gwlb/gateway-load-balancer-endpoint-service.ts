import { Annotations, Fn, Lazy, Resource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, DependencyGroup, IConstruct, IDependable } from 'constructs';
import { GatewayLoadBalancer, GatewayLoadBalancerIpAddressType, IGatewayLoadBalancer } from './gateway-load-balancer';
import { fail, isConcrete } from './validation';

/** A VPC endpoint service backed by Gateway Load Balancers, created here or imported. */
export interface IGatewayLoadBalancerEndpointService {
  /** The service name, `com.amazonaws.vpce.<region>.vpce-svc-<id>`. */
  readonly serviceName: string;

  /**
   * The IP address types the service accepts from endpoints, when known.
   * @default - unknown (imported by name): endpoints cannot check it
   */
  readonly supportedIpAddressTypes?: ec2.IpAddressType[];
}

/** Attributes to import an existing Gateway Load Balancer endpoint service. */
export interface GatewayLoadBalancerEndpointServiceAttributes {
  /** The service name, `com.amazonaws.vpce.<region>.vpce-svc-<id>`. */
  readonly serviceName: string;

  /**
   * The IP address types the service accepts, as its owner configured them; dual-stack
   * endpoints are then checked against it.
   * @default - unknown: not checked
   */
  readonly supportedIpAddressTypes?: ec2.IpAddressType[];
}

/** Properties of a {@link GatewayLoadBalancerEndpointService}. */
export interface GatewayLoadBalancerEndpointServiceProps {
  /** The Gateway Load Balancers behind the service (`GatewayLoadBalancerArns`); at least one. */
  readonly gatewayLoadBalancers: IGatewayLoadBalancer[];

  /**
   * Whether a service consumer's endpoint connection must be accepted by the service owner.
   * @default true
   */
  readonly acceptanceRequired?: boolean;

  /**
   * Principals allowed to create endpoints for the service
   * (`AWS::EC2::VPCEndpointServicePermissions`), e.g. `new iam.ArnPrincipal('arn:aws:iam::123456789012:root')`.
   * @default - none; only the service owner's account can connect
   */
  readonly allowedPrincipals?: iam.ArnPrincipal[];

  /**
   * The IP address types the service accepts from endpoints (`SupportedIpAddressTypes`).
   * `ec2.IpAddressType.IPV6` (for dual-stack endpoints) needs every Gateway Load Balancer of
   * the service to be dual-stack.
   *
   * @default - not written: IPv4 only (the AWS default)
   */
  readonly supportedIpAddressTypes?: ec2.IpAddressType[];
}

const SERVICE_NAME = /^com\.amazonaws\.vpce\.[a-z0-9-]+\.vpce-svc-[0-9a-f]{8,17}$/;
const PRINCIPAL = /^(\*|arn:aws[a-z-]*:iam::(\d{12}):(root|user\/.+|role\/.+))$/;

/**
 * A VPC endpoint service for Gateway Load Balancers (`AWS::EC2::VPCEndpointService` with
 * `GatewayLoadBalancerArns`, never `NetworkLoadBalancerArns`).
 */
export class GatewayLoadBalancerEndpointService extends Resource implements IGatewayLoadBalancerEndpointService {
  /** Import an existing service by name (`com.amazonaws.vpce.<region>.vpce-svc-<id>`). */
  public static fromServiceName(scope: Construct, id: string, serviceName: string): IGatewayLoadBalancerEndpointService {
    return GatewayLoadBalancerEndpointService.fromServiceAttributes(scope, id, { serviceName });
  }

  /** Import an existing service by name, with the IP address types it is known to accept. */
  public static fromServiceAttributes(
    scope: Construct, id: string, attrs: GatewayLoadBalancerEndpointServiceAttributes,
  ): IGatewayLoadBalancerEndpointService {
    class Import extends Resource implements IGatewayLoadBalancerEndpointService {
      public readonly serviceName = attrs.serviceName;
      public readonly supportedIpAddressTypes = attrs.supportedIpAddressTypes ? [...attrs.supportedIpAddressTypes] : undefined;
    }
    const imported = new Import(scope, id);
    const serviceName = attrs.serviceName;
    if (isConcrete(serviceName) && !SERVICE_NAME.test(serviceName)) {
      fail(imported, `serviceName must look like com.amazonaws.vpce.<region>.vpce-svc-<hex id>, got '${serviceName}'`);
    }
    if (attrs.supportedIpAddressTypes !== undefined) {
      validateIpAddressTypeList(imported, attrs.supportedIpAddressTypes);
    }
    return imported;
  }

  /** The service id (`vpce-svc-...`). @attribute */
  public readonly endpointServiceId: string;
  /** The service name, `com.amazonaws.vpce.<region>.<service id>`. */
  public readonly serviceName: string;
  public readonly gatewayLoadBalancers: IGatewayLoadBalancer[];
  public readonly acceptanceRequired: boolean;
  /**
   * The IP address types the service accepts (IPv4 only unless `supportedIpAddressTypes` said
   * otherwise; always set, optional only as in `IGatewayLoadBalancerEndpointService`).
   */
  public readonly supportedIpAddressTypes?: ec2.IpAddressType[];
  /**
   * Depend on this to be created after the allowed principals are in place (it also covers
   * principals added later with `addAllowedPrincipal()`); endpoints of this service do so.
   */
  public readonly principalsAllowed: IDependable;

  private readonly principalsGroup = new DependencyGroup();
  private readonly principalArns: string[] = [];
  private permissions?: ec2.CfnVPCEndpointServicePermissions;

  constructor(scope: Construct, id: string, props: GatewayLoadBalancerEndpointServiceProps) {
    super(scope, id);
    if (props.gatewayLoadBalancers.length === 0) {
      fail(this, 'gatewayLoadBalancers must contain at least one Gateway Load Balancer, got an empty list');
    }
    this.gatewayLoadBalancers = [...props.gatewayLoadBalancers];
    this.acceptanceRequired = props.acceptanceRequired ?? true;
    this.principalsAllowed = this.principalsGroup;
    if (props.supportedIpAddressTypes !== undefined) {
      validateIpAddressTypeList(this, props.supportedIpAddressTypes);
    }
    const supportedIpAddressTypes = [...props.supportedIpAddressTypes ?? [ec2.IpAddressType.IPV4]];
    this.supportedIpAddressTypes = supportedIpAddressTypes;
    if (supportedIpAddressTypes.includes(ec2.IpAddressType.IPV6)) {
      validateLoadBalancersDualStack(this, this.gatewayLoadBalancers);
    }

    const resource = new ec2.CfnVPCEndpointService(this, 'Resource', {
      gatewayLoadBalancerArns: this.gatewayLoadBalancers.map((lb) => lb.loadBalancerArn),
      acceptanceRequired: this.acceptanceRequired,
      supportedIpAddressTypes: props.supportedIpAddressTypes ? [...supportedIpAddressTypes] : undefined,
    });
    this.endpointServiceId = resource.ref;
    this.serviceName = Fn.join('', ['com.amazonaws.vpce.', Stack.of(this).region, '.', this.endpointServiceId]);

    for (const principal of props.allowedPrincipals ?? []) {
      this.addAllowedPrincipal(principal);
    }
  }

  /** The principals allowed to create endpoints (ARNs). */
  public get allowedPrincipalArns(): string[] {
    return [...this.principalArns];
  }

  /**
   * The availability zones of the load balancers behind the service, when they were created in
   * this app (imported load balancers contribute none).
   */
  public get availabilityZones(): string[] {
    return this.gatewayLoadBalancers.flatMap((lb) => lb instanceof GatewayLoadBalancer ? lb.availabilityZones : []);
  }

  /** The permissions resource, once a principal has been allowed; endpoints should depend on it. */
  public get permissionsResource(): IConstruct | undefined {
    return this.permissions;
  }

  /** Allow a principal to create endpoints for this service. */
  public addAllowedPrincipal(principal: iam.ArnPrincipal): void {
    const arn = principal.arn;
    if (isConcrete(arn) && !PRINCIPAL.test(arn)) {
      fail(this, 'allowedPrincipals entries must be an account root, IAM user or IAM role ARN '
        + `(arn:aws:iam::<account>:root|user/..|role/..) or '*', got '${arn}'`);
    }
    if (arn === '*' && !this.acceptanceRequired) {
      Annotations.of(this).addWarningV2('cdk-gwlb-inspection:openEndpointService',
        "allowedPrincipals contains '*' and acceptanceRequired is false: any AWS account can route its traffic "
        + 'through this service without approval');
    }
    this.principalArns.push(arn);
    if (this.permissions === undefined) {
      this.permissions = new ec2.CfnVPCEndpointServicePermissions(this, 'Permissions', {
        serviceId: this.endpointServiceId,
        allowedPrincipals: Lazy.list({ produce: () => this.principalArns }),
      });
      this.principalsGroup.add(this.permissions);
    }
  }
}

function validateIpAddressTypeList(scope: Construct, types: ec2.IpAddressType[]): void {
  if (types.length === 0) {
    fail(scope, 'supportedIpAddressTypes must name at least one IP address type (ec2.IpAddressType.IPV4 and/or IPV6), got an empty list');
  }
  const known = Object.values(ec2.IpAddressType) as string[];
  const unknown = types.filter((t) => !known.includes(t));
  if (unknown.length > 0) {
    fail(scope, `supportedIpAddressTypes must contain only ec2.IpAddressType values (ipv4, ipv6), got ${unknown.map((t) => `'${t}'`).join(', ')}`);
  }
  if (new Set(types).size !== types.length) {
    fail(scope, `supportedIpAddressTypes lists an IP address type twice: ${types.join(', ')}`);
  }
}

function validateLoadBalancersDualStack(scope: Construct, loadBalancers: IGatewayLoadBalancer[]): void {
  const ipv4Only = loadBalancers.filter((lb) => lb.ipAddressType === GatewayLoadBalancerIpAddressType.IPV4);
  if (ipv4Only.length > 0) {
    fail(scope, 'supportedIpAddressTypes includes IPV6 but Gateway Load Balancer(s) '
      + `${ipv4Only.map((lb) => lb.node.path).join(', ')} are IPv4-only: set their ipAddressType to DUAL_STACK`);
  }
}
