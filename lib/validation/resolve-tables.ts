import type { Resolved } from './resolve';

// What the resolver knows about resource attributes and parameter types.

/** Attributes whose value equals the resource's Ref (id or ARN). */
export const REF_EQUIVALENT_ATTRIBUTES: Record<string, readonly string[]> = {
  'AWS::EC2::Subnet': ['SubnetId'],
  'AWS::EC2::VPC': ['VpcId'],
  'AWS::EC2::RouteTable': ['RouteTableId'],
  'AWS::EC2::InternetGateway': ['InternetGatewayId'],
  'AWS::EC2::VPCEndpoint': ['Id'],
  'AWS::EC2::VPCEndpointService': ['ServiceId'],
  'AWS::EC2::Instance': ['InstanceId'],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['LoadBalancerArn'],
  'AWS::ElasticLoadBalancingV2::TargetGroup': ['TargetGroupArn'],
  'AWS::ElasticLoadBalancingV2::Listener': ['ListenerArn'],
};

/** List attributes whose first element is a property: a subnet's IPv6 blocks start with its Ipv6CidrBlock. */
export const LIST_MIRROR_ATTRIBUTES: Record<string, Readonly<Record<string, string>>> = {
  'AWS::EC2::Subnet': { Ipv6CidrBlocks: 'Ipv6CidrBlock' },
};

/** Attributes that mirror a property of the same name. */
export const PROPERTY_MIRROR_ATTRIBUTES: Record<string, readonly string[]> = {
  'AWS::EC2::Subnet': ['AvailabilityZone', 'AvailabilityZoneId', 'CidrBlock', 'VpcId'],
  'AWS::EC2::VPC': ['CidrBlock'],
  'AWS::EC2::Instance': ['AvailabilityZone'],
};


/** The Default of an SSM parameter type names the SSM parameter, not its value. */
export const SSM_PARAMETER_TYPE = 'AWS::SSM::Parameter::Value';

/** A parameter value as its Ref resolves: a list for CommaDelimitedList and List<...> types, else a string. */
export function parameterValue(type: string | undefined, value: unknown): Resolved {
  const text = Array.isArray(value) ? value.map(String).join(',') : String(value);
  return type === 'CommaDelimitedList' || /^List</.test(type ?? '') ? text.split(',').map((v) => v.trim()) : text;
}
