import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  FlowStickiness, GatewayLoadBalancer, GatewayLoadBalancerEndpointService, GatewayLoadBalancerIpAddressType, GatewayLoadBalancerListener,
  GeneveHealthCheck, GeneveHealthCheckProtocol, GeneveTarget, GeneveTargetGroup,
  IGatewayLoadBalancerEndpointService, TargetFailover,
} from '../gwlb';
import { IMonitoredInspection, InspectionMonitoring } from '../monitoring';
import { Appliance } from './appliance';
import { ApplianceFleet } from './appliance-fleet';
import { addAgentServiceEndpoints } from './agent-service-endpoints';
import { ApplianceScaling } from './appliance-scaling';
import { APPLIANCE_SUBNET_GROUP, createInspectionNetwork } from './inspection-vpc-layout';
import { fail, showAz, subnetCidr } from './validation';

/** The agent's default health port. */
const DEFAULT_AGENT_HEALTH_PORT = 8080;
/** The agent's health path. */
const AGENT_HEALTH_PATH = '/healthz';

/** Properties of an {@link InspectionVpc}. */
export interface InspectionVpcProps {
  /**
   * Use this VPC instead of creating one (not together with `cidr`, `maxAzs` or `natGateways`).
   * @default - a new VPC with flow logs
   */
  readonly existingVpc?: ec2.IVpc;

  /**
   * The CIDR block of the new VPC.
   * @default '10.100.0.0/16'
   */
  readonly cidr?: string;

  /**
   * The number of availability zones of the new VPC, at least 2.
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * NAT gateways of the new VPC for the appliances' outbound HTTPS (Session Manager, packages).
   * 0 makes the appliance subnets isolated (S3 stays reachable through a gateway endpoint; with
   * the bundled agent, interface endpoints for SSM, CloudWatch, CloudWatch Logs and
   * CloudFormation are added, about $0.01 per endpoint and zone-hour).
   * @default - one per availability zone
   */
  readonly natGateways?: number;

  /**
   * The subnets of the appliances and the Gateway Load Balancer: one per availability zone, at
   * least two zones.
   * @default - the `Appliance` subnets of a new VPC; the private subnets with egress of an existing VPC, or its isolated subnets when it has none
   */
  readonly applianceSubnets?: ec2.SubnetSelection;

  /**
   * The appliance software.
   * @default Appliance.agent()
   */
  readonly appliance?: Appliance;

  /**
   * The appliance instance type; the default image follows its architecture.
   * @default c6g.large
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The minimum number of appliances.
   * @default - one per availability zone of the appliance subnets
   */
  readonly minCapacity?: number;

  /**
   * The maximum number of appliances.
   * @default - 4, or minCapacity when that is larger
   */
  readonly maxCapacity?: number;

  /**
   * @default - not set (the group starts at minCapacity)
   */
  readonly desiredCapacity?: number;

  /**
   * The scaling policy.
   * @default ApplianceScaling.cpu(40)
   */
  readonly scaling?: ApplianceScaling;

  /**
   * The target group health check. With the bundled agent unset fields take the agent's values;
   * with `Appliance.custom(...)` it is required (unset fields take the Gateway Load Balancer
   * defaults: TCP on port 80, path `/` for HTTP(S)).
   * @default - bundled agent: HTTP GET /healthz on port 8080 every 10 seconds, thresholds 3/3;
   * required with `Appliance.custom(...)`
   */
  readonly healthCheck?: GeneveHealthCheck;

  /**
   * How long deregistering appliances keep their flows; also the agent's `--drain-seconds`.
   * @default Duration.seconds(300) (the AWS default)
   */
  readonly deregistrationDelay?: Duration;

  /**
   * Flow stickiness.
   * @default FlowStickiness.FIVE_TUPLE
   */
  readonly stickiness?: FlowStickiness;

  /**
   * What happens to existing flows of a deregistered or unhealthy appliance.
   * @default TargetFailover.NO_REBALANCE
   */
  readonly targetFailover?: TargetFailover;

  /**
   * TCP idle timeout, 60..6000 seconds (5-tuple stickiness only); also the agent's `--tcp-idle-seconds`.
   * @default - 350 seconds (the AWS default)
   */
  readonly tcpIdleTimeout?: Duration;

