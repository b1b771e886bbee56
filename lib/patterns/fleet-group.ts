import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { launchAfterEgressPath } from './egress-dependencies';

/** Inputs of {@link createFleetGroup}. */
export interface FleetGroupOptions {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly desiredCapacity?: number;
  /** The topic for scaling events; a new TLS-only topic with `topicDisplayName` when absent. */
  readonly notificationsTopic?: sns.ITopic;
  readonly topicDisplayName: string;
  readonly defaultInstanceWarmup?: Duration;
  readonly updatePolicy?: autoscaling.UpdatePolicy;
  /** The group's name. @default - CloudFormation generates one */
  readonly autoScalingGroupName?: string;
  /**
   * Wait for a success signal from each new instance (creation and rolling updates) and fail
   * the deployment on a failure signal or none in time. The user data must end with
   * `userData.addSignalOnExitCommand(group)` and `/opt/aws/bin/cfn-signal` (aws-cfn-bootstrap).
   * @default - no signals
   */
  readonly signals?: autoscaling.Signals;
  /** @default - none */
  readonly groupMetrics?: autoscaling.GroupMetrics[];
}

/** The notifications topic and Auto Scaling group of a fleet. */
export interface FleetGroup {
  readonly notificationsTopic: sns.ITopic;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
}

/**
 * The Auto Scaling group every fleet of this library gets, as `scope`'s children `Notifications`
 * and `AutoScalingGroup`: load balancer health checks after a 5-minute grace period,
 * notifications of all scaling events, and instances launched only once their subnets' egress
 * path exists (see launchAfterEgressPath).
 */
export function createFleetGroup(scope: Construct, options: FleetGroupOptions): FleetGroup {
  const notificationsTopic = options.notificationsTopic ?? new sns.Topic(scope, 'Notifications', {
    displayName: options.topicDisplayName,
    enforceSSL: true,
  });
  const autoScalingGroup = new autoscaling.AutoScalingGroup(scope, 'AutoScalingGroup', {
    vpc: options.vpc,
    vpcSubnets: options.vpcSubnets,
    launchTemplate: options.launchTemplate,
    minCapacity: options.minCapacity,
    maxCapacity: options.maxCapacity,
    desiredCapacity: options.desiredCapacity,
    healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
      additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
      gracePeriod: Duration.minutes(5),
    }),
    defaultInstanceWarmup: options.defaultInstanceWarmup,
    notifications: [{ topic: notificationsTopic, scalingEvents: autoscaling.ScalingEvents.ALL }],
    updatePolicy: options.updatePolicy,
    autoScalingGroupName: options.autoScalingGroupName,
    signals: options.signals,
    groupMetrics: options.groupMetrics,
  });
  if (options.signals) {
    options.launchTemplate.userData?.addSignalOnExitCommand(autoScalingGroup);
  }
  launchAfterEgressPath(autoScalingGroup, options.vpc, options.vpc.selectSubnets(options.vpcSubnets));
  return { notificationsTopic, autoScalingGroup };
}
