import { Annotations, Fn, Lazy, Resource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, DependencyGroup, IConstruct, IDependable } from 'constructs';
import { GatewayLoadBalancer, IGatewayLoadBalancer } from './gateway-load-balancer';
import { fail, isConcrete } from './validation';

/** A VPC endpoint service backed by Gateway Load Balancers, created here or imported. */
export interface IGatewayLoadBalancerEndpointService {
  /** The service name, `com.amazonaws.vpce.<region>.vpce-svc-<id>`. */
  readonly serviceName: string;
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
    class Import extends Resource implements IGatewayLoadBalancerEndpointService {
      public readonly serviceName = serviceName;
    }
    const imported = new Import(scope, id);
    if (isConcrete(serviceName) && !SERVICE_NAME.test(serviceName)) {
      fail(imported, `serviceName must look like com.amazonaws.vpce.<region>.vpce-svc-<hex id>, got '${serviceName}'`);
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

    const resource = new ec2.CfnVPCEndpointService(this, 'Resource', {
      gatewayLoadBalancerArns: this.gatewayLoadBalancers.map((lb) => lb.loadBalancerArn),
      acceptanceRequired: this.acceptanceRequired,
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
