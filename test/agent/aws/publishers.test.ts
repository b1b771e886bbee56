/**
 * The metrics publisher, the log shipper and the policy poller with the real AWS SDK clients
 * against a local stand-in endpoint that answers, fails with 500, throttles, hangs or refuses.
 */
import { AwsClients } from '../../../lib/agent/cloudwatch/aws-clients';
import { Backoff } from '../../../lib/agent/cloudwatch/backoff';
import { LogShipper } from '../../../lib/agent/cloudwatch/log-shipper';
import { CW_METRIC, TelemetrySample, zeroSample } from '../../../lib/agent/cloudwatch/metric-datums';
import { MetricsPublisher } from '../../../lib/agent/cloudwatch/metrics-publisher';
import { Logger } from '../../../lib/agent/log';
import { CompiledPolicy } from '../../../lib/agent/policy';
import { fetchInitialPolicy, PolicyPoller } from '../../../lib/agent/policy-source';
import { eventually, sleep } from '../runtime/harness';
import { AwsStandIn, FAKE_CREDENTIALS } from './stand-in';

const IDENTITY = { fleetName: 'asg-1', availabilityZone: 'eu-west-1b', instanceId: 'i-0123456789abcdef0' };

describe('AWS publishers against a failing stand-in endpoint', () => {
  let aws: AwsStandIn;
  let clients: AwsClients;
  let lines: Array<Record<string, any>>;
  let log: Logger;

  beforeEach(async () => {
    aws = await AwsStandIn.start();
    clients = new AwsClients({ region: 'eu-west-1', endpoint: aws.url, credentials: FAKE_CREDENTIALS, requestTimeoutMs: 300, connectTimeoutMs: 300 });
    lines = [];
    log = new Logger('debug', (l) => lines.push(JSON.parse(l)));
  });
  afterEach(async () => {
    clients.destroy();
    await aws.close();
  });

  function publisher(sample: () => TelemetrySample, maxQueuedDatums?: number): MetricsPublisher {
    return new MetricsPublisher({
      client: clients.cloudWatch, namespace: 'Test/Gwlb', intervalSeconds: 60, sample, identity: () => IDENTITY, log,
      maxQueuedDatums, backoff: new Backoff(10, 40),
    });
  }

  const counting = (): (() => TelemetrySample) => {
    let n = 0;
    return () => ({ ...zeroSample(), packetsOut: (n += 10), healthy: true });
  };

  test('PutMetricData reaches the endpoint signed, with the namespace, names, dimensions and interval deltas', async () => {
    const p = publisher(counting());
    p.start();
    p.tick();
    await eventually(() => aws.ofOperation('PutMetricData').length === 1);
    const call = aws.ofOperation('PutMetricData')[0];
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN000000000\/\d{8}\/eu-west-1\/monitoring\/aws4_request/);
    expect(call.body.Namespace).toBe('Test/Gwlb');
    const forwarded = call.body.MetricData.filter((d: any) => d.MetricName === CW_METRIC.packetsForwarded);
    expect(forwarded.map((d: any) => d.Dimensions.map((x: any) => `${x.Name}=${x.Value}`).join(','))).toEqual([
      'AutoScalingGroupName=asg-1', 'AutoScalingGroupName=asg-1,AvailabilityZone=eu-west-1b', 'AutoScalingGroupName=asg-1,InstanceId=i-0123456789abcdef0',
    ]);
    expect(forwarded.map((d: any) => d.Value)).toEqual([10, 10, 10]);
    expect(forwarded[0].StorageResolution).toBe(60);
    p.stop();
  });

  test.each(['error500', 'throttle', 'hang'] as const)('fails with %s: keeps the datums, backs off, delivers them all once the endpoint recovers', async (mode) => {
    aws.mode = mode;
    const p = publisher(counting());
    p.start();
    p.tick();
    p.tick();
    await eventually(() => p.requestsFailed >= 2, 5000);
    expect(p.queuedDatums).toBeGreaterThan(0);
    expect(aws.ofOperation('PutMetricData')).toHaveLength(0);
    expect(lines.filter((l) => l.msg.startsWith('PutMetricData failing'))).toHaveLength(1); // logged once, not per retry
    aws.mode = 'ok';
    await eventually(() => p.queuedDatums === 0, 5000);
    const values = aws.ofOperation('PutMetricData').flatMap((c) => c.body.MetricData)
      .filter((d: any) => d.MetricName === CW_METRIC.packetsForwarded && d.Dimensions.length === 1).map((d: any) => d.Value);
    expect(values).toEqual([10, 10]);
    expect(p.droppedDatums).toBe(0);
    expect(lines.some((l) => l.msg === 'PutMetricData recovered')).toBe(true);
    p.stop();
  });

  test('fails with a refused connection: retries until the endpoint listens again', async () => {
    await aws.refuse();
    const p = publisher(counting());
    p.start();
    p.tick();
    await eventually(() => p.requestsFailed >= 2, 5000);
    await aws.reopen();
    await eventually(() => p.queuedDatums === 0, 5000);
    expect(aws.ofOperation('PutMetricData').length).toBeGreaterThan(0);
    p.stop();
  });

  test('fails while the queue is full: drops the oldest datums, counts and logs them, keeps the newest', async () => {
    aws.mode = 'error500';
    const p = publisher(counting(), 25);
    p.start();
    for (let i = 0; i < 5; i++) p.tick();
    expect(p.queuedDatums).toBe(25);
    expect(p.droppedDatums).toBeGreaterThan(0);
    expect(lines.some((l) => l.msg === 'metrics queue full: oldest datums dropped')).toBe(true);
    await eventually(() => p.requestsFailed >= 1, 3000);
    aws.mode = 'ok';
    await eventually(() => p.queuedDatums === 0, 5000);
    const sent = aws.ofOperation('PutMetricData').flatMap((c) => c.body.MetricData);
    expect(sent).toHaveLength(25);
    p.stop();
  });

  test('fails with a malformed-request error: drops that batch instead of retrying it forever', async () => {
    aws.mode = 'invalid';
    const p = publisher(counting());
    p.start();
    p.tick();
    await eventually(() => p.queuedDatums === 0, 3000);
    expect(p.droppedDatums).toBeGreaterThan(0);
    expect(lines.some((l) => l.msg === 'PutMetricData refused the datums; dropped')).toBe(true);
    p.stop();
  });

  test('ships log lines in order to one stream, and after an outage reports how many the bounded buffer dropped', async () => {
    const shipper = new LogShipper({
      client: clients.logs, logGroup: '/gwlb/test', flushMs: 50, maxQueuedEvents: 5, backoff: new Backoff(10, 40),
      warn: (msg, f) => log.warn(msg, f),
    });
    aws.mode = 'hang';
    for (let i = 0; i < 8; i++) shipper.push(JSON.stringify({ msg: 'line', i }) + '\n');
    shipper.start('i-0123456789abcdef0');
    await eventually(() => (aws.attempts.CreateLogStream ?? 0) >= 1, 3000);
    expect(shipper.queuedEvents).toBe(5);
    expect(shipper.droppedEvents).toBe(3);
    aws.mode = 'ok';
    await eventually(() => shipper.queuedEvents === 0 && aws.ofOperation('PutLogEvents').length > 0, 5000);
    expect(aws.ofOperation('CreateLogStream')[0].body).toEqual({ logGroupName: '/gwlb/test', logStreamName: 'i-0123456789abcdef0' });
    const events = aws.ofOperation('PutLogEvents').flatMap((c) => c.body.logEvents);
    const parsed = events.map((e: any) => JSON.parse(e.message));
    expect(parsed[0]).toMatchObject({ msg: 'log lines dropped while CloudWatch Logs was unreachable', dropped: 3 });
    expect(parsed.slice(1).map((r: any) => r.i)).toEqual([3, 4, 5, 6, 7]);
    const stamps = events.map((e: any) => e.timestamp);
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    shipper.stop();
  });

  test('policy poller: applies a new parameter version, refuses an invalid one once and keeps the old, survives SSM failures', async () => {
    aws.setParameter('/gwlb/policy', JSON.stringify({ defaultAction: 'allow' }));
    const initial = await fetchInitialPolicy(clients.ssm, '/gwlb/policy', log);
    expect(initial.version).toBe(1);
    const applied: Array<{ rules: number; version: number }> = [];
    let rejected = 0;
    const poller = new PolicyPoller({
      client: clients.ssm, name: '/gwlb/policy', pollSeconds: 3600, initialVersion: initial.version,
      apply: (p: CompiledPolicy, version) => applied.push({ rules: p.ruleCount, version }), rejected: () => rejected++, log,
    });
    poller.start();
    await poller.pollNow();
    expect(applied).toEqual([]); // same version: nothing to do
    aws.setParameter('/gwlb/policy', JSON.stringify({ defaultAction: 'allow', rules: [{ action: 'drop', destinationPorts: [23] }] }));
    await poller.pollNow();
    expect(applied).toEqual([{ rules: 1, version: 2 }]);
    aws.setParameter('/gwlb/policy', JSON.stringify({ defaultAction: 'allow', rules: [{ action: 'drop', destinationPorts: ['80-70'] }] }));
    await poller.pollNow();
    await poller.pollNow();
    expect(rejected).toBe(1);
    expect(poller.appliedVersion).toBe(2);
    const refusal = lines.filter((l) => l.msg === 'policy rejected; keeping the running policy');
    expect(refusal).toHaveLength(1);
    expect(refusal[0].error).toContain('rules[0].destinationPorts[0]: "80-70" is not a valid port range');
    aws.mode = 'error500';
    await poller.pollNow();
    expect(poller.appliedVersion).toBe(2);
    expect(lines.some((l) => l.msg === 'cannot read the policy parameter; keeping the running policy')).toBe(true);
    poller.stop();
  });

  test('fails at start on an invalid policy parameter, naming the parameter, version and field', async () => {
    aws.setParameter('/gwlb/policy', JSON.stringify({ defaultAction: 'maybe' }));
    await expect(fetchInitialPolicy(clients.ssm, '/gwlb/policy', log))
      .rejects.toThrow('SSM parameter /gwlb/policy version 1: defaultAction: "maybe" is not "allow" or "drop"');
  });

  test('fails at start when SSM stays unreachable past the wait, naming the flag', async () => {
    aws.mode = 'error500';
    await expect(fetchInitialPolicy(clients.ssm, '/gwlb/policy', log, 200, new Backoff(20, 40)))
      .rejects.toThrow(/--policy-parameter: cannot read SSM parameter \/gwlb\/policy/);
    await sleep(1);
  });
});
