import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { GatewayLoadBalancer, GeneveTargetGroup } from '../gwlb';
import { InspectionAlarmBuilder } from './inspection-alarms';
import { InspectionMetrics } from './inspection-metrics';
import { InspectionWidgetBuilder } from './inspection-widgets';

/** An inspection tier that can be monitored; `InspectionVpc` is one. */
export interface IMonitoredInspection {
  readonly gatewayLoadBalancer: GatewayLoadBalancer;
  readonly targetGroup: GeneveTargetGroup;
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** The endpoint service name. */
  readonly serviceName: string;
  /** The bundled agent's CloudWatch namespace; undefined for a custom appliance. */
  readonly agentMetricsNamespace?: string;
  /** The appliance group's notifications topic. */
  readonly notificationsTopic: sns.ITopic;
}

/** Properties of an {@link InspectionMonitoring}. */
export interface InspectionMonitoringProps {
  /** The inspection tier, such as an `InspectionVpc`. */
  readonly inspection: IMonitoredInspection;

  /**
   * The dashboard's name.
   * @default - CloudFormation generates one
   */
  readonly dashboardName?: string;

  /**
   * Where alarms (and their return to OK) are sent.
   * @default - the appliance group's notifications topic
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Create the alarms.
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * Unhealthy appliances (all zones) that raise the UnhealthyAppliances alarm after 5 minutes.
   * @default 1
   */
  readonly unhealthyAppliancesThreshold?: number;

  /**
   * Self-probe failures per minute (whole group) that raise the SelfProbeFailures alarm after 2 minutes.
   * The probe runs every 2 seconds on each appliance.
   * @default 5
   */
  readonly selfProbeFailuresPerMinuteThreshold?: number;

  /**
   * Policy drops per minute (reasons `policy` and `flow_blocked`, whole group) above which the
   * PolicyDrops alarm goes off after 3 minutes.
   * @default 1000
   */
  readonly policyDropsPerMinuteThreshold?: number;

  /**
   * Drops per minute for every other reason (malformed packets, internal errors, full queues)
   * above which the MalformedDrops alarm goes off after 3 minutes.
   * @default 10
   */
  readonly otherDropsPerMinuteThreshold?: number;
}

/**
 * A CloudWatch dashboard and alarms for a Gateway Load Balancer inspection tier, in one
 * statement: the load balancer and its target group (healthy and unhealthy appliances per
 * zone, flows, bytes, LCUs, TCP resets), the endpoints of its service, the appliance group's
 * capacity and, when the bundled agent runs, its counters (drops by reason, self-probe, health,
 * applied policy version). Alarms: a zone without a healthy appliance, unhealthy appliances,
 * self-probe failures, drops above a rate and the group at its maximum size.
 */
export class InspectionMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly metrics: InspectionMetrics;
  public readonly alarms: cloudwatch.Alarm[];
  public readonly alarmTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: InspectionMonitoringProps) {
    super(scope, id);
    const i = props.inspection;
    for (const [name, value] of [['unhealthyAppliancesThreshold', props.unhealthyAppliancesThreshold],
      ['selfProbeFailuresPerMinuteThreshold', props.selfProbeFailuresPerMinuteThreshold],
      ['policyDropsPerMinuteThreshold', props.policyDropsPerMinuteThreshold],
      ['otherDropsPerMinuteThreshold', props.otherDropsPerMinuteThreshold]] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new Error(`${this.node.path}: ${name} must be a number of 0 or more, got ${value}`);
      }
    }
    this.metrics = new InspectionMetrics({
      loadBalancerFullName: i.gatewayLoadBalancer.loadBalancerFullName,
      targetGroupFullName: i.targetGroup.targetGroupFullName,
      availabilityZones: i.gatewayLoadBalancer.availabilityZones,
      autoScalingGroupName: i.autoScalingGroup.autoScalingGroupName,
      endpointServiceName: i.serviceName,
      agentNamespace: i.agentMetricsNamespace,
      period: Duration.minutes(1),
    });
    this.alarmTopic = props.alarmTopic ?? i.notificationsTopic;
    this.alarms = props.alarms === false ? [] : new InspectionAlarmBuilder(this, this.metrics, this.alarmTopic).build({
      unhealthyAppliances: props.unhealthyAppliancesThreshold ?? 1,
      selfProbeFailuresPerMinute: props.selfProbeFailuresPerMinuteThreshold ?? 5,
      policyDropsPerMinute: props.policyDropsPerMinuteThreshold ?? 1000,
      otherDropsPerMinute: props.otherDropsPerMinuteThreshold ?? 10,
    });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: new InspectionWidgetBuilder(this.metrics).rows(this.alarms),
    });
  }
}
