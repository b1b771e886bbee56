import { Unresolved } from './resolve';
import { ResourceKey } from './tokens';

/** A resolved scalar: a (possibly symbolic) string, or why it could not be resolved. */
export type Val = string | Unresolved;

/** Where a resource comes from, for findings. */
export interface ResourceMeta {
  readonly key: ResourceKey;
  readonly logicalId: string;
  readonly type: string;
  readonly stackName: string;
  readonly templatePath?: string;
  /** From Metadata `aws:cdk:path`. */
  readonly constructPath?: string;
}

export interface Node {
  readonly meta: ResourceMeta;
}

export interface SubnetNode extends Node {
  readonly vpcId?: Val;
  readonly availabilityZone?: Val;
  readonly cidrBlock?: Val;
}

export interface RouteTableNode extends Node {
  readonly vpcId?: Val;
}

export interface SubnetAssociationNode extends Node {
  readonly subnetId?: Val;
  readonly routeTableId?: Val;
}

export interface GatewayAssociationNode extends Node {
  readonly gatewayId?: Val;
  readonly routeTableId?: Val;
}

export interface InternetGatewayAttachmentNode extends Node {
  readonly vpcId?: Val;
  readonly internetGatewayId?: Val;
}

export enum RouteTargetKind {
  INTERNET_GATEWAY = 'internet gateway',
  GWLB_ENDPOINT = 'Gateway Load Balancer endpoint',
  OTHER_VPC_ENDPOINT = 'VPC endpoint (not GatewayLoadBalancer)',
  NAT_GATEWAY = 'NAT gateway',
  TRANSIT_GATEWAY = 'transit gateway',
  LOCAL = 'local',
  OTHER = 'other target',
  /** The target cannot be classified at synth time (imported id, unresolvable intrinsic). */
  UNRESOLVED = 'unresolved target',
}

export interface RouteTarget {
  /** The CfnRoute property holding the target, e.g. `VpcEndpointId`. */
  readonly property: string;
  readonly value?: Val;
  readonly kind: RouteTargetKind;
  /** The resource targeted when it is in the app. */
  readonly resource?: ResourceKey;
}

export interface RouteNode extends Node {
  readonly routeTableId?: Val;
  /** DestinationCidrBlock (IPv4). */
  readonly destination?: Val;
  readonly target: RouteTarget;
}

export enum EndpointType {
  GATEWAY_LOAD_BALANCER = 'GatewayLoadBalancer',
}

export interface EndpointNode extends Node {
  readonly endpointType?: Val;
  readonly serviceName?: Val;
  readonly vpcId?: Val;
  readonly subnetIds: Val[];
}

export interface EndpointServiceNode extends Node {
  readonly gatewayLoadBalancerArns: Val[];
  readonly networkLoadBalancerArns: Val[];
}

export enum LoadBalancerType {
  APPLICATION = 'application',
  NETWORK = 'network',
  GATEWAY = 'gateway',
}

export interface LoadBalancerNode extends Node {
  /** `Type` (CloudFormation default `application`). */
  readonly lbType: Val;
  /** `Scheme` (CloudFormation default `internet-facing`; absent for gateway). */
  readonly scheme: Val;
  /** `Subnets` and `SubnetMappings[].SubnetId`. */
  readonly subnetIds: Val[];
  /** `load_balancing.cross_zone.enabled` (default false). */
  readonly crossZoneEnabled: boolean | Unresolved;
}

export interface ListenerNode extends Node {
  readonly loadBalancerArn?: Val;
  /** Target groups of `forward` default actions (TargetGroupArn and ForwardConfig). */
  readonly forwardTargetGroupArns: Val[];
}

export interface ListenerRuleNode extends Node {
  readonly listenerArn?: Val;
  readonly forwardTargetGroupArns: Val[];
}

export interface StaticTarget {
  readonly id: Val;
  readonly availabilityZone?: Val;
}

export interface TargetGroupNode extends Node {
  readonly protocol?: Val;
  readonly port?: Val;
  readonly targetType?: Val;
  readonly vpcId?: Val;
  readonly targets: StaticTarget[];
}

export interface AutoScalingGroupNode extends Node {
  readonly targetGroupArns: Val[];
  /** `VPCZoneIdentifier`. */
  readonly subnetIds: Val[];
  readonly availabilityZones: Val[];
}

export interface InstanceNode extends Node {
  readonly subnetId?: Val;
  readonly availabilityZone?: Val;
}
