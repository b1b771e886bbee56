import { parseCli } from '../../../lib/agent/cli';
import { buildMetricDatums, CW_METRIC, zeroSample } from '../../../lib/agent/cloudwatch/metric-datums';

function config(argv: string[]) {
  const r = parseCli(argv);
  if (r.kind !== 'run') throw new Error('help');
  return r.config;
}

describe('AWS flags', () => {
  test('absent: the AWS integration is off', () => {
    expect(config([]).aws).toBeUndefined();
  });

  test('parsed with their defaults', () => {
    expect(config(['--cloudwatch-namespace', 'Gwlb/Test', '--policy-parameter', '/gwlb/policy']).aws).toEqual({
      region: undefined, metricsNamespace: 'Gwlb/Test', metricsIntervalSeconds: 60, logGroup: undefined, fleetName: undefined,
      policyParameter: '/gwlb/policy', policyPollSeconds: 30,
    });
  });

  test.each([
    [['--cloudwatch-namespace', 'AWS/EC2'], '--cloudwatch-namespace: "AWS/EC2" starts with "AWS/", which is reserved for AWS services'],
    [['--cloudwatch-namespace', 'a b'], '--cloudwatch-namespace: "a b" is not a CloudWatch namespace'],
    [['--cloudwatch-namespace', 'X', '--metrics-interval-seconds', '5'], '--metrics-interval-seconds: "5" is not a whole number of seconds (10-3600)'],
    [['--metrics-interval-seconds', '60'], '--metrics-interval-seconds: needs --cloudwatch-namespace'],
    [['--policy-poll-seconds', '30'], '--policy-poll-seconds: needs --policy-parameter'],
    [['--policy-parameter', 'p', '--policy', '/etc/p.json'], '--policy-parameter: not together with --policy'],
    [['--aws-region', 'Mars'], '--aws-region: "Mars" is not an AWS region name'],
    [['--log-group', 'bad group'], '--log-group: "bad group" is not a log group name'],
  ])('fails on %j', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });
});

describe('buildMetricDatums', () => {
  const id = { fleetName: 'g', availabilityZone: 'eu-west-1a', instanceId: 'i-1' };
  const at = new Date('2026-12-01T00:00:00Z');

  test('counters are the interval difference, gauges the current value, drop reasons only when they dropped', () => {
    const prev = { ...zeroSample(), packetsOut: 100, drops: [{ reason: 'policy', count: 5 }, { reason: 'truncated', count: 2 }], selfProbe: { ok: 10, failed: 1 } };
    const cur = { ...prev, packetsOut: 130, activeFlows: 7, healthy: true, policyVersion: 4,
      drops: [{ reason: 'policy', count: 9 }, { reason: 'truncated', count: 2 }], selfProbe: { ok: 40, failed: 3 } };
    const datums = buildMetricDatums(cur, prev, id, at, 60);
    const one = (name: string, dims: number) => datums.filter((d) => d.MetricName === name && d.Dimensions!.length === dims && !d.Dimensions!.some((x) => x.Name === 'Reason'));
    expect(one(CW_METRIC.packetsForwarded, 1)[0].Value).toBe(30);
    expect(one(CW_METRIC.activeFlows, 2)[0].Value).toBe(7);
    expect(one(CW_METRIC.healthy, 2).map((d) => d.Dimensions![1].Name).sort()).toEqual(['AvailabilityZone', 'InstanceId']);
    expect(one(CW_METRIC.policyVersion, 2)[0]).toMatchObject({ Value: 4, Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'g' }, { Name: 'InstanceId', Value: 'i-1' }] });
    expect(one(CW_METRIC.selfProbeFailed, 1)[0].Value).toBe(2);
    expect(one(CW_METRIC.packetsDropped, 1)[0].Value).toBe(4);
    const reasons = datums.filter((d) => d.Dimensions!.some((x) => x.Name === 'Reason'));
    expect(reasons.map((d) => [d.Dimensions!.length, d.Dimensions!.find((x) => x.Name === 'Reason')!.Value, d.Value])).toEqual([[2, 'policy', 4], [3, 'policy', 4]]);
    expect(new Set(datums.map((d) => d.StorageResolution))).toEqual(new Set([60]));
    expect(datums.every((d) => d.Timestamp === at)).toBe(true);
  });

  test('no self-probe: no self-probe metrics', () => {
    expect(buildMetricDatums(zeroSample(), zeroSample(), id, at, 1).some((d) => (d.MetricName ?? '').startsWith('SelfProbe'))).toBe(false);
  });
});
