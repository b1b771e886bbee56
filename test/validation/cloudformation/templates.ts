/**
 * Hand-written CloudFormation templates (YAML with short-form tags, and JSON) in the shapes that
 * AWS's GWLB code samples and firewall vendors publish: parameters with defaults, Conditions and
 * Fn::If, appliances as EC2 instances behind a GWLB, endpoint services named through a custom
 * resource. Written for these tests; each test edits one line to put a fault in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Finding, FindingSeverity, validateTemplateFiles } from '../../../lib/validation';

/**
 * A distributed-inspection spoke: per zone a web subnet (public instances, 0.0.0.0/0 -> the zone's
 * GWLB endpoint) and an endpoint subnet (0.0.0.0/0 -> IGW); the IGW edge route table sends each web
 * subnet CIDR to the endpoint of its zone. CIDRs, the egress destination and the AZs are parameters.
 */
export const SPOKE = `AWSTemplateFormatVersion: "2010-09-09"
Description: Spoke VPC whose internet traffic passes a GWLB endpoint per zone
Parameters:
  VpcBlock: {Type: String, Default: 10.20.0.0/16}
  WebBlockA: {Type: String, Default: 10.20.1.0/24}
  WebBlockB: {Type: String, Default: 10.20.2.0/24}
  EndpointBlockA: {Type: String, Default: 10.20.11.0/24}
  EndpointBlockB: {Type: String, Default: 10.20.12.0/24}
  Egress: {Type: String, Default: 0.0.0.0/0}
  InspectionService: {Type: String, Description: service name of the provider's GWLB}
  WebImage: {Type: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}
  WithJumpHost: {Type: String, Default: "no", AllowedValues: ["yes", "no"]}
Conditions:
  JumpHost: !Equals [!Ref WithJumpHost, "yes"]
Resources:
  SpokeVpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Ref VpcBlock
      EnableDnsSupport: true
  Igw:
    Type: AWS::EC2::InternetGateway
  IgwAttachment:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref SpokeVpc, InternetGatewayId: !Ref Igw}
  WebSubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref SpokeVpc
      CidrBlock: !Ref WebBlockA
      AvailabilityZone: !Select [0, !GetAZs ""]
      MapPublicIpOnLaunch: true
  WebSubnetB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref SpokeVpc
      CidrBlock: !Ref WebBlockB
      AvailabilityZone: !Select [1, !GetAZs ""]
      MapPublicIpOnLaunch: true
  EndpointSubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref SpokeVpc, CidrBlock: !Ref EndpointBlockA, AvailabilityZone: !Select [0, !GetAZs ""]}
  EndpointSubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref SpokeVpc, CidrBlock: !Ref EndpointBlockB, AvailabilityZone: !Select [1, !GetAZs ""]}
  WebTableA: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref SpokeVpc}}
  WebTableB: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref SpokeVpc}}
  EndpointTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref SpokeVpc}}
  EdgeTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref SpokeVpc}}
  WebAssocA: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref WebSubnetA, RouteTableId: !Ref WebTableA}}
  WebAssocB: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref WebSubnetB, RouteTableId: !Ref WebTableB}}
  EndpointAssocA: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref EndpointSubnetA, RouteTableId: !Ref EndpointTable}}
  EndpointAssocB: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref EndpointSubnetB, RouteTableId: !Ref EndpointTable}}
  EdgeAssoc:
    Type: AWS::EC2::GatewayRouteTableAssociation
    Properties: {GatewayId: !Ref Igw, RouteTableId: !Ref EdgeTable}
  EndpointA:
    Type: AWS::EC2::VPCEndpoint
    Properties: {VpcEndpointType: GatewayLoadBalancer, ServiceName: !Ref InspectionService, VpcId: !Ref SpokeVpc, SubnetIds: [!Ref EndpointSubnetA]}
  EndpointB:
    Type: AWS::EC2::VPCEndpoint
    Properties: {VpcEndpointType: GatewayLoadBalancer, ServiceName: !Ref InspectionService, VpcId: !Ref SpokeVpc, SubnetIds: [!Ref EndpointSubnetB]}
  EndpointEgress:
    Type: AWS::EC2::Route
    DependsOn: IgwAttachment
    Properties: {RouteTableId: !Ref EndpointTable, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  WebEgressA:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref WebTableA, DestinationCidrBlock: !Ref Egress, VpcEndpointId: !Ref EndpointA}
  WebEgressB:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref WebTableB, DestinationCidrBlock: !Ref Egress, VpcEndpointId: !Ref EndpointB}
  EdgeToA:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref EdgeTable, DestinationCidrBlock: !Ref WebBlockA, VpcEndpointId: !Ref EndpointA}
  EdgeToB:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref EdgeTable, DestinationCidrBlock: !Ref WebBlockB, VpcEndpointId: !Ref EndpointB}
  WebServerA:
    Type: AWS::EC2::Instance
    Properties: {ImageId: !Ref WebImage, InstanceType: t3.micro, SubnetId: !Ref WebSubnetA}
  WebServerB:
    Type: AWS::EC2::Instance
    Properties: {ImageId: !Ref WebImage, InstanceType: t3.micro, SubnetId: !Ref WebSubnetB}
  JumpServer:
    Type: AWS::EC2::Instance
    Condition: JumpHost
    Properties: {ImageId: !Ref WebImage, InstanceType: t3.micro, SubnetId: !Ref EndpointSubnetA}
Outputs:
  WebAddress:
    Value: !GetAtt WebServerA.PublicIp
`;

