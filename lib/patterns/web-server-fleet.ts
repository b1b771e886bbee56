import { Duration, Size } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AMAZON_LINUX_ROOT_DEVICE, amazonLinux2023For } from './appliance';
import { createFleetGroup } from './fleet-group';
import { createHardenedLaunchTemplate } from './hardened-launch-template';
import { defaultCapacity, distinctAvailabilityZones, validateCapacity } from './validation';
import { renderWebServerUserData } from './web-server-user-data';

/** The default instance type of the application instances. */
const DEFAULT_WEB_SERVER_INSTANCE_TYPE = 't4g.micro';

/** Properties of a {@link WebServerFleet}. */
export interface WebServerFleetProps {
  readonly vpc: ec2.IVpc;
  /** The subnets of the instances. */
  readonly vpcSubnets: ec2.SubnetSelection;

  /**
   * @default t4g.micro
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * @default - the latest Amazon Linux 2023 for the instance type's architecture
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * The user data; it must serve HTTP on port 80.
   * @default - installs nginx and serves a page naming the instance's availability zone
   */
  readonly userData?: ec2.UserData;

  /**
   * The instance role.
   * @default - a new role without permissions (grant it AmazonSSMManagedInstanceCore for Session Manager)
   */
  readonly role?: iam.IRole;

  /** @default - one per availability zone of `vpcSubnets` */
  readonly minCapacity?: number;
  /** @default - 4, or minCapacity when that is larger */
  readonly maxCapacity?: number;
  /** @default - not set */
  readonly desiredCapacity?: number;

  /**
   * The topic for the group's scaling notifications.
   * @default - a new topic that requires TLS from publishers
   */
  readonly notificationsTopic?: sns.ITopic;
}

/**
 * The application instances: a hardened launch template (IMDSv2, encrypted gp3, no key pair), a
 * security group that admits nothing until a load balancer is connected (HTTPS out only), and
 * an Auto Scaling group with load balancer health checks, notifications and CPU scaling.
 */
export class WebServerFleet extends Construct {
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly role: iam.IRole;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly scalingPolicy: autoscaling.TargetTrackingScalingPolicy;
  public readonly notificationsTopic: sns.ITopic;
  public readonly userData: ec2.UserData;

  constructor(scope: Construct, id: string, props: WebServerFleetProps) {
    super(scope, id);
    const zones = distinctAvailabilityZones(props.vpc.selectSubnets(props.vpcSubnets).subnets).length;
    const { minCapacity, maxCapacity } = defaultCapacity(props, zones);
    validateCapacity(this, { minCapacity, maxCapacity, desiredCapacity: props.desiredCapacity });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Application instances: HTTP from the load balancer only, HTTPS out',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to package repositories');

    const instanceType = props.instanceType ?? new ec2.InstanceType(DEFAULT_WEB_SERVER_INSTANCE_TYPE);
    // The default user data signals CloudFormation once nginx serves: a broken image or package fails the deployment.
    const signals = props.userData === undefined;
    this.userData = props.userData ?? defaultUserData();
    this.role = props.role ?? new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Application instances (no permissions)',
    });
    this.launchTemplate = createHardenedLaunchTemplate(this, 'LaunchTemplate', {
      instanceType,
      machineImage: props.machineImage ?? amazonLinux2023For(instanceType),
      userData: this.userData,
      role: this.role,
      securityGroup: this.securityGroup,
      rootDeviceName: AMAZON_LINUX_ROOT_DEVICE,
      rootVolumeSize: Size.gibibytes(8),
    });

    ({ notificationsTopic: this.notificationsTopic, autoScalingGroup: this.autoScalingGroup } = createFleetGroup(this, {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      launchTemplate: this.launchTemplate,
      minCapacity,
      maxCapacity,
      desiredCapacity: props.desiredCapacity,
      notificationsTopic: props.notificationsTopic,
      topicDisplayName: 'Inspected application scaling events',
      signals: signals ? autoscaling.Signals.waitForMinCapacity({ timeout: Duration.minutes(10) }) : undefined,
      updatePolicy: signals ? autoscaling.UpdatePolicy.rollingUpdate({ maxBatchSize: 1, pauseTime: Duration.minutes(10) }) : undefined,
    }));
    this.scalingPolicy = this.autoScalingGroup.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: 60 });
  }
}

function defaultUserData(): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  userData.addCommands(...renderWebServerUserData({ healthyWithinSeconds: 300 }));
  return userData;
}
