/**
 * Template types (YAML booleans and numbers, appliances on network interfaces or launch templates,
 * targets by address), the scope of the check (public subnets whose replies pass an endpoint,
 * load balancers that cannot be followed) and several stacks with the same logical ids.
 */
import { CfnTemplate, FindingSeverity, GwlbModel, RuleId, UnresolvedRuleId } from '../../../lib/validation';
import { parseTemplateText } from '../../../lib/validation/cfn-yaml';
import { edit, errorsOf, ids, PROVIDER, SPOKE, validateTexts } from './templates';

/** A provider with zone-comparable AZs and appliances declared by `appliances` (two, zone 0 and 1 by default). */
function provider(appliances: string, targets = '        - Id: !Ref Appliance1\n        - Id: !Ref Appliance2\n', attributes = ''): string {
  return `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.9.0.0/16}}
  Subnet0: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.9.0.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}}
  Subnet1: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.9.1.0/24, AvailabilityZone: !Select [1, !GetAZs ""]}}
  Subnet2: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.9.2.0/24, AvailabilityZone: !Select [2, !GetAZs ""]}}
${appliances}  Gwlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: gateway
      Subnets: [!Ref Subnet0, !Ref Subnet1]
${attributes}  Fleet:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Protocol: GENEVE
      Port: 6081
      VpcId: !Ref Vpc
      Targets:
${targets}  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: {LoadBalancerArn: !Ref Gwlb, DefaultActions: [{Type: forward, TargetGroupArn: !Ref Fleet}]}
`;
}

const instances = (subnetA: string, subnetB: string) => `  Appliance1: {Type: AWS::EC2::Instance, Properties: {ImageId: ami-1, SubnetId: !Ref ${subnetA}}}
  Appliance2: {Type: AWS::EC2::Instance, Properties: {ImageId: ami-1, SubnetId: !Ref ${subnetB}}}
`;

const check = (text: string) => validateTexts({ 'provider.yaml': text });

describe('template types', () => {
  test('the GWLB chain of plain instances in two zones is clean', () => {
    expect(ids(check(provider(instances('Subnet0', 'Subnet1'))))).toEqual([]);
  });

  const threeZones = (value: string) => edit(provider(instances('Subnet0', 'Subnet1'), undefined,
    `      LoadBalancerAttributes:\n        - Key: load_balancing.cross_zone.enabled\n          Value: ${value}\n`), 'Subnets: [!Ref Subnet0, !Ref Subnet1]', 'Subnets: [!Ref Subnet0, !Ref Subnet1, !Ref Subnet2]');

  test('fails with cross-zone written as a YAML boolean false (a GWLB zone without appliances)', () => {
    expect(ids(check(threeZones('false')))).toEqual([`error ${RuleId.AZ_APPLIANCE_COVERAGE}`]);
  });

  test('a YAML boolean true turns cross-zone on (no warning about an unknown value)', () => {
    expect(ids(check(threeZones('true')))).toEqual([]);
  });

  const viaInterfaces = (subnetA: string, subnetB: string) => `  Eni1: {Type: AWS::EC2::NetworkInterface, Properties: {SubnetId: !Ref ${subnetA}, SourceDestCheck: false}}
  Eni2: {Type: AWS::EC2::NetworkInterface, Properties: {SubnetId: !Ref ${subnetB}, SourceDestCheck: false}}
  Appliance1:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-1, NetworkInterfaces: [{NetworkInterfaceId: !Ref Eni1, DeviceIndex: 0}]}
  Appliance2:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-1, NetworkInterfaces: [{NetworkInterfaceId: !Ref Eni2, DeviceIndex: "0"}]}
`;

  test('appliances attached through AWS::EC2::NetworkInterface are placed in the interface subnets', () => {
    expect(ids(check(provider(viaInterfaces('Subnet0', 'Subnet1'))))).toEqual([]);
  });

  test('fails when both network-interface appliances sit in one zone, naming the zone (no "subnet undefined")', () => {
    const findings = check(provider(viaInterfaces('Subnet0', 'Subnet0')));
    expect(ids(findings)).toEqual([`error ${RuleId.APPLIANCE_MULTI_AZ}`, `error ${RuleId.AZ_APPLIANCE_COVERAGE}`]);
    expect(findings.map((f) => f.message).join(' ')).not.toMatch(/undefined/);
  });

  const viaLaunchTemplates = (subnetA: string, subnetB: string) => [subnetA, subnetB].map((subnet, i) => `  Template${i + 1}:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: ami-1
        NetworkInterfaces:
          - {DeviceIndex: 0, SubnetId: !Ref ${subnet}, AssociatePublicIpAddress: false}
  Appliance${i + 1}:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate: {LaunchTemplateId: !Ref Template${i + 1}, Version: !GetAtt Template${i + 1}.LatestVersionNumber}
`).join('');

  test('appliances launched from launch templates are placed in the template\'s interface subnet', () => {
    expect(ids(check(provider(viaLaunchTemplates('Subnet0', 'Subnet1'))))).toEqual([]);
    expect(ids(check(provider(viaLaunchTemplates('Subnet1', 'Subnet1'))))).toEqual([`error ${RuleId.APPLIANCE_MULTI_AZ}`, `error ${RuleId.AZ_APPLIANCE_COVERAGE}`]);
  });

  test('IP targets given as a network interface\'s address are placed in its subnet', () => {
    const byAddress = '        - Id: !GetAtt Eni1.PrimaryPrivateIpAddress\n        - Id: !GetAtt Eni2.PrimaryPrivateIpAddress\n';
    expect(ids(check(provider(viaInterfaces('Subnet0', 'Subnet1'), byAddress)))).toEqual([]);
    expect(ids(check(provider(viaInterfaces('Subnet1', 'Subnet1'), byAddress)))).toContain(`error ${RuleId.APPLIANCE_MULTI_AZ}`);
  });

  test('a target entry without an Id says which entry of which target group', () => {
    const findings = check(provider(instances('Subnet0', 'Subnet1'), '        - Id: !Ref Appliance1\n        - Port: 6081\n'));
    expect(findings.map((f) => f.message).join(' ')).toMatch(/entry 2 of the Targets of Fleet has no Id/);
  });
});

