import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GeneveHealthCheckProtocol } from '../../lib/gwlb';
import { InspectionMonitoring } from '../../lib/monitoring';
import { Appliance, InspectionVpc, InspectionVpcProps } from '../../lib/patterns';
import { logicalIdOf } from '../patterns/support/synth';

function unsynthesized(props: InspectionVpcProps = {}): { stack: Stack; inspection: InspectionVpc } {
  const stack = new Stack(new App(), 'Security', { env: { account: '111122223333', region: 'eu-west-1' } });
  return { stack, inspection: new InspectionVpc(stack, 'Inspection', props) };
}

function build(props: InspectionVpcProps = {}): { stack: Stack; inspection: InspectionVpc; template: Template } {
  const built = unsynthesized(props);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The dashboard body with tokens shown as {"Ref": ...}. */
function dashboardBody(template: Template): string {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard.Properties.DashboardBody;
  if (typeof body === 'string') return body;
  return body['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
}

function alarmsById(template: Template): Record<string, any> {
  return template.findResources('AWS::CloudWatch::Alarm');
}

const custom = (): Appliance => Appliance.custom({
  machineImage: ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0123456789abcdef0' }), userData: ec2.UserData.forLinux(),
});

describe('InspectionMonitoring (on by default in InspectionVpc)', () => {
  const { inspection, template } = build();
  const alarms = alarmsById(template);
  const topicRef = { Ref: logicalIdOf(inspection.notificationsTopic as sns.Topic) };
  const lb = { 'Fn::GetAtt': [logicalIdOf(inspection.gatewayLoadBalancer.node.defaultChild!), 'LoadBalancerFullName'] };
  const tg = { 'Fn::GetAtt': [logicalIdOf(inspection.targetGroup.node.defaultChild!), 'TargetGroupFullName'] };
  const byPrefix = (p: string) => Object.entries(alarms).filter(([id]) => id.startsWith(`InspectionMonitoring${p}`)).map(([, a]) => a);

  test('one dashboard and seven alarms, each sending ALARM and OK to the appliance group\'s topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(alarms)).toHaveLength(7);
    for (const a of Object.values(alarms)) {
      expect(a.Properties.AlarmActions).toEqual([topicRef]);
      expect(a.Properties.OKActions).toEqual([topicRef]);
    }
  });

  test('an alarm per zone fires when the zone has no healthy appliance for 2 minutes, also when the metric is missing', () => {
    const zones = byPrefix('NoHealthyApplianceInZone');
    expect(zones).toHaveLength(2);
    inspection.gatewayLoadBalancer.availabilityZones.forEach((az, i) => {
      const p = zones[i].Properties;
      expect(p).toMatchObject({
        Namespace: 'AWS/GatewayELB', MetricName: 'HealthyHostCount', Statistic: 'Minimum', Period: 60, Threshold: 1,
        ComparisonOperator: 'LessThanThreshold', EvaluationPeriods: 2, TreatMissingData: 'breaching',
      });
      expect(p.Dimensions).toEqual(expect.arrayContaining([
        { Name: 'AvailabilityZone', Value: az }, { Name: 'LoadBalancer', Value: lb }, { Name: 'TargetGroup', Value: tg },
      ]));
    });
  });

  test('agent alarms: self-probe failures, policy drops and other drops, on the group\'s dimension', () => {
    const [probe] = byPrefix('SelfProbeFailures');
    expect(probe.Properties).toMatchObject({
      Namespace: 'GwlbInspection', MetricName: 'SelfProbeFailed', Statistic: 'Sum', Threshold: 5, EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    });
    expect(probe.Properties.Dimensions).toEqual([{ Name: 'AutoScalingGroupName', Value: { Ref: logicalIdOf(inspection.autoScalingGroup.node.defaultChild!) } }]);
    const [policy] = byPrefix('PolicyDrops');
    expect(policy.Properties.Threshold).toBe(1000);
    const reasons = policy.Properties.Metrics.filter((m: any) => m.MetricStat)
      .map((m: any) => m.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'Reason').Value);
    expect(reasons.sort()).toEqual(['flow_blocked', 'policy']);
    const [other] = byPrefix('MalformedDrops');
    expect(other.Properties.Metrics.find((m: any) => m.Expression).Expression).toBe('FILL(t, 0) - FILL(p, 0) - FILL(f, 0)');
    expect(other.Properties.Threshold).toBe(10);
  });

  test('the group-at-maximum alarm compares in-service instances with the maximum size for 15 minutes', () => {
    const [max] = byPrefix('GroupAtMaxCapacity');
    expect(max.Properties.EvaluationPeriods).toBe(3);
    const names = max.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName).sort();
    expect(names).toEqual(['GroupInServiceInstances', 'GroupMaxSize']);
    expect(max.Properties.Metrics.find((m: any) => m.Expression).Expression).toBe('IF(s >= x, 1, 0)');
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MetricsCollection: [{ Granularity: '1Minute' }] });
  });

  test('the dashboard shows the load balancer, target group, endpoints, group and agent metrics', () => {
    const body = dashboardBody(template);
    for (const name of ['HealthyHostCount', 'UnHealthyHostCount', 'ActiveFlowCount', 'NewFlowCount', 'ProcessedBytes', 'ConsumedLCUs',
      'TCP_ELB_Reset_Count', 'GroupInServiceInstances', 'GroupMaxSize', 'PacketsForwarded', 'SelfProbeFailed', 'PolicyVersion', 'ActiveFlows']) {
      expect(body).toContain(`"${name}"`);
    }
    expect(body).toContain('SEARCH(\'{AWS/PrivateLinkEndpoints,\\"Endpoint Type\\",\\"Service Name\\",\\"VPC Endpoint Id\\",\\"VPC Id\\"} MetricName=\\"BytesProcessed\\"');
    expect(body).toContain('SEARCH(\'{GwlbInspection,AutoScalingGroupName,Reason} MetricName=\\"PacketsDropped\\"');
    expect(body).toContain('"type":"alarm"');
  });
});

