import { Unresolved } from './resolve';
import { ResourceKey } from './tokens';

/** A resolved scalar: a (possibly symbolic) string, or why it could not be resolved. */
export type ModelValue = string | Unresolved;

/** Where a resource comes from, for findings. */
export interface ResourceMeta {
  readonly key: ResourceKey;
  readonly logicalId: string;
  readonly type: string;
  readonly stackName: string;
  readonly templatePath?: string;
  /** From Metadata `aws:cdk:path`. */
  readonly constructPath?: string;
  /** Parameter defaults (`Name = "value"`) that resolving this resource's properties assumed. */
  readonly assumedDefaults?: ReadonlySet<string>;
}

export interface ModelNode {
  readonly meta: ResourceMeta;
}

export interface SubnetNode extends ModelNode {
  readonly vpcId?: ModelValue;
  readonly availabilityZone?: ModelValue;
  readonly cidrBlock?: ModelValue;
  /** `Ipv6CidrBlock` and the IPv6 blocks of `AWS::EC2::SubnetCidrBlock` resources; empty for an IPv4-only subnet. */
  readonly ipv6CidrBlocks: ModelValue[];
  /** `MapPublicIpOnLaunch` ('true'/'false'; CloudFormation default false). */
  readonly mapPublicIpOnLaunch?: ModelValue;
}

export interface RouteTableNode extends ModelNode {
  readonly vpcId?: ModelValue;
}

export interface SubnetAssociationNode extends ModelNode {
  readonly subnetId?: ModelValue;
  readonly routeTableId?: ModelValue;
}

export interface GatewayAssociationNode extends ModelNode {
  readonly gatewayId?: ModelValue;
  readonly routeTableId?: ModelValue;
}

export interface InternetGatewayAttachmentNode extends ModelNode {
  readonly vpcId?: ModelValue;
  readonly internetGatewayId?: ModelValue;
}

export enum RouteTargetKind {
  INTERNET_GATEWAY = 'internet gateway',
  GWLB_ENDPOINT = 'Gateway Load Balancer endpoint',
  OTHER_VPC_ENDPOINT = 'VPC endpoint (not GatewayLoadBalancer)',
  NAT_GATEWAY = 'NAT gateway',
  EGRESS_ONLY_INTERNET_GATEWAY = 'egress-only internet gateway',
  TRANSIT_GATEWAY = 'transit gateway',
  LOCAL = 'local',
  OTHER = 'other target',
  /** The target cannot be classified at synth time (imported id, unresolvable intrinsic). */
  UNRESOLVED = 'unresolved target',
}

export interface RouteTarget {
  /** The CfnRoute property holding the target, e.g. `VpcEndpointId`. */
  readonly property: string;
  readonly value?: ModelValue;
  readonly kind: RouteTargetKind;
  /** The resource targeted when it is in the app. */
  readonly resource?: ResourceKey;
}

export interface RouteNode extends ModelNode {
  readonly routeTableId?: ModelValue;
  /** DestinationCidrBlock (IPv4). */
  readonly destination?: ModelValue;
  /** DestinationIpv6CidrBlock. */
  readonly destinationIpv6?: ModelValue;
  readonly target: RouteTarget;
}

export enum VpcEndpointType {
  GATEWAY_LOAD_BALANCER = 'GatewayLoadBalancer',
}

/** `IpAddressType` of a VPC endpoint. */
export enum EndpointIpAddressType {
  IPV4 = 'ipv4',
  DUALSTACK = 'dualstack',
  IPV6 = 'ipv6',
}

export interface EndpointNode extends ModelNode {
  readonly endpointType?: ModelValue;
  /** `IpAddressType` (CloudFormation default `ipv4` for a GWLB endpoint). */
  readonly ipAddressType?: ModelValue;
  readonly serviceName?: ModelValue;
  readonly vpcId?: ModelValue;
  readonly subnetIds: ModelValue[];
}

export interface EndpointServiceNode extends ModelNode {
  readonly gatewayLoadBalancerArns: ModelValue[];
  readonly networkLoadBalancerArns: ModelValue[];
}

export enum ElbLoadBalancerType {
  APPLICATION = 'application',
  NETWORK = 'network',
  GATEWAY = 'gateway',
}

export interface LoadBalancerNode extends ModelNode {
  /** `Type` (CloudFormation default `application`). */
  readonly lbType: ModelValue;
  /** `Scheme` (CloudFormation default `internet-facing`; absent for gateway). */
  readonly scheme: ModelValue;
  /** `Subnets` and `SubnetMappings[].SubnetId`. */
  readonly subnetIds: ModelValue[];
  /** `load_balancing.cross_zone.enabled` (default false). */
  readonly crossZoneEnabled: boolean | Unresolved;
}

export interface ListenerNode extends ModelNode {
  readonly loadBalancerArn?: ModelValue;
  /** Target groups of `forward` default actions (TargetGroupArn and ForwardConfig). */
  readonly forwardTargetGroupArns: ModelValue[];
}

export interface ListenerRuleNode extends ModelNode {
  readonly listenerArn?: ModelValue;
  readonly forwardTargetGroupArns: ModelValue[];
}

export interface StaticTarget {
  readonly id: ModelValue;
  readonly availabilityZone?: ModelValue;
}

export interface TargetGroupNode extends ModelNode {
  readonly protocol?: ModelValue;
  readonly port?: ModelValue;
  readonly targetType?: ModelValue;
  readonly vpcId?: ModelValue;
  readonly targets: StaticTarget[];
}

export interface AutoScalingGroupNode extends ModelNode {
  readonly targetGroupArns: ModelValue[];
  /** `VPCZoneIdentifier`. */
  readonly subnetIds: ModelValue[];
  readonly availabilityZones: ModelValue[];
  /** `LaunchTemplate.LaunchTemplateId` (or the `MixedInstancesPolicy` one), else `LaunchConfigurationName`. */
  readonly launchTemplateId?: ModelValue;
}

export interface InstanceNode extends ModelNode {
  /** `SubnetId`, else `SubnetId` of the primary (DeviceIndex 0) entry of `NetworkInterfaces`. */
  readonly subnetId?: ModelValue;
  /** The `AWS::EC2::NetworkInterface` attached as the primary interface (`NetworkInterfaces[].NetworkInterfaceId`). */
  readonly networkInterfaceId?: ModelValue;
  /** `LaunchTemplate.LaunchTemplateId`: its primary network interface places the instance when nothing else does. */
  readonly launchTemplateId?: ModelValue;
  /** `AssociatePublicIpAddress` of the primary network interface, when given. */
  readonly associatePublicIp?: ModelValue;
  readonly availabilityZone?: ModelValue;
}

/** An `AWS::EC2::NetworkInterface` (appliances with several interfaces are often built from these). */
export interface NetworkInterfaceNode extends ModelNode {
  readonly subnetId?: ModelValue;
}

/** An `AWS::EC2::LaunchTemplate` or `AWS::AutoScaling::LaunchConfiguration`: the primary interface's subnet and public IP. */
export interface LaunchTemplateNode extends ModelNode {
  readonly subnetId?: ModelValue;
  readonly associatePublicIp?: ModelValue;
}

/** `AWS::EC2::TransitGatewayAttachment` or `AWS::EC2::TransitGatewayVpcAttachment`. */
export interface TransitGatewayAttachmentNode extends ModelNode {
  readonly transitGatewayId?: ModelValue;
  readonly vpcId?: ModelValue;
  readonly subnetIds: ModelValue[];
}