describe('scope', () => {
  test('fails for public instances whose 0.0.0.0/0 leaves through a GWLB endpoint while no edge route table brings inbound traffic through it', () => {
    const findings = errorsOf(validateTexts({ 'spoke.yaml': edit(SPOKE, '  EdgeAssoc:\n    Type: AWS::EC2::GatewayRouteTableAssociation\n    Properties: {GatewayId: !Ref Igw, RouteTableId: !Ref EdgeTable}\n', '') }));
    expect(findings.map((f) => f.ruleId)).toEqual([RuleId.EDGE_ROUTE_SAME_AZ]);
    expect(findings[0].message).toMatch(/WebSubnetA -> EndpointA, WebSubnetB -> EndpointB .*asymmetric/);
  });

  test('a transit subnet whose 0.0.0.0/0 goes to an endpoint but that holds no public workload is not an entry point', () => {
    expect(errorsOf(validateTexts({ 'p.yaml': PROVIDER }))).toEqual([]);
    const publicHost = edit(PROVIDER, '  ProviderIgw:', '  Host: {Type: AWS::EC2::Instance, Properties: {ImageId: ami-1, SubnetId: !Ref TransitSubnet1}}\n  ProviderIgw:');
    expect(errorsOf(validateTexts({ 'p.yaml': publicHost })).map((f) => f.ruleId)).toEqual([RuleId.EDGE_ROUTE_SAME_AZ]);
  });

  test('an internet-facing load balancer whose subnets are parameters warns even when nothing else is in scope', () => {
    const findings = validateTexts({ 'lb.yaml': `Parameters:
  PublicSubnets: {Type: "List<AWS::EC2::Subnet::Id>"}
Resources:
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: !Ref PublicSubnets}
` });
    expect(ids(findings)).toEqual([`warning ${UnresolvedRuleId.R1}`]);
    expect(findings[0].message).toMatch(/Cannot follow subnet parameter PublicSubnets of internet-facing load balancer Lb/);
  });

  const behindLb = (routes: string) => edit(SPOKE, 'Outputs:\n', `  LbSubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref SpokeVpc, CidrBlock: 10.20.31.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}
  LbTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref SpokeVpc}}
  LbAssoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref LbSubnetA, RouteTableId: !Ref LbTable}}
  LbDefault: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref LbTable, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}}
${routes}  PublicLb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: [!Ref LbSubnetA]}
Outputs:
`);

  test('fails for an internet-facing load balancer subnet that nothing inspects', () => {
    const findings = errorsOf(validateTexts({ 'spoke.yaml': behindLb('') }));
    expect(findings.map((f) => `${f.ruleId} ${f.resources[0].logicalId}`)).toEqual([`${RuleId.EDGE_ROUTE_SAME_AZ} LbSubnetA`]);
  });

  test.each([
    ['a route', '  LbToWeb: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref LbTable, DestinationCidrBlock: 10.20.1.0/24, VpcEndpointId: !Ref EndpointA}}\n', 'route LbToWeb'],
    ['a custom resource that rewrites its local route', '  LbLocal: {Type: Custom::ReplaceRoute, Properties: {ServiceToken: arn:aws:lambda:us-east-1:111111111111:function:f, RtbId: !Ref LbTable, VpceId: !Ref EndpointA, DestCidr: 10.20.0.0/16}}\n', 'custom resource LbLocal'],
  ])('a load balancer subnet whose table sends traffic to an endpoint through %s (inspection behind the load balancer) is a warning, not a bypass', (_how, routes, via) => {
    const findings = validateTexts({ 'spoke.yaml': behindLb(routes) });
    expect(errorsOf(findings)).toEqual([]);
    const behind = findings.find((f) => f.ruleId === UnresolvedRuleId.R1);
    expect(behind?.message).toContain(`its subnet's ${via}`);
    expect(behind?.message).toMatch(/inspection is between the load balancer and its targets/);
  });
});

