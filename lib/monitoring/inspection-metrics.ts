import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** What {@link InspectionMetrics} needs to name the metrics of one inspection tier. */
export interface InspectionMetricsProps {
  /** The Gateway Load Balancer's full name (`gwy/<name>/<id>`), the `LoadBalancer` dimension. */
  readonly loadBalancerFullName: string;
  /** The target group's full name (`targetgroup/<name>/<id>`), the `TargetGroup` dimension. */
  readonly targetGroupFullName: string;
  /** The availability zones of the load balancer. */
  readonly availabilityZones: string[];
  /** The appliance Auto Scaling group's name. */
  readonly autoScalingGroupName: string;
  /** The endpoint service name (`com.amazonaws.vpce.<region>.vpce-svc-...`), to find its endpoints. */
  readonly endpointServiceName: string;
  /**
   * The bundled agent's namespace.
   * @default - no agent metrics (a custom appliance)
   */
  readonly agentNamespace?: string;
  /**
   * The period of every metric.
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
}

/** The agent's drop reasons of malformed or unexpected traffic (not policy decisions). */
const POLICY_REASONS = ['policy', 'flow_blocked'];

/**
 * Metrics of a Gateway Load Balancer inspection tier: the load balancer and its target group
 * (AWS/GatewayELB), its endpoints (AWS/PrivateLinkEndpoints), the appliance group
 * (AWS/AutoScaling, group metrics) and the bundled agent (its own namespace, dimension
 * AutoScalingGroupName). A factory: each call returns a new metric object.
 */
export class InspectionMetrics {
  private readonly period: Duration;

  constructor(private readonly props: InspectionMetricsProps) {
    this.period = props.period ?? Duration.minutes(1);
  }

  /** Whether the agent publishes metrics (false for a custom appliance). */
  public get hasAgentMetrics(): boolean {
    return this.props.agentNamespace !== undefined;
  }

  /** The availability zones of the load balancer. */
  public get availabilityZones(): string[] {
    return this.props.availabilityZones;
  }

  /** Healthy appliances in one zone (Minimum). */
  public healthyHostCount(availabilityZone: string): cloudwatch.Metric {
    return this.gwlb('HealthyHostCount', 'Minimum', { AvailabilityZone: availabilityZone, TargetGroup: this.props.targetGroupFullName });
  }

  /** Unhealthy appliances in one zone, or in all zones (Maximum). */
  public unhealthyHostCount(availabilityZone?: string): cloudwatch.Metric {
    return this.gwlb('UnHealthyHostCount', 'Maximum', {
      ...(availabilityZone === undefined ? {} : { AvailabilityZone: availabilityZone }), TargetGroup: this.props.targetGroupFullName,
    });
  }

  public activeFlowCount(): cloudwatch.Metric {
    return this.gwlb('ActiveFlowCount', 'Average', {});
  }

  public newFlowCount(): cloudwatch.Metric {
    return this.gwlb('NewFlowCount', 'Sum', {});
  }

  /** Bytes processed, in one zone or in all. */
  public processedBytes(availabilityZone?: string): cloudwatch.Metric {
    return this.gwlb('ProcessedBytes', 'Sum', availabilityZone === undefined ? {} : { AvailabilityZone: availabilityZone });
  }

  public consumedLcus(): cloudwatch.Metric {
    return this.gwlb('ConsumedLCUs', 'Sum', {});
  }

  /** TCP resets the load balancer sent (idle timeout, unhealthy or deregistered targets with TCP reset on). */
  public tcpResetCount(): cloudwatch.Metric {
    return this.gwlb('TCP_ELB_Reset_Count', 'Sum', {});
  }

  /** An endpoint metric (BytesProcessed, PacketsDropped, ActiveConnections...) of every endpoint of the service in this account and region. */
  public endpointMetric(metricName: string, statistic: string): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{AWS/PrivateLinkEndpoints,"Endpoint Type","Service Name","VPC Endpoint Id","VPC Id"} `
        + `MetricName="${metricName}" "Service Name"="${this.props.endpointServiceName}"', '${statistic}', ${this.period.toSeconds()})`,
      label: metricName,
      period: this.period,
    });
  }

  public groupInServiceInstances(): cloudwatch.Metric {
    return this.group('GroupInServiceInstances');
  }

  public groupDesiredCapacity(): cloudwatch.Metric {
    return this.group('GroupDesiredCapacity');
  }

  public groupMaxSize(): cloudwatch.Metric {
    return this.group('GroupMaxSize');
  }

  /** An agent metric for the whole group (see the README for names); undefined without the agent. */
  public agent(metricName: string, statistic = 'Sum'): cloudwatch.Metric | undefined {
    const ns = this.props.agentNamespace;
    if (ns === undefined) return undefined;
    return new cloudwatch.Metric({
      namespace: ns, metricName, statistic, period: this.period,
      dimensionsMap: { AutoScalingGroupName: this.props.autoScalingGroupName },
    });
  }

  /** An agent metric for one zone. */
  public agentInZone(metricName: string, availabilityZone: string, statistic = 'Sum'): cloudwatch.Metric | undefined {
    const m = this.agent(metricName, statistic);
    return m?.with({ dimensionsMap: { AutoScalingGroupName: this.props.autoScalingGroupName, AvailabilityZone: availabilityZone } });
  }

  /** Packets dropped for one reason (such as `policy`, `truncated`). */
  public agentDrops(reason: string): cloudwatch.Metric | undefined {
    return this.agent('PacketsDropped')?.with({
      dimensionsMap: { AutoScalingGroupName: this.props.autoScalingGroupName, Reason: reason },
    });
  }

  /** Every drop reason the agents reported, one line each (a SEARCH expression). */
  public agentDropsByReason(): cloudwatch.MathExpression | undefined {
    const ns = this.props.agentNamespace;
    if (ns === undefined) return undefined;
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${ns},AutoScalingGroupName,Reason} MetricName="PacketsDropped" `
        + `AutoScalingGroupName="${this.props.autoScalingGroupName}"', 'Sum', ${this.period.toSeconds()})`,
      label: 'Drops',
      period: this.period,
    });
  }

  /** Drops that are policy decisions (`policy` and `flow_blocked`), per period. */
  public agentPolicyDrops(): cloudwatch.MathExpression | undefined {
    const [a, b] = POLICY_REASONS.map((r) => this.agentDrops(r));
    if (a === undefined || b === undefined) return undefined;
    return new cloudwatch.MathExpression({ expression: 'FILL(p, 0) + FILL(f, 0)', usingMetrics: { p: a, f: b }, label: 'Policy drops', period: this.period });
  }

  /** Drops for any other reason (malformed GENEVE or inner packets, internal errors, full queues), per period. */
  public agentOtherDrops(): cloudwatch.MathExpression | undefined {
    const total = this.agent('PacketsDropped');
    const [p, f] = POLICY_REASONS.map((r) => this.agentDrops(r));
    if (total === undefined || p === undefined || f === undefined) return undefined;
    return new cloudwatch.MathExpression({
      expression: 'FILL(t, 0) - FILL(p, 0) - FILL(f, 0)', usingMetrics: { t: total, p, f }, label: 'Other drops', period: this.period,
    });
  }

  private gwlb(metricName: string, statistic: string, dims: Record<string, string>): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/GatewayELB', metricName, statistic, period: this.period,
      dimensionsMap: { LoadBalancer: this.props.loadBalancerFullName, ...dims },
    });
  }

  private group(metricName: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/AutoScaling', metricName, statistic: 'Maximum', period: this.period,
      dimensionsMap: { AutoScalingGroupName: this.props.autoScalingGroupName },
    });
  }
}
