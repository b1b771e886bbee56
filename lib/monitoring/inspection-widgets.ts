import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { InspectionMetrics } from './inspection-metrics';

const W = 8;
const H = 6;

/** Builds the rows of the inspection dashboard (see the README's picture). */
export class InspectionWidgetBuilder {
  constructor(private readonly m: InspectionMetrics) {}

  public rows(alarms: cloudwatch.IAlarm[]): cloudwatch.IWidget[][] {
    const m = this.m;
    const zones = m.availabilityZones;
    const rows: cloudwatch.IWidget[][] = [
      [new cloudwatch.TextWidget({
        markdown: '# GWLB inspection\nGateway Load Balancer, appliances and endpoints'
          + (m.hasAgentMetrics ? '; the agent\'s counters below (Sum per minute across the group).' : '.'),
        width: 24, height: 2,
      })],
      [
        graph('Healthy appliances per AZ (min)', zones.map((az, i) => m.healthyHostCount(az).with({ label: `zone ${i + 1}: ${az}` }))),
        graph('Unhealthy appliances per AZ (max)', zones.map((az, i) => m.unhealthyHostCount(az).with({ label: `zone ${i + 1}: ${az}` }))),
        graph('Appliance group', [
          m.groupInServiceInstances().with({ label: 'in service' }), m.groupDesiredCapacity().with({ label: 'desired' }),
          m.groupMaxSize().with({ label: 'max' }),
        ]),
      ],
      [
        graph('Flows', [m.activeFlowCount().with({ label: 'active (avg)' })], [m.newFlowCount().with({ label: 'new (sum)' })]),
        graph('Processed bytes per AZ', zones.map((az, i) => m.processedBytes(az).with({ label: `zone ${i + 1}: ${az}` }))),
        graph('LCUs and TCP resets', [m.consumedLcus().with({ label: 'LCUs' })], [m.tcpResetCount().with({ label: 'TCP resets sent' })]),
      ],
      [
        graph('Endpoints: bytes processed', [m.endpointMetric('BytesProcessed', 'Sum')]),
        graph('Endpoints: packets dropped', [m.endpointMetric('PacketsDropped', 'Sum')]),
        graph('Endpoints: new connections', [m.endpointMetric('NewConnections', 'Sum')]),
      ],
    ];
    if (m.hasAgentMetrics) {
      rows.push([
        graph('Agent: packets', [m.agent('PacketsForwarded')!.with({ label: 'forwarded' }), m.agent('PacketsDropped')!.with({ label: 'dropped' })]),
        graph('Agent: drops by reason', [m.agentDropsByReason()!]),
        graph('Agent: health and self-probe', [
          ...zones.map((az, i) => m.agentInZone('Healthy', az, 'Minimum')!.with({ label: `healthy agents, zone ${i + 1}` })),
        ], [m.agent('SelfProbeFailed')!.with({ label: 'self-probe failures' })]),
      ], [
        graph('Agent: active flows', [m.agent('ActiveFlows')!.with({ label: 'flows (sum of instances)' })]),
        graph('Agent: policy version (min = max when all applied)', [
          m.agent('PolicyVersion', 'Minimum')!.with({ label: 'min' }), m.agent('PolicyVersion', 'Maximum')!.with({ label: 'max' }),
        ], [m.agent('PolicyRejected')!.with({ label: 'rejected policies' })]),
        graph('Agent: bytes and lost telemetry', [m.agent('BytesForwarded')!.with({ label: 'bytes forwarded' })],
          [m.agent('TelemetryDropped')!.with({ label: 'telemetry dropped' })]),
      ]);
    }
    if (alarms.length > 0) {
      rows.push([new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 3 })]);
    }
    return rows;
  }
}

function graph(title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, right, width: W, height: H });
}
