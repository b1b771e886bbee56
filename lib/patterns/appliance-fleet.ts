import { Annotations, Duration, Names, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { GeneveHealthCheck } from '../gwlb';
import { AGENT_GENEVE_PORT } from './agent-systemd-unit';
import { Appliance } from './appliance';
import { AppliancePolicy } from './appliance-policy';
import { ApplianceScaling } from './appliance-scaling';
import { createHardenedLaunchTemplate } from './hardened-launch-template';
import { createFleetGroup } from './fleet-group';
import { defaultCapacity, distinctAvailabilityZones, fail, validateCapacity } from './validation';

/** The default instance type of the appliances: Graviton, 2 vCPUs, up to 10 Gbps. */
const DEFAULT_APPLIANCE_INSTANCE_TYPE = 'c6g.large';

/** Properties of an {@link ApplianceFleet}. */
export interface ApplianceFleetProps {
  /** The VPC of the appliances. */
  readonly vpc: ec2.IVpc;

  /** The subnets of the appliances: at least two availability zones. */
  readonly vpcSubnets: ec2.SubnetSelection;

  /**
   * The IPv4 CIDR blocks of the Gateway Load Balancer's subnets: the only sources the security
   * group admits, on UDP 6081 (GENEVE) and on the health-check port.
   */
  readonly loadBalancerSubnetCidrs: string[];

  /** The target group's health check, with defaults filled in (`GeneveTargetGroup.healthCheck`). */
  readonly healthCheck: GeneveHealthCheck;

  /** The target group's deregistration delay (`GeneveTargetGroup.deregistrationDelay`). */
  readonly deregistrationDelay: Duration;

  /**
   * The listener's TCP idle timeout.
   * @default - the Gateway Load Balancer default (350 seconds)
   */
  readonly tcpIdleTimeout?: Duration;

  /**
   * The appliance software.
   * @default Appliance.agent()
   */
  readonly appliance?: Appliance;

  /**
   * The instance type.
   * @default c6g.large
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Minimum number of appliances.
   * @default - one per availability zone of `vpcSubnets`
   */
  readonly minCapacity?: number;

  /**
   * Maximum number of appliances.
   * @default - 4, or minCapacity when that is larger
   */
  readonly maxCapacity?: number;

  /**
   * Initial number of appliances (setting it resets the group's size on every deployment).
   * @default - not set: the group starts at minCapacity and scaling decides
   */
  readonly desiredCapacity?: number;

  /**
   * The scaling policy.
   * @default ApplianceScaling.cpu(40) (below the 50 % a single busy core shows on 2 vCPUs)
   */
  readonly scaling?: ApplianceScaling;

  /**
   * Allow all outbound traffic. When false, the appliances may only send GENEVE (UDP 6081) to the
   * load balancer subnets and HTTPS (TCP 443) anywhere (package repositories, S3, Systems Manager).
   * @default false
   */
  readonly allowAllOutbound?: boolean;

  /**
   * The topic for the group's launch and termination notifications.
   * @default - a new topic that requires TLS from publishers
   */
  readonly notificationsTopic?: sns.ITopic;
}

/**
 * The inspection appliances: a launch template (IMDSv2, encrypted gp3 root volume, Session
 * Manager access, no key pair), a security group that admits only the Gateway Load Balancer's
 * subnets, and an Auto Scaling group across at least two availability zones with load balancer
 * health checks, notifications, a rolling update policy and a target-tracking scaling policy.
 */
export class ApplianceFleet extends Construct {
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly role: iam.Role;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The scaling policy, unless `ApplianceScaling.none()`. */
  public readonly scalingPolicy?: autoscaling.TargetTrackingScalingPolicy;
  public readonly notificationsTopic: sns.ITopic;
  public readonly machineImage: ec2.IMachineImage;
  public readonly userData: ec2.UserData;
  /** The agent bundle asset, when the appliances run the bundled agent. */
  public readonly agentAsset?: s3_assets.Asset;
  /** The agent policy, when the appliances run the bundled agent. */
  public readonly policy?: AppliancePolicy;
  /** The availability zones of the appliances. */
  public readonly availabilityZones: string[];
  /** The SSM parameter the bundled agent polls for its policy. */
  public readonly policyParameter?: ssm.IStringParameter;
  /** The CloudWatch Logs group of the bundled agent. */
  public readonly logGroup?: logs.ILogGroup;
  /** The CloudWatch namespace of the bundled agent's metrics (AutoScalingGroupName, AvailabilityZone, InstanceId). */
  public readonly metricsNamespace?: string;

  constructor(scope: Construct, id: string, props: ApplianceFleetProps) {
    super(scope, id);
    const selected = props.vpc.selectSubnets(props.vpcSubnets);
    const subnets = selected.subnets;
    this.availabilityZones = distinctAvailabilityZones(subnets);
    const { minCapacity, maxCapacity } = defaultCapacity(props, this.availabilityZones.length);
    validateCapacity(this, { minCapacity, maxCapacity, desiredCapacity: props.desiredCapacity });
    if (props.loadBalancerSubnetCidrs.length === 0) {
      fail(this, 'loadBalancerSubnetCidrs must not be empty: the appliances would admit no GENEVE traffic');
    }
    if (this.availabilityZones.length < 2) {
      fail(this, `applianceSubnets (vpcSubnets) must span at least 2 availability zones, got ${this.availabilityZones.length} `
        + `(${subnets.length} subnet(s)): one zone failing would stop all inspection`);
    }
    if (!Token.isUnresolved(minCapacity) && minCapacity < this.availabilityZones.length) {
      Annotations.of(this).addWarningV2('cdk-gwlb-inspection:minCapacityBelowZones',
        `minCapacity (${minCapacity}) is below the number of availability zones (${this.availabilityZones.length}): `
        + 'a zone without a healthy appliance drops its traffic unless cross-zone load balancing is enabled');
    }

    this.securityGroup = this.createSecurityGroup(props);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'GWLB inspection appliances: Session Manager access and the agent bundle',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager access, '
        + 'which replaces SSH keys on the appliances; a copy would drift from the SSM agent\'s needs',
    });

    const instanceType = props.instanceType ?? new ec2.InstanceType(DEFAULT_APPLIANCE_INSTANCE_TYPE);
    // Named at synth time (unique per stack and path), so the agent gets it as its metric dimension.
    const autoScalingGroupName = Names.uniqueResourceName(this, { maxLength: 240, separator: '-' });
    const config = (props.appliance ?? Appliance.agent()).bind(this, {
      autoScalingGroupName,
      instanceType,
      role: this.role,
      healthCheck: props.healthCheck,
      deregistrationDelay: props.deregistrationDelay,
      tcpIdleTimeout: props.tcpIdleTimeout,
    });
    this.machineImage = config.machineImage;
    this.userData = config.userData;
    this.agentAsset = config.agentAsset;
    this.policy = config.policy;
    this.policyParameter = config.policyParameter;
    this.logGroup = config.logGroup;
    this.metricsNamespace = config.metricsNamespace;
    const signals = config.signalsWhenHealthy === true;

    this.launchTemplate = createHardenedLaunchTemplate(this, 'LaunchTemplate', {
      instanceType,
      machineImage: config.machineImage,
      userData: config.userData,
      role: this.role,
      securityGroup: this.securityGroup,
      rootDeviceName: config.rootDeviceName,
      rootVolumeSize: config.rootVolumeSize,
    });

    ({ notificationsTopic: this.notificationsTopic, autoScalingGroup: this.autoScalingGroup } = createFleetGroup(this, {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      launchTemplate: this.launchTemplate,
      minCapacity,
      maxCapacity,
      desiredCapacity: props.desiredCapacity,
      notificationsTopic: props.notificationsTopic,
      topicDisplayName: 'GWLB inspection appliance scaling events',
      defaultInstanceWarmup: Duration.minutes(3),
      autoScalingGroupName: config.metricsNamespace !== undefined ? autoScalingGroupName : undefined,
      groupMetrics: [autoscaling.GroupMetrics.all()],
      // Appliances that signal: creation and each rolling batch wait for healthy agents and roll back otherwise.
      signals: signals ? autoscaling.Signals.waitForMinCapacity({ timeout: Duration.minutes(15) }) : undefined,
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: minInServiceDuringUpdate(minCapacity, maxCapacity),
        pauseTime: signals ? Duration.minutes(15) : Duration.minutes(5),
      }),
    }));
    this.scalingPolicy = (props.scaling ?? ApplianceScaling.cpu(40)).applyTo(this.autoScalingGroup);
  }

  private createSecurityGroup(props: ApplianceFleetProps): ec2.SecurityGroup {
    const allowAllOutbound = props.allowAllOutbound ?? false;
    const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'GWLB appliances: GENEVE and health checks from the load balancer subnets only',
      allowAllOutbound,
    });
    const hc = props.healthCheck;
    const healthPort = hc.trafficPort || hc.port === undefined ? AGENT_GENEVE_PORT : hc.port;
    for (const cidr of props.loadBalancerSubnetCidrs) {
      sg.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.udp(AGENT_GENEVE_PORT), `GENEVE from load balancer subnet ${cidr}`);
      sg.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(healthPort), `Health checks from load balancer subnet ${cidr}`);
      if (!allowAllOutbound) {
        sg.addEgressRule(ec2.Peer.ipv4(cidr), ec2.Port.udp(AGENT_GENEVE_PORT), `GENEVE replies to load balancer subnet ${cidr}`);
      }
    }
    if (!allowAllOutbound) {
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to package repositories, S3 and Systems Manager');
    }
    return sg;
  }
}

/** Keep all but one appliance in service while instances are replaced (CloudFormation needs it below the maximum). */
function minInServiceDuringUpdate(minCapacity: number, maxCapacity: number): number {
  if (Token.isUnresolved(minCapacity) || Token.isUnresolved(maxCapacity)) {
    return 0;
  }
  return Math.max(0, Math.min(minCapacity, maxCapacity - 1));
}
