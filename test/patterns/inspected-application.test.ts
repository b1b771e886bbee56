import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GatewayLoadBalancerEndpointService } from '../../lib/gwlb';
import { ApplicationEgress, InspectedApplication, InspectedApplicationOptions, InspectionVpc } from '../../lib/patterns';
import { checkPerZonePaths } from './support/routing-paths';
import { acknowledgedRuleIds, logicalIdOf, onlyResource, resourcesOfType, userDataText } from './support/synth';

const SERVICE_NAME = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';

function build(options: InspectedApplicationOptions = {}, stack = new Stack()) {
  const inspectionService = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME);
  const app = new InspectedApplication(stack, 'App', { ...options, inspectionService });
  return { stack, app, template: Template.fromStack(stack) };
}

/** A VPC laid out like the construct's own, defined outside it. */
function ownVpc(stack: Stack, groups = ['Endpoint', 'LoadBalancer']): ec2.Vpc {
  return new ec2.Vpc(stack, 'Own', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [
      ...groups.map((name) => ({ name, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 })),
      { name: 'Application', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
  });
}

describe('InspectedApplication with defaults', () => {
  let stack: Stack;
  let app: InspectedApplication;
  let template: Template;
  beforeAll(() => ({ stack, app, template } = build()));

  test('inbound and return paths cross the same-zone endpoint in every zone', () => {
    const paths = checkPerZonePaths(template.toJSON() as any);
    expect(paths).toHaveLength(2);
    expect(new Set(paths.map((p) => p.endpoint)).size).toBe(2);
    expect(paths.every((p) => p.natGateway !== undefined)).toBe(true);
    expect(paths.map((p) => p.endpoint)).toEqual(app.endpoints.map((e) => logicalIdOf(e)));
  });

  test('the VPC has /28 endpoint subnets and no subnet hands out public addresses', () => {
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    expect(app.endpointSubnets.map((s) => s.ipv4CidrBlock.endsWith('/28'))).toEqual([true, true]);
    expect(app.loadBalancerSubnets).toHaveLength(2);
    expect(app.applicationSubnets).toHaveLength(2);
    expect(resourcesOfType(template, 'AWS::EC2::Subnet').every(([, s]) => s.Properties.MapPublicIpOnLaunch !== true)).toBe(true);
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
  });

  test('one Gateway Load Balancer endpoint per zone for the given service', () => {
    const endpoints = resourcesOfType(template, 'AWS::EC2::VPCEndpoint').filter(([, e]) => e.Properties.VpcEndpointType === 'GatewayLoadBalancer');
    expect(endpoints.map(([, e]) => e.Properties.ServiceName)).toEqual([SERVICE_NAME, SERVICE_NAME]);
    expect(endpoints.map(([, e]) => e.Properties.SubnetIds)).toEqual(app.endpointSubnets.map((s) => [stack.resolve(s.subnetId)]));
  });

  test('an internet-facing load balancer in the load balancer subnets, created after inspection is in place', () => {
    const [id, alb] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(alb.Properties.Scheme).toBe('internet-facing');
    expect(alb.Properties.Subnets).toEqual(app.loadBalancerSubnets.map((s) => stack.resolve(s.subnetId)));
    const attributes = Object.fromEntries(alb.Properties.LoadBalancerAttributes.map((a: any) => [a.Key, a.Value]));
    expect(attributes).toMatchObject({
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'access_logs.s3.enabled': 'true',
      'access_logs.s3.bucket': { Ref: logicalIdOf(app.accessLogsBucket as s3.Bucket) },
      'access_logs.s3.prefix': 'alb',
    });
    const routeIds = [...app.routing.edgeRoutes, ...app.routing.protectedSubnetRoutes].map((r) => logicalIdOf(r));
    expect(alb.DependsOn).toEqual(expect.arrayContaining([...routeIds, logicalIdOf(app.ingressRouteTable.node.findChild('GatewayAssociation'))]));
    expect(id).toBe(logicalIdOf(app.loadBalancer));
  });

  test('NAT gateways exist only once their traffic is inspected', () => {
    const nats = resourcesOfType(template, 'AWS::EC2::NatGateway');
    expect(nats).toHaveLength(2);
    const edgeIds = app.routing.edgeRoutes.map((r) => logicalIdOf(r));
    for (const [, nat] of nats) {
      expect(nat.DependsOn).toEqual(expect.arrayContaining(edgeIds));
    }
  });

  test('HTTP only: one listener forwarding to the instances', () => {
    const [, listener] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listener.Properties).toMatchObject({ Port: 80, Protocol: 'HTTP' });
    expect(listener.Properties.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: logicalIdOf(app.targetGroup) } }]);
    expect(app.httpsListener).toBeUndefined();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 80, Protocol: 'HTTP', HealthCheckPath: '/', Matcher: { HttpCode: '200' }, TargetType: 'instance',
    });
  });

  test('security groups: the internet reaches only the load balancer, the load balancer only the instances', () => {
    const lbSg = template.toJSON().Resources[logicalIdOf(app.loadBalancerSecurityGroup)];
    expect(lbSg.Properties.SecurityGroupIngress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTP from the internet', FromPort: 80, IpProtocol: 'tcp', ToPort: 80 },
    ]);
    const webSgId = logicalIdOf(app.webServers.securityGroup);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [webSgId, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalIdOf(app.loadBalancerSecurityGroup), 'GroupId'] },
      FromPort: 80, ToPort: 80, IpProtocol: 'tcp',
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    const webSg = template.toJSON().Resources[webSgId];
    expect(webSg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(webSg.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS to package repositories', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
  });

  test('the access log bucket is encrypted, private, TLS-only and expiring', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      }),
    });
  });

  test('without a region, the regional ELB account is looked up at deploy time', () => {
    const [, policy] = onlyResource(template, 'AWS::S3::BucketPolicy');
    const elbStatement = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Principal?.AWS && s.Action === 's3:PutObject');
    expect(JSON.stringify(elbStatement.Principal.AWS)).toContain('Fn::FindInMap');
    expect(elbStatement.Action).toBe('s3:PutObject');
    expect(template.toJSON().Mappings).toBeDefined();
  });

  test('instances: hardened launch template, ELB health checks, notifications, default web page', () => {
    const data = onlyResource(template, 'AWS::EC2::LaunchTemplate')[1].Properties.LaunchTemplateData;
    expect(data.MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.BlockDeviceMappings[0].Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
    expect(data.InstanceType).toBe('t4g.micro');
    const script = userDataText(onlyResource(template, 'AWS::EC2::LaunchTemplate')[1]);
    expect(script).toContain('dnf install -y nginx\n');
    expect(script).toContain('X-aws-ec2-metadata-token');
    const [, asg] = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    expect(asg.Properties.HealthCheckType).toBe('ELB');
    expect(asg.Properties.VPCZoneIdentifier).toEqual(app.applicationSubnets.map((s) => stack.resolve(s.subnetId)));
    expect(asg.Properties.NotificationConfigurations).toHaveLength(1);
    expect(asg.Properties.TargetGroupARNs).toEqual([{ Ref: logicalIdOf(app.targetGroup) }]);
  });

  test('acknowledges the open listener and the terminal log bucket, nothing else', () => {
    expect(acknowledgedRuleIds(app.loadBalancerSecurityGroup)).toEqual(['AwsSolutions::AwsSolutions-EC23']);
    expect(acknowledgedRuleIds(app.accessLogsBucket as s3.Bucket)).toEqual(['AwsSolutions::AwsSolutions-S1']);
    const nagAcknowledged = app.node.findAll().filter((c) => acknowledgedRuleIds(c).some((id) => id.startsWith('AwsSolutions::')));
    expect(nagAcknowledged).toEqual([app.loadBalancerSecurityGroup, app.accessLogsBucket]);
  });
});

