/**
 * The bundled agent as a process with its AWS integration on, against local stand-ins for
 * CloudWatch, CloudWatch Logs, SSM (AWS_ENDPOINT_URL, static credentials from the environment)
 * and the instance metadata service (AWS_EC2_METADATA_SERVICE_ENDPOINT). While PutMetricData
 * hangs and CloudWatch Logs fails with 500, every packet is still returned; once they answer,
 * the counters arrive with the instance's dimensions, the log lines (policy drops included)
 * arrive in the instance's stream, and a new policy version in the parameter is applied.
 */
import { spawn } from 'node:child_process';
import { CW_METRIC } from '../../../lib/agent/cloudwatch/metric-datums';
import {
  AGENT_ADDRESS, AgentProcess, ensureBundle, eventually, FakeGwlb, freeTcpPort, freeUdpPort, httpGet, sleep,
} from '../runtime/harness';
import { geneve, ipv4Udp } from '../runtime/packets';
import { AwsStandIn, FAKE_CREDENTIALS, ImdsStandIn, instancePaths } from './stand-in';

const POLICY_V1 = { defaultAction: 'allow', rules: [{ name: 'block-udp-9999', action: 'drop', protocol: 'udp', destinationPorts: [9999] }] };
const POLICY_V2 = { defaultAction: 'allow', rules: [
  { name: 'block-udp-9999', action: 'drop', protocol: 'udp', destinationPorts: [9999] },
  { name: 'block-udp-7777', action: 'drop', protocol: 'udp', destinationPorts: [7777] },
] };

describe('gwlb-agent with CloudWatch, CloudWatch Logs and SSM stand-ins', () => {
  let aws: AwsStandIn;
  let imds: ImdsStandIn;
  let agent: AgentProcess;
  let gwlb: FakeGwlb;
  let healthPort: number;

  beforeAll(async () => {
    aws = await AwsStandIn.start();
    imds = await ImdsStandIn.start(instancePaths('gwlb-appliances-asg'));
    aws.setParameter('/gwlb/policy', JSON.stringify(POLICY_V1));
    aws.modes.PutMetricData = 'hang';
    aws.modes.PutLogEvents = 'error500';
    const port = await freeUdpPort();
    healthPort = await freeTcpPort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, AWS_ENDPOINT_URL: aws.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
      AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    };
    agent = new AgentProcess(spawn(process.execPath, [ensureBundle(),
      '--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort),
      '--aws-region', 'eu-west-1', '--cloudwatch-namespace', 'Test/Gwlb', '--metrics-interval-seconds', '10',
      '--log-group', '/gwlb/test', '--policy-parameter', '/gwlb/policy', '--policy-poll-seconds', '5',
    ], { stdio: ['ignore', 'pipe', 'pipe'], env }));
    await agent.waitForLog('gwlb-agent started', 20000);
    gwlb = await FakeGwlb.create(port);
  });

  afterAll(async () => {
    await gwlb?.close();
    await agent?.stop();
    await aws?.close();
    await imds?.close();
  });

  /** Send `n` allowed packets and count the replies. */
  async function roundTrips(n: number): Promise<number> {
    let back = 0;
    for (let i = 0; i < n; i++) {
      const packet = geneve(ipv4Udp({ srcPort: 30000 + (i % 100), dstPort: 53 }), 0x1000 + i);
      await gwlb.send(packet);
      const reply = await gwlb.replies.next(2000);
      if (reply.msg.equals(packet)) back++;
    }
    return back;
  }

  test('forwards every packet while PutMetricData hangs and PutLogEvents fails, then delivers metrics, logs and a new policy', async () => {
    // The policy came from SSM: port 9999 is dropped (and the drop is logged).
    await gwlb.send(geneve(ipv4Udp({ dstPort: 9999 }), 0x9999));
    expect(await gwlb.replies.silentFor(300)).toBe(true);

    await eventually(() => (aws.attempts.PutLogEvents ?? 0) >= 1, 15000).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(aws.attempts)} ${JSON.stringify(agent.logs)} ${agent.stderr}`); });
    expect(await roundTrips(100)).toBe(100);
    await eventually(() => (aws.attempts.PutMetricData ?? 0) >= 1, 15000); // the first interval's request now hangs
    expect(await roundTrips(100)).toBe(100);
    expect((await httpGet(healthPort, '/healthz')).status).toBe(200);
    expect(aws.ofOperation('PutMetricData')).toHaveLength(0);
    await agent.waitForLog(/^CloudWatch Logs failing/);

    aws.modes.PutMetricData = 'ok';
    aws.modes.PutLogEvents = 'ok';
    await eventually(() => aws.ofOperation('PutMetricData').length > 0, 20000);
    const datums = aws.ofOperation('PutMetricData').flatMap((c) => c.body.MetricData);
    expect(aws.ofOperation('PutMetricData')[0].body.Namespace).toBe('Test/Gwlb');
    const fleet = (name: string) => datums.filter((d: any) => d.MetricName === name && d.Dimensions.length === 1);
    expect(fleet(CW_METRIC.packetsForwarded)[0].Dimensions).toEqual([{ Name: 'AutoScalingGroupName', Value: 'gwlb-appliances-asg' }]);
    expect(fleet(CW_METRIC.packetsForwarded).reduce((n: number, d: any) => n + d.Value, 0)).toBeGreaterThanOrEqual(100);
    expect(fleet(CW_METRIC.policyVersion)[0].Value).toBe(1);
    const byReason = datums.filter((d: any) => d.MetricName === CW_METRIC.packetsDropped
      && d.Dimensions.some((x: any) => x.Name === 'Reason' && x.Value === 'policy') && d.Dimensions.length === 2);
    expect(byReason[0].Value).toBe(1);
    const perInstance = datums.find((d: any) => d.MetricName === CW_METRIC.healthy && d.Dimensions.some((x: any) => x.Name === 'InstanceId'));
    expect(perInstance.Dimensions).toContainEqual({ Name: 'InstanceId', Value: 'i-0123456789abcdef0' });
    const perZone = datums.find((d: any) => d.MetricName === CW_METRIC.healthy && d.Dimensions.some((x: any) => x.Name === 'AvailabilityZone'));
    expect(perZone.Dimensions).toContainEqual({ Name: 'AvailabilityZone', Value: 'eu-west-1b' });

    await eventually(() => aws.ofOperation('PutLogEvents').some((c) => c.body.logEvents.some((e: any) => e.message.includes('"policy drop"'))), 20000);
    const logCall = aws.ofOperation('PutLogEvents')[0];
    expect(logCall.body).toMatchObject({ logGroupName: '/gwlb/test', logStreamName: 'i-0123456789abcdef0' });

    aws.setParameter('/gwlb/policy', JSON.stringify(POLICY_V2));
    await agent.waitForLog('policy reloaded', 15000);
    await gwlb.send(geneve(ipv4Udp({ dstPort: 7777 }), 0x7777));
    expect(await gwlb.replies.silentFor(300)).toBe(true);
    const sentBefore = aws.ofOperation('PutMetricData').length;
    await eventually(() => aws.ofOperation('PutMetricData').length > sentBefore, 15000);
    const latest = aws.ofOperation('PutMetricData').slice(-1)[0].body.MetricData;
    expect(latest.find((d: any) => d.MetricName === CW_METRIC.policyVersion && d.Dimensions.length === 2).Value).toBe(2);
    await sleep(1);
  }, 90_000);
});
