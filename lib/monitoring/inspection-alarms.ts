import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { InspectionMetrics } from './inspection-metrics';

/** Thresholds of the inspection alarms (see InspectionMonitoringProps). */
export interface InspectionAlarmThresholds {
  readonly unhealthyAppliances: number;
  readonly selfProbeFailuresPerMinute: number;
  readonly policyDropsPerMinute: number;
  readonly otherDropsPerMinute: number;
}

/**
 * Builds the alarms of an inspection tier under `scope` and sends their ALARM and OK
 * transitions to `topic`. Alarms on the agent's metrics only when the agent publishes them.
 */
export class InspectionAlarmBuilder {
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(
    private readonly scope: Construct,
    private readonly metrics: InspectionMetrics,
    private readonly topic: sns.ITopic,
  ) {}

  public build(t: InspectionAlarmThresholds): cloudwatch.Alarm[] {
    const m = this.metrics;
    m.availabilityZones.forEach((az, i) => this.add(`NoHealthyApplianceInZone${i + 1}`, {
      metric: m.healthyHostCount(az),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      alarmDescription: `No healthy inspection appliance in availability zone ${az} for 2 minutes: its traffic is dropped `
        + '(cross-zone load balancing is off). Check the appliances\' /healthz and the group\'s activity.',
    }));
    this.add('UnhealthyAppliances', {
      metric: m.unhealthyHostCount(),
      threshold: t.unhealthyAppliances,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${t.unhealthyAppliances} or more inspection appliances unhealthy for 5 minutes.`,
    });
    const probe = m.agent('SelfProbeFailed');
    if (probe) {
      this.add('SelfProbeFailures', {
        metric: probe, threshold: t.selfProbeFailuresPerMinute, evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `The agents' data-path self-probe failed ${t.selfProbeFailuresPerMinute} or more times a minute for 2 minutes `
          + '(a packet sent through the agent did not come back unchanged).',
      });
    }
    const policy = m.agentPolicyDrops();
    if (policy) {
      this.add('PolicyDrops', {
        metric: policy, threshold: t.policyDropsPerMinute, evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `More than ${t.policyDropsPerMinute} packets a minute dropped by the policy for 3 minutes `
          + '(an attack, or a rule that blocks legitimate traffic). The agent log group has the drop events.',
      });
    }
    const other = m.agentOtherDrops();
    if (other) {
      this.add('MalformedDrops', {
        metric: other, threshold: t.otherDropsPerMinute, evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `More than ${t.otherDropsPerMinute} packets a minute dropped for reasons other than the policy `
          + '(malformed GENEVE or inner packets, internal errors, full reply queues) for 3 minutes.',
      });
    }
    this.add('GroupAtMaxCapacity', {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(s >= x, 1, 0)',
        usingMetrics: { s: m.groupInServiceInstances().with({ period: Duration.minutes(5) }), x: m.groupMaxSize().with({ period: Duration.minutes(5) }) },
        period: Duration.minutes(5),
        label: 'In service at maximum',
      }),
      threshold: 1, evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'The appliance group has been at its maximum size for 15 minutes: scaling cannot add capacity; raise maxCapacity.',
    });
    return this.alarms;
  }

  private add(id: string, props: cloudwatch.AlarmProps): void {
    const alarm = new cloudwatch.Alarm(this.scope, id, props);
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
