import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  GatewayLoadBalancerEndpoint, GatewayLoadBalancerIpAddressType, IGatewayLoadBalancerEndpointService, IngressRouteTable,
} from '../gwlb';
import { enableAccessLogs } from './alb-access-logs';
import {
  APPLICATION_SUBNET_GROUP, ApplicationEgress, ApplicationIpProtocol, createApplicationNetwork, ENDPOINT_SUBNET_GROUP, LOAD_BALANCER_SUBNET_GROUP,
} from './application-vpc-layout';
import { validateDualStackService, validateDualStackSubnets } from './dual-stack-checks';
import { InspectionRouting } from './inspection-routing';
import { UninspectedEgress } from './uninspected-egress';
import { distinctAvailabilityZones, fail, showAz } from './validation';
import { WebServerFleet } from './web-server-fleet';
import { validateWebServerPort } from './web-server-port';

/** Properties of an {@link InspectedApplication}, without the inspection service. */
export interface InspectedApplicationOptions {
  /**
   * Use this VPC (it needs an internet gateway) instead of creating one; not together with
   * `cidr`, `maxAzs` or `egress`. Its load balancer subnets get their default route replaced
   * (subnets defined in this app) or added (imported subnets: they must not have one).
   * @default - a new VPC with flow logs
   */
  readonly existingVpc?: ec2.IVpc;

  /**
   * The CIDR block of the new VPC.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;

  /**
   * The number of availability zones of the new VPC, at least 2.
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * How the instances of a new VPC reach the internet.
   * @default ApplicationEgress.INSPECTED_NAT_GATEWAYS
   */
  readonly egress?: ApplicationEgress;

  /**
   * Serve IPv6 clients too. `DUAL_STACK` makes a new VPC dual-stack (an `existingVpc` must
   * already give its endpoint and load balancer subnets IPv6 CIDR blocks, and be defined in this
   * app), the load balancer and the endpoints dual-stack, and routes every load balancer
   * subnet's IPv6 traffic through the endpoint in its zone, both ways. The inspection service
   * must support IPv6.
   * @default ApplicationIpProtocol.IPV4_ONLY
   */
  readonly ipProtocol?: ApplicationIpProtocol;

  /**
   * The internet gateway of `existingVpc`.
   * @default - the internet gateway of an `ec2.Vpc` defined in this app; required for imported VPCs
   */
  readonly internetGatewayId?: string;

  /**
   * Endpoint subnets of `existingVpc`, one per zone, default route to the internet gateway.
   * @default - the subnet group named 'Endpoint'
   */
  readonly endpointSubnets?: ec2.SubnetSelection;

  /**
   * Load balancer subnets of `existingVpc`, one per zone, each in a zone with an endpoint subnet.
   * @default - the subnet group named 'LoadBalancer'
   */
  readonly loadBalancerSubnets?: ec2.SubnetSelection;

  /**
   * Application subnets of `existingVpc`.
   * @default - the subnet group named 'Application'
   */
  readonly applicationSubnets?: ec2.SubnetSelection;

  /**
   * A certificate for an HTTPS listener; HTTP then redirects to HTTPS.
   * @default - HTTP only
   */
  readonly certificate?: acm.ICertificate;

  /**
   * The bucket for the load balancer's access logs (SSE-S3 encrypted).
   * @default - a new encrypted, TLS-only, private bucket that expires logs after 90 days
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * The key prefix of the access logs.
   * @default 'alb'
   */
  readonly accessLogsPrefix?: string;

  /** @default t4g.micro */
  readonly instanceType?: ec2.InstanceType;

  /** @default - the latest Amazon Linux 2023 for the instance type */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * User data of the instances; must serve HTTP on `targetPort` and answer `healthCheckPath`
   * with HTTP 200.
   * @default - installs nginx and serves a page naming the availability zone (HTTP on port 80)
   */
  readonly userData?: ec2.UserData;