describe('InspectedApplication options', () => {
  test('three zones: every zone has its own path', () => {
    const { template, app } = build({ maxAzs: 3 }, new Stack(undefined, 'S', { env: { account: '111122223333', region: 'eu-west-1' } }));
    const paths = checkPerZonePaths(template.toJSON() as any);
    expect(paths.map((p) => JSON.parse(p.zone))).toEqual(app.vpc.availabilityZones);
    expect(app.vpc.availabilityZones).toHaveLength(3);
  });

  test('a certificate adds HTTPS and redirects HTTP', () => {
    const stack = new Stack();
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:111122223333:certificate/abc');
    const { template, app } = build({ certificate }, stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443, Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/abc' }],
      SslPolicy: Match.stringLikeRegexp('^ELBSecurityPolicy-TLS13'),
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalIdOf(app.targetGroup) } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80, Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
    const lbSg = template.toJSON().Resources[logicalIdOf(app.loadBalancerSecurityGroup)];
    expect(lbSg.Properties.SecurityGroupIngress.map((r: any) => r.FromPort)).toEqual([80, 443]);
  });

  test('with a region, access logs use the regional ELB account', () => {
    const { template } = build({}, new Stack(undefined, 'S', { env: { region: 'us-east-1' } }));
    const [, policy] = onlyResource(template, 'AWS::S3::BucketPolicy');
    const principals = policy.Properties.PolicyDocument.Statement.map((s: any) => JSON.stringify(s.Principal));
    expect(principals.some((p: string) => p.includes(':iam::127311923021:root'))).toBe(true);
  });

  test('egress NONE: no NAT gateways, isolated instances with an S3 gateway endpoint', () => {
    const { template, app, stack } = build({ egress: ApplicationEgress.NONE });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const paths = checkPerZonePaths(template.toJSON() as any);
    expect(paths.map((p) => p.natGateway)).toEqual([undefined, undefined]);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      RouteTableIds: app.applicationSubnets.map((s) => stack.resolve(s.routeTable.routeTableId)),
    });
  });

  test('a given access log bucket, prefix and instance settings', () => {
    const stack = new Stack(undefined, 'S', { env: { region: 'eu-west-1' } });
    const bucket = new s3.Bucket(stack, 'Logs', { encryption: s3.BucketEncryption.S3_MANAGED });
    const role = new iam.Role(stack, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const userData = ec2.UserData.forLinux();
    userData.addCommands('/opt/app/start');
    const { template, app } = build({
      accessLogsBucket: bucket, accessLogsPrefix: 'web', instanceType: new ec2.InstanceType('m7i.large'),
      machineImage: ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0123456789abcdef0' }), userData, instanceRole: role,
      minCapacity: 3, maxCapacity: 5, desiredCapacity: 4,
    }, stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    expect(app.accessLogsBucket).toBe(bucket);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.prefix', Value: 'web' }]),
    });
    const data = onlyResource(template, 'AWS::EC2::LaunchTemplate')[1].Properties.LaunchTemplateData;
    expect(data).toMatchObject({ InstanceType: 'm7i.large', ImageId: 'ami-0123456789abcdef0' });
    expect(data.UserData).toEqual({ 'Fn::Base64': '#!/bin/bash\n/opt/app/start' });
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: logicalIdOf(role) }] });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '3', MaxSize: '5', DesiredCapacity: '4' });
    expect(acknowledgedRuleIds(bucket)).toEqual([]);
  });

  test('an existing VPC defined in the app: the load balancer subnets\' default routes are retargeted', () => {
    const stack = new Stack();
    const vpc = ownVpc(stack);
    const { template, app } = build({ existingVpc: vpc }, stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    expect(app.vpc).toBe(vpc);
    const paths = checkPerZonePaths(template.toJSON() as any);
    expect(paths).toHaveLength(2);
    expect(app.routing.protectedSubnetRoutes.map((r) => r.node.path))
      .toEqual(['Default/Own/LoadBalancerSubnet1/DefaultRoute', 'Default/Own/LoadBalancerSubnet2/DefaultRoute']);
  });

  test('an imported VPC with an internet gateway id', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetNames: ['Endpoint', 'LoadBalancer'],
      publicSubnetIds: ['subnet-0e000000000000001', 'subnet-0e000000000000002', 'subnet-0b000000000000001', 'subnet-0b000000000000002'],
      publicSubnetRouteTableIds: ['rtb-0e000000000000001', 'rtb-0e000000000000002', 'rtb-0b000000000000001', 'rtb-0b000000000000002'],
      publicSubnetIpv4CidrBlocks: ['10.2.0.0/28', '10.2.0.16/28', '10.2.1.0/24', '10.2.2.0/24'],
      isolatedSubnetNames: ['Application'],
      isolatedSubnetIds: ['subnet-0a000000000000001', 'subnet-0a000000000000002'],
      isolatedSubnetIpv4CidrBlocks: ['10.2.3.0/24', '10.2.4.0/24'],
    });
    const { template } = build({ existingVpc: vpc, internetGatewayId: 'igw-0123456789abcdef0' }, stack);
    template.hasResourceProperties('AWS::EC2::GatewayRouteTableAssociation', { GatewayId: 'igw-0123456789abcdef0' });
    for (const [cidr, rtb, i] of [['10.2.1.0/24', 'rtb-0b000000000000001', 1], ['10.2.2.0/24', 'rtb-0b000000000000002', 2]] as const) {
      const endpoint = { Ref: Match.stringLikeRegexp(`^AppRoutingEndpoint${i}`) };
      template.hasResourceProperties('AWS::EC2::Route', { DestinationCidrBlock: cidr, VpcEndpointId: endpoint });
      template.hasResourceProperties('AWS::EC2::Route', { RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', VpcEndpointId: endpoint });
    }
    template.resourceCountIs('AWS::EC2::Route', 4); // nothing is added to the imported endpoint subnets
  });

  test('the inspection VPC itself as the service, in the same stack: endpoints wait for the service permissions', () => {
    const stack = new Stack();
    const inspection = new InspectionVpc(stack, 'Inspection');
    const app = new InspectedApplication(stack, 'App', { inspectionService: inspection });
    const template = Template.fromStack(stack);
    const endpointServiceId = logicalIdOf(inspection.endpointService);
    for (const endpoint of app.endpoints) {
      const resource = template.toJSON().Resources[logicalIdOf(endpoint)];
      expect(resource.Properties.ServiceName).toEqual({ 'Fn::Join': ['', ['com.amazonaws.vpce.', { Ref: 'AWS::Region' }, '.', { Ref: endpointServiceId }]] });
      // created only once the service lets this account in
      expect(resource.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(inspection.endpointService.permissionsResource!)]));
    }
  });
});