/**
 * A provider VPC: a GWLB over two appliance instances (static targets), a GENEVE target group, the
 * endpoint service, and a Lambda-backed custom resource that turns the service id into the service
 * name that the endpoints of the same VPC (egress inspection: TGW subnets -> endpoint) use.
 */
export const PROVIDER = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ProviderBlock: {Type: String, Default: 10.9.0.0/16}
  ApplianceBlocks: {Type: CommaDelimitedList, Default: "10.9.1.0/24, 10.9.2.0/24"}
  TransitBlocks: {Type: CommaDelimitedList, Default: "10.9.21.0/24, 10.9.22.0/24"}
  Zones: {Type: "List<AWS::EC2::AvailabilityZone::Name>"}
  CrossZone: {Type: String, Default: false, AllowedValues: [true, false]}
  ApplianceImage: {Type: String, Default: ami-0123456789abcdef0}
Resources:
  ProviderVpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: !Ref ProviderBlock}}
  ApplianceSubnet1:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref ProviderVpc, CidrBlock: !Select [0, !Ref ApplianceBlocks], AvailabilityZone: !Select [0, !Ref Zones]}
  ApplianceSubnet2:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref ProviderVpc, CidrBlock: !Select [1, !Ref ApplianceBlocks], AvailabilityZone: !Select [1, !Ref Zones]}
  TransitSubnet1:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref ProviderVpc, CidrBlock: !Select [0, !Ref TransitBlocks], AvailabilityZone: !Select [0, !Ref Zones], MapPublicIpOnLaunch: "true"}
  Appliance1:
    Type: AWS::EC2::Instance
    Properties: {ImageId: !Ref ApplianceImage, SubnetId: !Ref ApplianceSubnet1, SourceDestCheck: false}
  Appliance2:
    Type: AWS::EC2::Instance
    Properties: {ImageId: !Ref ApplianceImage, SubnetId: !Ref ApplianceSubnet2, SourceDestCheck: false}
  Gwlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: gateway
      Subnets: [!Ref ApplianceSubnet1, !Ref ApplianceSubnet2]
      LoadBalancerAttributes:
        - Key: load_balancing.cross_zone.enabled
          Value: !Ref CrossZone
  Appliances:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Protocol: GENEVE
      Port: 6081
      VpcId: !Ref ProviderVpc
      HealthCheckProtocol: TCP
      HealthCheckPort: 80
      TargetType: instance
      Targets:
        - Id: !Ref Appliance1
        - Id: !Ref Appliance2
  GwlbListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Gwlb
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref Appliances}]
  InspectionService:
    Type: AWS::EC2::VPCEndpointService
    Properties: {GatewayLoadBalancerArns: [!Ref Gwlb], AcceptanceRequired: false}
  ServiceNameLookup:
    Type: Custom::ServiceName
    Properties:
      ServiceToken: !GetAtt LookupFunction.Arn
      ServiceId: !Ref InspectionService
  LookupFunction:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Role: arn:aws:iam::111111111111:role/lookup, Code: {ZipFile: "def handler(e, c): pass"}}
  TransitEndpoint1:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcEndpointType: GatewayLoadBalancer
      ServiceName: !GetAtt ServiceNameLookup.Name
      VpcId: !Ref ProviderVpc
      SubnetIds: [!Ref ApplianceSubnet1]
  TransitTable1: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref ProviderVpc}}
  TransitAssoc1: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref TransitSubnet1, RouteTableId: !Ref TransitTable1}}
  TransitDefault1:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref TransitTable1, DestinationCidrBlock: 0.0.0.0/0, VpcEndpointId: !Ref TransitEndpoint1}
  ProviderIgw: {Type: AWS::EC2::InternetGateway}
  ProviderIgwAttachment: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref ProviderVpc, InternetGatewayId: !Ref ProviderIgw}}
`;

/** Replace one exact piece of a template; fails the test when the piece is not there (a fixture edit that did nothing proves nothing). */
export function edit(template: string, from: string, to: string): string {
  if (!template.includes(from)) {
    throw new Error(`fixture edit: ${JSON.stringify(from)} is not in the template`);
  }
  return template.split(from).join(to);
}

/** Write the templates (file name -> text) to a fresh directory and validate them together. */
export function validateTexts(files: Record<string, string>): Finding[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'gwlb-cfn-'));
  try {
    const paths = Object.entries(files).map(([name, text]) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    });
    return validateTemplateFiles(paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function errorsOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === FindingSeverity.ERROR);
}

/** `severity ruleId` per finding, sorted, for compact assertions. */
export function ids(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.severity} ${f.ruleId}`).sort();
}