describe('several stacks', () => {
  test('fails once per stack when two stacks with the same logical ids have the same fault', () => {
    const faulty = edit(SPOKE, 'VpcEndpointId: !Ref EndpointB}\n  EdgeToA', 'GatewayId: !Ref Igw}\n  EdgeToA');
    const findings = errorsOf(validateTexts({ 'east.yaml': faulty, 'west.yaml': faulty }));
    expect(findings.map((f) => `${f.ruleId} ${f.resources[0].stackName}`).sort()).toEqual([
      `${RuleId.RETURN_ROUTE_SYMMETRY} east`, `${RuleId.RETURN_ROUTE_SYMMETRY} west`,
    ]);
    expect(findings.every((f) => f.severity === FindingSeverity.ERROR)).toBe(true);
  });
});

describe('model for further rules', () => {
  test('exposes Transit Gateway attachments and any resource type with resolved properties', () => {
    const text = edit(PROVIDER, '  ProviderIgw:', `  Attachment:
    Type: AWS::EC2::TransitGatewayVpcAttachment
    Properties: {TransitGatewayId: tgw-0123456789abcdef0, VpcId: !Ref ProviderVpc, SubnetIds: [!Ref TransitSubnet1]}
  TgwRoute:
    Type: AWS::EC2::TransitGatewayRoute
    Properties: {TransitGatewayRouteTableId: tgw-rtb-1, DestinationCidrBlock: !Select [0, !Ref ApplianceBlocks], TransitGatewayAttachmentId: !Ref Attachment}
  ProviderIgw:`);
    const model = GwlbModel.fromTemplates([{ template: parseTemplateText(text) as CfnTemplate, stackName: 'provider' }]);
    expect(model.transitGatewayAttachments.map((a) => [a.meta.logicalId, a.transitGatewayId, a.subnetIds])).toEqual([
      ['Attachment', 'tgw-0123456789abcdef0', ['{{ref:S0.TransitSubnet1}}']],
    ]);
    const [route] = model.resourcesOfType('AWS::EC2::TransitGatewayRoute');
    expect(model.propertiesOf(route)).toEqual({ TransitGatewayRouteTableId: 'tgw-rtb-1', DestinationCidrBlock: '10.9.1.0/24', TransitGatewayAttachmentId: '{{ref:S0.Attachment}}' });
  });
});