  /**
   * Cross-zone load balancing.
   * @default false
   */
  readonly crossZoneEnabled?: boolean;

  /**
   * Reserved minimum capacity of the Gateway Load Balancer, in capacity units.
   * @default - no reservation
   */
  readonly minimumCapacityUnits?: number;

  /**
   * TCP resets for the flows of unhealthy appliances (`send_tcp_reset.on_unhealthy.enabled`);
   * 5-tuple stickiness only, no effect with `TargetFailover.REBALANCE`.
   * @default - not written (AWS default: false)
   */
  readonly tcpResetOnUnhealthy?: boolean;

  /**
   * TCP resets for the flows of deregistered appliances (`send_tcp_reset.on_deregistration.enabled`);
   * 5-tuple stickiness only, no effect with `TargetFailover.REBALANCE`.
   * @default - not written (AWS default: false)
   */
  readonly tcpResetOnDeregistration?: boolean;

  /**
   * TCP resets when a TCP flow's idle timeout expires (listener attribute
   * `send_tcp_reset.on_idle_timeout.enabled`); 5-tuple stickiness only.
   * @default - not written (AWS default: false)
   */
  readonly tcpResetOnIdleTimeout?: boolean;

  /**
   * The IP address type of the Gateway Load Balancer. `DUAL_STACK` lets application endpoints
   * carry IPv6 traffic: a new VPC is then dual-stack (an `existingVpc` needs IPv6 CIDR blocks in
   * the appliance subnets), the load balancer is dual-stack and the endpoint service supports
   * IPv4 and IPv6. The appliances stay IPv4-only: GENEVE always arrives in an outer IPv4 header.
   * @default GatewayLoadBalancerIpAddressType.IPV4
   */
  readonly ipAddressType?: GatewayLoadBalancerIpAddressType;

  /**
   * Whether each new endpoint must be accepted by hand. Off by default for same-account use:
   * the application's endpoints are created by CloudFormation, and a pending endpoint silently
   * black-holes the routes that point at it until someone accepts it.
   * @default false
   */
  readonly acceptanceRequired?: boolean;

  /**
   * The principals that may create endpoints for the service (add other accounts here).
   * @default - this stack's account only
   */
  readonly allowedPrincipals?: iam.ArnPrincipal[];

  /**
   * Allow all outbound traffic from the appliances.
   * @default false (GENEVE to the load balancer subnets and HTTPS only)
   */
  readonly allowAllOutbound?: boolean;

  /**
   * The topic for the appliance group's scaling notifications (and, by default, the alarms).
   * @default - a new topic
   */
  readonly notificationsTopic?: sns.ITopic;

  /**
   * Add a CloudWatch dashboard and alarms (an `InspectionMonitoring`); false leaves them out.
   * @default true
   */
  readonly monitoring?: boolean;
}

/**
 * The security side of a Gateway Load Balancer inspection architecture: a VPC (new or yours),
 * a Gateway Load Balancer, a GENEVE target group, an Auto Scaling group of appliances and a VPC
 * endpoint service that application VPCs connect to.
 *
 * It is an {@link IGatewayLoadBalancerEndpointService}: pass it as the inspection service of
 * an `InspectedApplication`.
 */
export class InspectionVpc extends Construct implements IGatewayLoadBalancerEndpointService, IMonitoredInspection {
  public readonly vpc: ec2.IVpc;
  /** The subnets of the appliances and the load balancer. */
  public readonly applianceSubnets: ec2.ISubnet[];
  public readonly gatewayLoadBalancer: GatewayLoadBalancer;
  public readonly targetGroup: GeneveTargetGroup;
  public readonly listener: GatewayLoadBalancerListener;
  public readonly appliances: ApplianceFleet;
  /** The appliances' Auto Scaling group (the concrete class is `appliances.autoScalingGroup`). */
  public readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly role: iam.Role;
  public readonly endpointService: GatewayLoadBalancerEndpointService;
  /** The endpoint service name (`com.amazonaws.vpce.<region>.vpce-svc-...`). */
  public readonly serviceName: string;
  /** The IP address type of the Gateway Load Balancer. */
  public readonly ipAddressType: GatewayLoadBalancerIpAddressType;
  /** The dashboard and alarms, unless `monitoring: false`. */
  public readonly monitoring?: InspectionMonitoring;

