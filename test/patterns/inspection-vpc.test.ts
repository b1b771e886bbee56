import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { FlowStickiness, GeneveHealthCheckProtocol, TargetFailover } from '../../lib/gwlb';
import {
  AgentLogLevel, AgentReplyMode, Appliance, AppliancePolicy, ApplianceScaling, InspectionVpc, InspectionVpcProps,
  PortRange, RuleAction, RuleProtocol,
} from '../../lib/patterns';
import { acknowledgedRuleIds, logicalIdOf, onlyResource, resourcesOfType, userDataText } from './support/synth';

function build(props: InspectionVpcProps = {}, stack = new Stack()) {
  const inspection = new InspectionVpc(stack, 'Inspection', props);
  return { stack, inspection, template: Template.fromStack(stack) };
}

function launchTemplateUserData(template: Template): string {
  return userDataText(onlyResource(template, 'AWS::EC2::LaunchTemplate')[1]);
}

/** The IAM policies attached to the appliance role. */
function appliancePolicies(template: Template, inspection: InspectionVpc): Array<[string, any]> {
  const roleId = logicalIdOf(inspection.role);
  return resourcesOfType(template, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
}

function targetGroupAttributes(template: Template): Record<string, string> {
  const [, tg] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
  return Object.fromEntries((tg.Properties.TargetGroupAttributes ?? []).map((a: any) => [a.Key, a.Value]));
}

describe('InspectionVpc with defaults', () => {
  let stack: Stack;
  let inspection: InspectionVpc;
  let template: Template;
  beforeAll(() => ({ stack, inspection, template } = build()));

  const applianceSubnetIds = () => inspection.applianceSubnets.map((s) => stack.resolve(s.subnetId));
  const applianceCidrs = () => inspection.applianceSubnets.map((s) => s.ipv4CidrBlock);

  test('creates a VPC in 2 zones with flow logs and an S3 gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.100.0.0/16' });
    expect(inspection.applianceSubnets).toHaveLength(2);
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
      VpcEndpointType: 'Gateway',
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  test('puts the Gateway Load Balancer in the appliance subnets', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'gateway',
      Subnets: applianceSubnetIds(),
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'load_balancing.cross_zone.enabled', Value: 'false' }]),
    });
  });

  test('health-checks the agent: HTTP GET /healthz on port 8080', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'GENEVE',
      Port: 6081,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '8080',
      HealthCheckPath: '/healthz',
      TargetGroupAttributes: Match.absent(),
    });
  });

  test('forwards the listener to the target group that the Auto Scaling group registers with', () => {
    const tgId = logicalIdOf(inspection.targetGroup);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: logicalIdOf(inspection.gatewayLoadBalancer) },
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: tgId } }],
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { TargetGroupARNs: [{ Ref: tgId }] });
  });

  test('admits only GENEVE and health checks, only from the load balancer subnets', () => {
    const [, sg] = onlyResource(template, 'AWS::EC2::SecurityGroup');
    const ingress = sg.Properties.SecurityGroupIngress.map((r: any) => `${r.IpProtocol}/${r.FromPort}-${r.ToPort} from ${r.CidrIp}`);
    expect(ingress.sort()).toEqual(applianceCidrs().flatMap((c) => [`tcp/8080-8080 from ${c}`, `udp/6081-6081 from ${c}`]).sort());
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    const egress = sg.Properties.SecurityGroupEgress.map((r: any) => `${r.IpProtocol}/${r.FromPort} to ${r.CidrIp}`);
    expect(egress.sort()).toEqual([...applianceCidrs().map((c) => `udp/6081 to ${c}`), 'tcp/443 to 0.0.0.0/0'].sort());
  });

  test('launch template: IMDSv2 only, encrypted gp3 root volume, detailed monitoring, no key pair', () => {
    const [, lt] = onlyResource(template, 'AWS::EC2::LaunchTemplate');
    const data = lt.Properties.LaunchTemplateData;
    expect(data.MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.BlockDeviceMappings).toEqual([{
      DeviceName: '/dev/xvda',
      Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 8, DeleteOnTermination: true },
    }]);
    expect(data.Monitoring).toEqual({ Enabled: true });
    expect(data.KeyName).toBeUndefined();
    expect(data.InstanceType).toBe('c6g.large');
  });

  test('uses the latest Amazon Linux 2023 for arm64 (the default c6g instance type)', () => {
    const [, lt] = onlyResource(template, 'AWS::EC2::LaunchTemplate');
    const parameter = lt.Properties.LaunchTemplateData.ImageId.Ref;
    expect(template.toJSON().Parameters[parameter].Default).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64');
  });

  test('the role has Session Manager access and may read only the agent bundle object', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
    const [, policy] = appliancePolicies(template, inspection)[0];
    expect(appliancePolicies(template, inspection)).toHaveLength(1);
    const logGroupId = logicalIdOf(inspection.appliances.logGroup as unknown as IConstruct);
    const parameterId = logicalIdOf(inspection.appliances.policyParameter as unknown as IConstruct);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{
      Action: 's3:GetObject',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', expect.anything(), `/${inspection.appliances.agentAsset!.s3ObjectKey}`]] },
    }, {
      // PutMetricData has no resource-level permissions: the namespace condition is the scope.
      Sid: 'AgentMetrics', Action: 'cloudwatch:PutMetricData', Effect: 'Allow', Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'GwlbInspection' } },
    }, {
      Sid: 'AgentLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
    }, {
      Sid: 'AgentPolicy', Action: 'ssm:GetParameter', Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/', { Ref: parameterId }]] },
    }, {
      // cfn-signal, added by UserData.addSignalOnExitCommand.
      Action: 'cloudformation:SignalResource', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' },
    }]);
    expect(inspection.appliances.agentAsset!.s3ObjectKey).toMatch(/\.js$/);
  });

  test('the Auto Scaling group: 2..4 appliances, ELB health checks, notifications, rolling updates', () => {
    const [, asg] = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    const { MinSize, MaxSize, HealthCheckType, HealthCheckGracePeriod, VPCZoneIdentifier } = asg.Properties;
    expect({ MinSize, MaxSize, HealthCheckType, HealthCheckGracePeriod, VPCZoneIdentifier }).toEqual({
      MinSize: '2', MaxSize: '4', HealthCheckType: 'ELB', HealthCheckGracePeriod: 300, VPCZoneIdentifier: applianceSubnetIds(),
    });
    const [notifications] = asg.Properties.NotificationConfigurations;
    expect(asg.Properties.NotificationConfigurations).toHaveLength(1);
    expect(notifications.TopicARN).toEqual({ Ref: logicalIdOf(inspection.appliances.notificationsTopic as sns.Topic) });
    expect(notifications.NotificationTypes).toEqual(expect.arrayContaining(['autoscaling:EC2_INSTANCE_LAUNCH',
      'autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR']));
    expect(asg.Properties.DesiredCapacity).toBeUndefined();
    expect(asg.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 1, MinInstancesInService: 2 });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      }),
    });
  });

  test('scales on average CPU at 40 %', () => {
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 40 },
    });
  });

  test('publishes an endpoint service without acceptance, for this account', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpointService', {
      AcceptanceRequired: false,
      GatewayLoadBalancerArns: [{ Ref: logicalIdOf(inspection.gatewayLoadBalancer) }],
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', {
      AllowedPrincipals: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] }],
    });
    expect(stack.resolve(inspection.serviceName)).toEqual({
      'Fn::Join': ['', ['com.amazonaws.vpce.', { Ref: 'AWS::Region' }, '.', { Ref: logicalIdOf(inspection.endpointService) }]],
    });
  });

  test('user data runs the agent with the contract flags, CloudWatch and the policy parameter, and waits for /healthz', () => {
    const script = launchTemplateUserData(template);
    const asgName = (onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup')[1].Properties.AutoScalingGroupName);
    const logGroupId = logicalIdOf(inspection.appliances.logGroup as unknown as IConstruct);
    const parameterId = logicalIdOf(inspection.appliances.policyParameter as unknown as IConstruct);
    expect(script).toContain('ExecStart=/usr/bin/node-24 /opt/gwlb-agent/gwlb-agent.js --listen 0.0.0.0 --port 6081 '
      + '--health-port 8080 --drain-seconds 300 --reply-mode bound-port --log-level info '
      + '--aws-region ${{"Ref":"AWS::Region"}} --cloudwatch-namespace GwlbInspection --metrics-interval-seconds 60 '
      + `--log-group \${{"Ref":"${logGroupId}"}} --fleet-name ${asgName} --policy-parameter \${{"Ref":"${parameterId}"}} --policy-poll-seconds 30\n`);
    expect(script).toContain('dnf install -y nodejs24\n');
    expect(script).not.toContain('GWLB_AGENT_POLICY'); // the policy is not in the user data
    template.hasResourceProperties('AWS::SSM::Parameter', { Type: 'String', Tier: 'Standard', Value: '{"defaultAction":"allow"}' });
    expect(script).toMatch(/systemctl enable --now gwlb-agent\.service\n# Fail fast.*\nif ! timeout 300 bash -c 'until curl -fsS -o \/dev\/null --max-time 2 http:\/\/127\.0\.0\.1:8080\/healthz; do sleep 3; done'; then\n/);
    expect(script).toMatch(new RegExp(`aws s3 cp --only-show-errors --region \\$\\{\\{"Ref":"AWS::Region"\\}\\} s3://.*/${inspection.appliances.agentAsset!.s3ObjectKey} /opt/gwlb-agent/gwlb-agent.js`));
  });

  test('exposes every resource', () => {
    expect(inspection.autoScalingGroup).toBe(inspection.appliances.autoScalingGroup);
    expect(inspection.launchTemplate).toBe(inspection.appliances.launchTemplate);
    expect(inspection.securityGroup).toBe(inspection.appliances.securityGroup);
    expect(inspection.role).toBe(inspection.appliances.role);
    expect(inspection.appliances.policy!.ruleCount).toBe(0);
    expect(inspection.appliances.scalingPolicy).toBeDefined();
    expect(inspection.vpc).toBeInstanceOf(ec2.Vpc);
  });

  test('acknowledges only the findings that cannot apply, on the resource itself', () => {
    expect(acknowledgedRuleIds(inspection.gatewayLoadBalancer.node.defaultChild!)).toContain('AwsSolutions::AwsSolutions-ELB2');
    expect(acknowledgedRuleIds(inspection.role)).toEqual([
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    ]);
  });
});