  /**
   * The port the web servers serve HTTP on: the target group's port, and the only port the
   * load balancer may reach the instances on. A port other than 80 needs your own `userData`.
   * @default 80
   */
  readonly targetPort?: number;

  /**
   * The path of the target group's HTTP health check; it must answer HTTP 200.
   * @default '/'
   */
  readonly healthCheckPath?: string;

  /**
   * Whether the instances' internet egress may skip the Gateway Load Balancer endpoints. Every
   * route of the application and load balancer subnets is followed at synth time (to internet
   * gateways, egress-only internet gateways, NAT gateways and their subnets); a path that does not
   * cross the endpoint of the subnet's own zone both ways fails synthesis, unless this allows it
   * (then each such path is named in a warning).
   * @default UninspectedEgress.deny()
   */
  readonly uninspectedEgress?: UninspectedEgress;

  /** @default - a role without permissions */
  readonly instanceRole?: iam.IRole;

  /**
   * The minimum number of web servers.
   * @default - one per availability zone of the application subnets
   */
  readonly minCapacity?: number;

  /**
   * The maximum number of web servers.
   * @default - 4, or minCapacity when that is larger
   */
  readonly maxCapacity?: number;

  /** @default - not set */
  readonly desiredCapacity?: number;

  /** @default - a new topic */
  readonly notificationsTopic?: sns.ITopic;
}

/** Properties of an {@link InspectedApplication}. */
export interface InspectedApplicationProps extends InspectedApplicationOptions {
  /**
   * The inspection service: an `InspectionVpc`, its `endpointService`, or a service in another
   * account from `GatewayLoadBalancerEndpointService.fromServiceName()`.
   */
  readonly inspectionService: IGatewayLoadBalancerEndpointService;
}

/**
 * The application side: an internet-facing Application Load Balancer and instances behind it,
 * in a VPC whose internet traffic crosses Gateway Load Balancer endpoints in both directions,
 * per availability zone (see {@link InspectionRouting}).
 */