describe('InspectedApplication validation', () => {
  test('fails an existing VPC without an internet gateway', () => {
    const stack = new Stack();
    const isolated = new ec2.Vpc(stack, 'Isolated', {
      natGateways: 0, subnetConfiguration: [{ name: 'Application', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    expect(() => build({ existingVpc: isolated }, stack)).toThrow(/existingVpc \(Default\/Isolated\) has no internet gateway known to CDK/);
    const stack2 = new Stack();
    const imported = ec2.Vpc.fromVpcAttributes(stack2, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a'], publicSubnetIds: ['subnet-0e000000000000001'],
    });
    expect(() => build({ existingVpc: imported }, stack2)).toThrow(/has no internet gateway known to CDK \(internetGatewayId is undefined\)/);
  });

  test('fails when endpoint subnets cover fewer zones than the load balancer subnets', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = ownVpc(stack);
    const [a, b] = vpc.availabilityZones;
    expect(() => build({ existingVpc: vpc, endpointSubnets: { subnetGroupName: 'Endpoint', availabilityZones: [a] } }, stack))
      .toThrow(new RegExp(`endpointSubnets cover fewer availability zones \\(1: ${a}\\) than loadBalancerSubnets \\(2\\); no endpoint in ${b}`));
  });

  test('fails load balancer subnets in one zone', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = ownVpc(stack);
    expect(() => build({ existingVpc: vpc, loadBalancerSubnets: { subnetGroupName: 'LoadBalancer', availabilityZones: [vpc.availabilityZones[1]] } }, stack))
      .toThrow(/loadBalancerSubnets must span at least 2 availability zones \(Application Load Balancer\), got 1/);
  });

  test('fails an endpoint subnet whose default route is not the internet gateway', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Own', { maxAzs: 2 }); // Public + Private (NAT) subnets
    expect(() => build({
      existingVpc: vpc, endpointSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      loadBalancerSubnets: { subnetType: ec2.SubnetType.PUBLIC }, applicationSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    }, stack)).toThrow(/endpointSubnets: subnet Default\/Own\/PrivateSubnet1 has a default route that is not the internet gateway/);
  });

  test('fails a subnet group that does not exist', () => {
    const stack = new Stack();
    expect(() => build({ existingVpc: ownVpc(stack, ['Endpoint', 'Web']) }, stack)).toThrow(/loadBalancerSubnets: There are no subnet groups with name 'LoadBalancer'/);
  });

  test('fails new-VPC settings with existingVpc, and subnet selections without it', () => {
    const stack = new Stack();
    expect(() => build({ existingVpc: ownVpc(stack), cidr: '10.1.0.0/16' }, stack)).toThrow(/cidr \(10\.1\.0\.0\/16\) configures a new VPC and cannot be used with existingVpc/);
    expect(() => build({ egress: ApplicationEgress.NONE, existingVpc: ownVpc(new Stack()) })).toThrow(/egress \(NONE\) configures a new VPC/);
    expect(() => build({ endpointSubnets: { subnetGroupName: 'Endpoint' } })).toThrow(/endpointSubnets only applies with existingVpc/);
    expect(() => build({ internetGatewayId: 'igw-0123456789abcdef0' })).toThrow(/internetGatewayId only applies with existingVpc/);
  });

  test('fails maxAzs below 2 and min > max', () => {
    expect(() => build({ maxAzs: 1 })).toThrow(/maxAzs must be an integer of at least 2 .*got 1/);
    expect(() => build({ minCapacity: 3, maxCapacity: 2 })).toThrow(/minCapacity \(3\) must not exceed maxCapacity \(2\)/);
  });

  test('fails a KMS-encrypted access log bucket', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Kms', { encryption: s3.BucketEncryption.KMS });
    expect(() => build({ accessLogsBucket: bucket }, stack)).toThrow(/accessLogsBucket must use S3-managed encryption \(SSE-S3\).*Default\/Kms/);
  });

  test('fails a malformed endpoint service name', () => {
    const stack = new Stack();
    expect(() => new InspectedApplication(stack, 'App', {
      inspectionService: GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Bad', 'vpce-svc-123'),
    })).toThrow(/serviceName must look like com\.amazonaws\.vpce\.<region>\.vpce-svc-<hex id>, got 'vpce-svc-123'/);
  });
});