describe('InspectionMonitoring options', () => {
  test('a custom appliance gets the AWS metrics and alarms only, no agent widgets', () => {
    const { template } = build({ appliance: custom(), healthCheck: { protocol: GeneveHealthCheckProtocol.TCP, port: 22 } });
    const alarms = alarmsById(template);
    expect(Object.keys(alarms).map((id) => id.replace(/^InspectionMonitoring/, '').replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'GroupAtMaxCapacity', 'NoHealthyApplianceInZone1', 'NoHealthyApplianceInZone2', 'UnhealthyAppliances',
    ]);
    const body = dashboardBody(template);
    expect(body).toContain('HealthyHostCount');
    expect(body).not.toContain('GwlbInspection');
    expect(body).not.toContain('Agent:');
  });

  test('monitoring: false leaves out the dashboard and the alarms', () => {
    const { template, inspection } = build({ monitoring: false });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(inspection.monitoring).toBeUndefined();
  });

  test('added with one statement: a user topic and thresholds', () => {
    const { stack, inspection } = unsynthesized({ monitoring: false });
    const topic = new sns.Topic(stack, 'Oncall');
    const monitoring = new InspectionMonitoring(stack, 'Ops', {
      inspection, alarmTopic: topic, unhealthyAppliancesThreshold: 2, policyDropsPerMinuteThreshold: 50, dashboardName: 'gwlb-ops',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'gwlb-ops' });
    expect(monitoring.alarms).toHaveLength(7);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UnHealthyHostCount', Threshold: 2, AlarmActions: [{ Ref: logicalIdOf(topic) }] });
    const policy = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).find(([id]) => id.startsWith('OpsPolicyDrops'))![1];
    expect(policy.Properties.Threshold).toBe(50);
  });

  test('fails on a negative threshold, naming the prop and the value', () => {
    const { stack, inspection } = unsynthesized({ monitoring: false });
    expect(() => new InspectionMonitoring(stack, 'Ops', { inspection, otherDropsPerMinuteThreshold: -1 }))
      .toThrow(/otherDropsPerMinuteThreshold must be a number of 0 or more, got -1/);
  });
});