export class InspectedApplication extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly endpointSubnets: ec2.ISubnet[];
  public readonly loadBalancerSubnets: ec2.ISubnet[];
  public readonly applicationSubnets: ec2.ISubnet[];
  public readonly routing: InspectionRouting;
  public readonly endpoints: GatewayLoadBalancerEndpoint[];
  public readonly ingressRouteTable: IngressRouteTable;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  public readonly accessLogsBucket: s3.IBucket;
  /** The HTTP listener: forwards, or redirects to HTTPS when a certificate is given. */
  public readonly httpListener: elbv2.ApplicationListener;
  /** The HTTPS listener, when a certificate is given. */
  public readonly httpsListener?: elbv2.ApplicationListener;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly webServers: WebServerFleet;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** The IP protocols of the internet-facing path. */
  public readonly ipProtocol: ApplicationIpProtocol;

  constructor(scope: Construct, id: string, props: InspectedApplicationProps) {
    super(scope, id);
    this.ipProtocol = props.ipProtocol ?? ApplicationIpProtocol.IPV4_ONLY;
    const dualStack = this.ipProtocol === ApplicationIpProtocol.DUAL_STACK;
    if (dualStack) {
      validateDualStackService(this, props.inspectionService);
    }
    const { targetPort, healthCheckPath } = validateWebServerPort(this, props);
    const internetGatewayId = this.resolveNetwork(props);
    this.vpc = props.existingVpc ?? createApplicationNetwork(this, 'Vpc', {
      cidr: props.cidr ?? '10.0.0.0/16',
      maxAzs: props.maxAzs ?? 2,
      egress: props.egress ?? ApplicationEgress.INSPECTED_NAT_GATEWAYS,
      ipProtocol: this.ipProtocol,
    });
    const igw = internetGatewayId ?? (this.vpc as ec2.Vpc).internetGatewayId!;
    this.endpointSubnets = this.select(props.endpointSubnets, ENDPOINT_SUBNET_GROUP, 'endpointSubnets');
    this.loadBalancerSubnets = this.select(props.loadBalancerSubnets, LOAD_BALANCER_SUBNET_GROUP, 'loadBalancerSubnets');
    this.applicationSubnets = this.select(props.applicationSubnets, APPLICATION_SUBNET_GROUP, 'applicationSubnets');
    this.validateZones();
    if (dualStack) {
      validateDualStackSubnets(this, 'endpointSubnets', this.endpointSubnets);
      validateDualStackSubnets(this, 'loadBalancerSubnets', this.loadBalancerSubnets);
    }

    this.routing = new InspectionRouting(this, 'Routing', {
      vpc: this.vpc,
      inspectionService: props.inspectionService,
      internetGatewayId: igw,
      endpointSubnets: { subnets: this.endpointSubnets },
      protectedSubnets: { subnets: this.loadBalancerSubnets },
      egressSubnets: { subnets: this.applicationSubnets },
      ipAddressType: dualStack ? GatewayLoadBalancerIpAddressType.DUAL_STACK : undefined,
      uninspectedEgress: props.uninspectedEgress,
    });
    this.endpoints = this.routing.endpoints;
    this.ingressRouteTable = this.routing.ingressRouteTable;
    // NAT gateways in the load balancer subnets: reachable only once their traffic is inspected.
    for (const subnet of this.loadBalancerSubnets) {
      subnet.node.children.filter((c) => c instanceof ec2.CfnNatGateway)
        .forEach((nat) => nat.node.addDependency(this.routing.inspectionEstablished));
    }

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'Internet-facing load balancer: HTTP(S) from anywhere, inspected by the Gateway Load Balancer',
      allowAllOutbound: false,
    });
    const ports = props.certificate ? [80, 443] : [80];
    const peers: Array<[ec2.IPeer, string]> = dualStack
      ? [[ec2.Peer.anyIpv4(), ' over IPv4'], [ec2.Peer.anyIpv6(), ' over IPv6']]
      : [[ec2.Peer.anyIpv4(), '']];
    for (const port of ports) {
      for (const [peer, family] of peers) {
        this.loadBalancerSecurityGroup.addIngressRule(peer, ec2.Port.tcp(port), `HTTP${port === 443 ? 'S' : ''} from the internet${family}`);
      }
    }
    Validations.of(this.loadBalancerSecurityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason: 'The internet-facing load balancer must accept clients from any address on its listener ports; '
        + 'every such packet is inspected by the Gateway Load Balancer appliances before it arrives',
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      vpcSubnets: { subnets: this.loadBalancerSubnets },
      securityGroup: this.loadBalancerSecurityGroup,
      dropInvalidHeaderFields: true,
      ipAddressType: dualStack ? elbv2.IpAddressType.DUAL_STACK : undefined,
    });
    this.loadBalancer.node.addDependency(this.routing.inspectionEstablished);
    if (props.accessLogsBucket?.encryptionKey) {
      fail(this, 'accessLogsBucket must use S3-managed encryption (SSE-S3): load balancers cannot write access logs '
        + `to a bucket encrypted with a KMS key (${props.accessLogsBucket.node.path})`);
    }
    this.accessLogsBucket = props.accessLogsBucket ?? this.createAccessLogsBucket();
    enableAccessLogs(this.loadBalancer, this.accessLogsBucket, props.accessLogsPrefix ?? 'alb');

    this.webServers = new WebServerFleet(this, 'WebServers', {
      vpc: this.vpc,
      vpcSubnets: { subnets: this.applicationSubnets },
      instanceType: props.instanceType,
      machineImage: props.machineImage,
      userData: props.userData,
      role: props.instanceRole,
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      desiredCapacity: props.desiredCapacity,
      notificationsTopic: props.notificationsTopic,
    });
    this.autoScalingGroup = this.webServers.autoScalingGroup;
    this.launchTemplate = this.webServers.launchTemplate;
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: this.vpc,
      port: targetPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.autoScalingGroup],
      healthCheck: { path: healthCheckPath, healthyHttpCodes: '200', interval: Duration.seconds(15) },
      deregistrationDelay: Duration.seconds(30),
    });

    if (props.certificate) {
      this.httpsListener = this.loadBalancer.addListener('HttpsListener', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromCertificateManager(props.certificate)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
        open: false,
      });
      this.httpListener = this.loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
        open: false,
      });
    } else {
      this.httpListener = this.loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
        open: false,
      });
    }
  }

  /** Validate the VPC props; returns the internet gateway of an existing VPC. */
  private resolveNetwork(props: InspectedApplicationProps): string | undefined {
    if (!props.existingVpc) {
      const vpcOnly = [['internetGatewayId', props.internetGatewayId], ['endpointSubnets', props.endpointSubnets],
        ['loadBalancerSubnets', props.loadBalancerSubnets], ['applicationSubnets', props.applicationSubnets]] as const;
      for (const [name, value] of vpcOnly) {
        if (value !== undefined) {
          fail(this, `${name} only applies with existingVpc (the new VPC's layout is fixed)`);
        }
      }
      return undefined;
    }
    for (const [name, value] of [['cidr', props.cidr], ['maxAzs', props.maxAzs], ['egress', props.egress]] as const) {
      if (value !== undefined) {
        fail(this, `${name} (${value}) configures a new VPC and cannot be used with existingVpc`);
      }
    }
    const existing = props.existingVpc;
    const igw = props.internetGatewayId ?? (existing instanceof ec2.Vpc ? existing.internetGatewayId : undefined);
    if (igw === undefined) {
      fail(this, `existingVpc (${props.existingVpc.node.path}) has no internet gateway known to CDK `
        + '(internetGatewayId is undefined): an internet-facing load balancer needs one; for an imported VPC '
        + 'pass internetGatewayId (igw-...), for a VPC defined in this app give it public subnets');
    }
    return igw;
  }

  private select(selection: ec2.SubnetSelection | undefined, group: string, prop: string): ec2.ISubnet[] {
    const chosen = selection ?? { subnetGroupName: group };
    let subnets: ec2.ISubnet[];
    try {
      subnets = this.vpc.selectSubnets(chosen).subnets;
    } catch (e) {
      fail(this, `${prop}: ${(e as Error).message}`);
    }
    if (subnets.length === 0) {
      fail(this, `${prop} selected no subnets${selection ? '' : ` (default: the subnet group '${group}')`}`);
    }
    return subnets;
  }

  private validateZones(): void {
    const lbZones = distinctAvailabilityZones(this.loadBalancerSubnets);
    if (lbZones.length !== this.loadBalancerSubnets.length) {
      fail(this, 'loadBalancerSubnets must have one subnet per availability zone, got '
        + `${this.loadBalancerSubnets.length} subnets in ${lbZones.length} zone(s)`);
    }
    if (lbZones.length < 2) {
      fail(this, `loadBalancerSubnets must span at least 2 availability zones (Application Load Balancer), got ${lbZones.length}`);
    }
    const endpointZones = distinctAvailabilityZones(this.endpointSubnets);
    const missing = lbZones.filter((az) => !endpointZones.includes(az));
    if (missing.length > 0) {
      fail(this, `endpointSubnets cover fewer availability zones (${endpointZones.length}: `
        + `${endpointZones.map(showAz).join(', ')}) than loadBalancerSubnets (${lbZones.length}); no endpoint in `
        + `${missing.map(showAz).join(', ')}: each load balancer zone needs an endpoint in the same zone`);
    }
  }

  private createAccessLogsBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'This bucket only receives the load balancer access logs; server access logs for it would need '
        + 'another log bucket with the same finding (or a self-logging loop)',
    });
    return bucket;
  }
}
