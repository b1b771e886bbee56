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
  });
  launchAfterEgressPath(autoScalingGroup, options.vpc, options.vpc.selectSubnets(options.vpcSubnets));
  return { notificationsTopic, autoScalingGroup };
}