describe('InspectionVpc options', () => {
  test('cidr and maxAzs shape the new VPC and the load balancer', () => {
    const { inspection, template } = build({ cidr: '10.9.0.0/16', maxAzs: 3 }, new Stack(undefined, 'S', { env: { region: 'eu-west-1', account: '111122223333' } }));
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.9.0.0/16' });
    expect(inspection.applianceSubnets.map((s) => s.availabilityZone)).toHaveLength(3);
    expect(onlyResource(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[1].Properties.Subnets).toHaveLength(3);
  });

  test('natGateways: 0 makes the appliance subnets isolated, keeping S3 reachable', () => {
    const { template, inspection } = build({ natGateways: 0 });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    expect(inspection.applianceSubnets).toHaveLength(2);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    // The agent's policy, metrics, logs and cfn-signal need these APIs without a NAT gateway.
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint'))
      .filter((e: any) => e.Properties.VpcEndpointType === 'Interface')
      .map((e: any) => JSON.stringify(e.Properties.ServiceName).match(/\.(ssm|monitoring|logs|cloudformation)"/)![1]).sort();
    expect(services).toEqual(['cloudformation', 'logs', 'monitoring', 'ssm']);
    const [, asg] = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    expect(asg.DependsOn.filter((d: string) => /Endpoint[0-9A-F]{8}$/.test(d))).toHaveLength(4);
  });

  test('an x86_64 instance type gets the x86_64 image', () => {
    const { template } = build({ instanceType: new ec2.InstanceType('c6i.large') });
    const [, lt] = onlyResource(template, 'AWS::EC2::LaunchTemplate');
    expect(lt.Properties.LaunchTemplateData.InstanceType).toBe('c6i.large');
    const parameter = lt.Properties.LaunchTemplateData.ImageId.Ref;
    expect(template.toJSON().Parameters[parameter].Default).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64');
  });

  test('deregistrationDelay sets the target group attribute and the agent drain time', () => {
    const { template } = build({ deregistrationDelay: Duration.seconds(60) });
    expect(targetGroupAttributes(template)['deregistration_delay.timeout_seconds']).toBe('60');
    const script = launchTemplateUserData(template);
    expect(script).toContain('--drain-seconds 60 ');
    expect(script).toContain('TimeoutStopSec=75\n');
  });

  test('stickiness, target failover and cross-zone load balancing are passed through', () => {
    const { template } = build({
      stickiness: FlowStickiness.THREE_TUPLE, targetFailover: TargetFailover.REBALANCE, crossZoneEnabled: true,
    });
    expect(targetGroupAttributes(template)).toEqual({
      'stickiness.enabled': 'true',
      'stickiness.type': 'source_ip_dest_ip_proto',
      'target_failover.on_deregistration': 'rebalance',
      'target_failover.on_unhealthy': 'rebalance',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }]),
    });
  });

  test('tcpIdleTimeout sets the listener attribute and the agent flow timeout', () => {
    const { template } = build({ tcpIdleTimeout: Duration.seconds(600) });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '600' }],
    });
    expect(launchTemplateUserData(template)).toContain('--tcp-idle-seconds 600 --aws-region ');
  });

  test('a health check port moves the target group check, the security group rule and the agent flag', () => {
    const { template, inspection } = build({ healthCheck: { port: 9090, interval: Duration.seconds(30) } });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPort: '9090', HealthCheckPath: '/healthz', HealthCheckProtocol: 'HTTP', HealthCheckIntervalSeconds: 30,
    });
    const cidr = inspection.applianceSubnets[0].ipv4CidrBlock;
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ IpProtocol: 'tcp', FromPort: 9090, ToPort: 9090, CidrIp: cidr })]),
    });
    expect(launchTemplateUserData(template)).toContain('--health-port 9090 ');
  });

  test('a TCP health check has no path', () => {
    const { template } = build({ healthCheck: { protocol: GeneveHealthCheckProtocol.TCP } });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckProtocol: 'TCP', HealthCheckPort: '8080', HealthCheckPath: Match.absent(),
    });
  });

  test('scaling on incoming network traffic, or not at all', () => {
    build({ scaling: ApplianceScaling.networkIn(50_000_000) }).template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageNetworkIn' }, TargetValue: 50_000_000 },
    });
    const none = build({ scaling: ApplianceScaling.none() });
    none.template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 0);
    expect(none.inspection.appliances.scalingPolicy).toBeUndefined();
  });

  test('capacity settings reach the group and its update policy', () => {
    const { template } = build({ minCapacity: 3, maxCapacity: 6, desiredCapacity: 4 });
    const [, asg] = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    expect(asg.Properties).toMatchObject({ MinSize: '3', MaxSize: '6', DesiredCapacity: '4' });
    expect(asg.UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService).toBe(3);
    // with min == max, one appliance at a time may be out of service during an update
    const fixed = build({ minCapacity: 2, maxCapacity: 2 });
    expect(onlyResource(fixed.template, 'AWS::AutoScaling::AutoScalingGroup')[1].UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService).toBe(1);
  });

  test('warns when there are fewer minimum appliances than zones', () => {
    const { stack } = build({ minCapacity: 1 });
    Annotations.fromStack(stack).hasWarning('/Default/Inspection/Appliances',
      Match.stringLikeRegexp('minCapacity \\(1\\) is below the number of availability zones \\(2\\)'));
  });

  test('acceptance and allowed principals for other accounts', () => {
    const { template } = build({ acceptanceRequired: true, allowedPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:root')] });
    template.hasResourceProperties('AWS::EC2::VPCEndpointService', { AcceptanceRequired: true });
    template.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', { AllowedPrincipals: ['arn:aws:iam::111122223333:root'] });
  });

  test('allowAllOutbound opens egress', () => {
    const { template } = build({ allowAllOutbound: true });
    const [, sg] = onlyResource(template, 'AWS::EC2::SecurityGroup');
    expect(sg.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' }]);
  });

  test('a given notifications topic is used instead of a new one', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Ops');
    const { template } = build({ notificationsTopic: topic }, stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NotificationConfigurations: [Match.objectLike({ TopicARN: { Ref: logicalIdOf(topic) } })],
    });
  });

  test('agent options: policy, Node.js package, log level, reply mode, extra commands, image and volume size', () => {
    const { template } = build({
      appliance: Appliance.agent({
        policy: AppliancePolicy.fromRules({
          defaultAction: RuleAction.ALLOW,
          rules: [{ name: 'no-telnet', action: RuleAction.DROP, protocol: RuleProtocol.TCP, destinationPorts: [PortRange.port(23)] }],
        }),
        nodePackageName: 'nodejs22',
        logLevel: AgentLogLevel.WARN,
        replyMode: AgentReplyMode.DGRAM,
        additionalCommands: ['echo extra'],
        machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
        rootVolumeSize: Size.gibibytes(20),
      }),
    }, new Stack(undefined, 'S', { env: { region: 'us-east-1' } }));
    const script = launchTemplateUserData(template);
    expect(script).toContain('dnf install -y nodejs22\n');
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Value: '{"defaultAction":"allow","rules":[{"name":"no-telnet","action":"drop","protocol":"tcp","destinationPorts":[23]}]}',
    });
    expect(script).toContain('--reply-mode dgram --log-level warn');
    expect(script).toMatch(/systemctl enable --now gwlb-agent\.service\n# Fail fast[^]*\nfi\necho extra$/);
    const data = onlyResource(template, 'AWS::EC2::LaunchTemplate')[1].Properties.LaunchTemplateData;
    expect(data.ImageId).toBe('ami-0123456789abcdef0');
    expect(data.BlockDeviceMappings[0].Ebs.VolumeSize).toBe(20);
  });

  test('a custom appliance brings its own image and user data, and gets no agent bundle', () => {
    const userData = ec2.UserData.forLinux();
    userData.addCommands('/opt/firewall/start');
    const { template, inspection } = build({
      appliance: Appliance.custom({
        machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0f1e2d3c4b5a69788' }),
        userData,
        rootDeviceName: '/dev/sda1',
        rootVolumeSize: Size.gibibytes(60),
      }),
      healthCheck: { protocol: GeneveHealthCheckProtocol.HTTPS, port: 443, path: '/health' },
    }, new Stack(undefined, 'S', { env: { region: 'us-east-1' } }));
    const data = onlyResource(template, 'AWS::EC2::LaunchTemplate')[1].Properties.LaunchTemplateData;
    expect(data.ImageId).toBe('ami-0f1e2d3c4b5a69788');
    expect(data.UserData).toEqual({ 'Fn::Base64': '#!/bin/bash\n/opt/firewall/start' });
    expect(data.BlockDeviceMappings[0]).toEqual({ DeviceName: '/dev/sda1', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 60, DeleteOnTermination: true } });
    expect(appliancePolicies(template, inspection)).toHaveLength(0);
    expect(inspection.appliances.agentAsset).toBeUndefined();
    expect(inspection.appliances.node.tryFindChild('AgentAsset')).toBeUndefined();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckProtocol: 'HTTPS', HealthCheckPort: '443' });
  });

  test('an existing VPC: its private subnets host the appliances, no VPC is created', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Shared', { maxAzs: 2 });
    const { template, inspection } = build({ existingVpc: vpc }, stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    expect(inspection.vpc).toBe(vpc);
    expect(inspection.applianceSubnets).toEqual(vpc.privateSubnets);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: vpc.privateSubnets[1].ipv4CidrBlock, FromPort: 6081 })]),
    });
  });

  test('an imported VPC with subnet CIDR blocks', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
      privateSubnetIpv4CidrBlocks: ['10.1.1.0/24', '10.1.2.0/24'],
    });
    const { template } = build({ existingVpc: vpc }, stack);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'] });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { VPCZoneIdentifier: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'] });
    const [, sg] = onlyResource(template, 'AWS::EC2::SecurityGroup');
    expect(sg.Properties.SecurityGroupIngress.map((r: any) => r.CidrIp)).toEqual(['10.1.1.0/24', '10.1.1.0/24', '10.1.2.0/24', '10.1.2.0/24']);
  });
});