  constructor(scope: Construct, id: string, props: InspectionVpcProps = {}) {
    super(scope, id);
    this.ipAddressType = props.ipAddressType ?? GatewayLoadBalancerIpAddressType.IPV4;
    this.vpc = this.resolveVpc(props);
    const selection = props.applianceSubnets ?? defaultApplianceSubnets(this.vpc, props.existingVpc !== undefined);
    this.applianceSubnets = this.selectApplianceSubnets(selection);

    const appliance = props.appliance ?? Appliance.agent();
    this.gatewayLoadBalancer = new GatewayLoadBalancer(this, 'GatewayLoadBalancer', {
      vpc: this.vpc,
      vpcSubnets: { subnets: this.applianceSubnets },
      crossZoneEnabled: props.crossZoneEnabled,
      ipAddressType: props.ipAddressType,
      minimumCapacityUnits: props.minimumCapacityUnits,
    });
    Validations.of(this.gatewayLoadBalancer.node.defaultChild!).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ELB2',
      reason: 'Gateway Load Balancers have no access logs (a layer-3 pass-through has no requests to log); '
        + 'the VPC flow logs of both VPCs record the inspected flows instead',
    });
    this.targetGroup = new GeneveTargetGroup(this, 'TargetGroup', {
      vpc: this.vpc,
      healthCheck: applianceHealthCheck(this, appliance, props.healthCheck),
      deregistrationDelay: props.deregistrationDelay,
      stickiness: props.stickiness,
      targetFailover: props.targetFailover,
      tcpIdleTimeout: props.tcpIdleTimeout,
      tcpResetOnUnhealthy: props.tcpResetOnUnhealthy,
      tcpResetOnDeregistration: props.tcpResetOnDeregistration,
    });
    this.listener = this.gatewayLoadBalancer.addListener('Listener', {
      defaultTargetGroup: this.targetGroup,
      tcpResetOnIdleTimeout: props.tcpResetOnIdleTimeout,
    });

    this.appliances = new ApplianceFleet(this, 'Appliances', {
      vpc: this.vpc,
      vpcSubnets: { subnets: this.applianceSubnets },
      loadBalancerSubnetCidrs: this.applianceSubnets.map((s) => subnetCidr(this, 'applianceSubnets', s)),
      healthCheck: this.targetGroup.healthCheck,
      deregistrationDelay: this.targetGroup.deregistrationDelay,
      tcpIdleTimeout: this.listener.tcpIdleTimeout,
      appliance,
      instanceType: props.instanceType,
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      desiredCapacity: props.desiredCapacity,
      scaling: props.scaling,
      allowAllOutbound: props.allowAllOutbound,
      notificationsTopic: props.notificationsTopic,
    });
    this.autoScalingGroup = this.appliances.autoScalingGroup;
    this.launchTemplate = this.appliances.launchTemplate;
    this.securityGroup = this.appliances.securityGroup;
    this.role = this.appliances.role;
    this.targetGroup.addTarget(GeneveTarget.autoScalingGroup(this.appliances.autoScalingGroup));
    if (props.natGateways === 0 && props.existingVpc === undefined && this.appliances.metricsNamespace !== undefined) {
      addAgentServiceEndpoints(this, this.vpc, this.applianceSubnets, this.appliances.autoScalingGroup);
    }

    this.endpointService = new GatewayLoadBalancerEndpointService(this, 'EndpointService', {
      gatewayLoadBalancers: [this.gatewayLoadBalancer],
      acceptanceRequired: props.acceptanceRequired ?? false,
      allowedPrincipals: props.allowedPrincipals
        ?? [new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`)],
      supportedIpAddressTypes: this.dualStack ? [ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6] : undefined,
    });
    this.serviceName = this.endpointService.serviceName;
    if (props.monitoring !== false) {
      this.monitoring = new InspectionMonitoring(this, 'Monitoring', { inspection: this });
    }
  }

  /** The bundled agent's CloudWatch namespace; undefined for a custom appliance. */
  public get agentMetricsNamespace(): string | undefined {
    return this.appliances.metricsNamespace;
  }

  /** The appliance group's notifications topic. */
  public get notificationsTopic(): sns.ITopic {
    return this.appliances.notificationsTopic;
  }

  /** The IP address types the endpoint service accepts (IPv4, and IPv6 when dual-stack). */
  public get supportedIpAddressTypes(): ec2.IpAddressType[] | undefined {
    return this.endpointService.supportedIpAddressTypes;
  }

  /** Whether the Gateway Load Balancer and the endpoint service are dual-stack. */
  public get dualStack(): boolean {
    return this.ipAddressType === GatewayLoadBalancerIpAddressType.DUAL_STACK;
  }

  private resolveVpc(props: InspectionVpcProps): ec2.IVpc {
    if (props.existingVpc) {
      for (const [name, value] of [['cidr', props.cidr], ['maxAzs', props.maxAzs], ['natGateways', props.natGateways]] as const) {
        if (value !== undefined) {
          fail(this, `${name} (${value}) configures a new VPC and cannot be used with existingVpc`);
        }
      }
      return props.existingVpc;
    }
    return createInspectionNetwork(this, 'Vpc', {
      cidr: props.cidr ?? '10.100.0.0/16',
      maxAzs: props.maxAzs ?? 2,
      natGateways: props.natGateways,
      dualStack: this.dualStack,
    });
  }

  private selectApplianceSubnets(selection: ec2.SubnetSelection): ec2.ISubnet[] {
    let subnets: ec2.ISubnet[];
    try {
      subnets = this.vpc.selectSubnets(selection).subnets;
    } catch (e) {
      fail(this, `applianceSubnets: ${(e as Error).message}`);
    }
    const seen = new Set<string>();
    for (const subnet of subnets) {
      if (seen.has(subnet.availabilityZone)) {
        fail(this, `applianceSubnets selected two subnets in availability zone ${showAz(subnet.availabilityZone)}: `
          + 'the Gateway Load Balancer takes one subnet per zone (narrow the selection or use onePerAz: true)');
      }
      seen.add(subnet.availabilityZone);
    }
    return subnets;
  }
}

/**
 * The appliance subnets of an existing VPC: its private subnets with egress, or, when it has
 * none, its isolated ones (an inspection VPC without NAT gateways).
 */
function defaultApplianceSubnets(vpc: ec2.IVpc, existing: boolean): ec2.SubnetSelection {
  if (!existing) {
    return { subnetGroupName: APPLIANCE_SUBNET_GROUP };
  }
  return { subnetType: vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED };
}

/** The health check of the target group: the agent's defaults, or the user's (required for other appliances). */
function applianceHealthCheck(scope: Construct, appliance: Appliance, user: GeneveHealthCheck | undefined): GeneveHealthCheck {
  if (appliance.usesBundledAgent) {
    return withAgentDefaults(user);
  }
  if (user === undefined) {
    fail(scope, 'healthCheck is required with Appliance.custom(...): the health port and path of your appliance are its '
      + 'vendor\'s, not the bundled agent\'s HTTP 8080 /healthz; set healthCheck to what the image serves, for example '
      + '{ protocol: GeneveHealthCheckProtocol.HTTPS, port: 443, path: \'/health\' } or { protocol: GeneveHealthCheckProtocol.TCP, port: 22 }');
  }
  return user;
}

/** The agent's health check (HTTP GET /healthz on 8080) under the fields the user set. */
function withAgentDefaults(user: GeneveHealthCheck = {}): GeneveHealthCheck {
  const protocol = user.protocol ?? GeneveHealthCheckProtocol.HTTP;
  const http = protocol !== GeneveHealthCheckProtocol.TCP;
  return {
    ...user,
    protocol,
    port: user.trafficPort ? undefined : user.port ?? DEFAULT_AGENT_HEALTH_PORT,
    path: http ? user.path ?? AGENT_HEALTH_PATH : user.path,
  };
}
