import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { dropRedundantProviderDependency } from './cfn-fixes';
import { fail, validateMaxAzsKnown } from './validation';

/** The subnet group of the appliances and the Gateway Load Balancer in a new inspection VPC. */
export const APPLIANCE_SUBNET_GROUP = 'Appliance';
/** The subnet group of the NAT gateways in a new inspection VPC. */
export const INSPECTION_PUBLIC_SUBNET_GROUP = 'Public';

/** Inputs of {@link createInspectionNetwork}. */
export interface InspectionNetworkOptions {
  readonly cidr: string;
  readonly maxAzs: number;
  /** NAT gateways for the appliances' outbound HTTPS; 0 makes the appliance subnets isolated. */
  readonly natGateways?: number;
  /**
   * Give the VPC and its subnets IPv6 CIDR blocks (a dual-stack Gateway Load Balancer needs
   * them). Instances still get no IPv6 address.
   * @default false
   */
  readonly dualStack?: boolean;
}

/**
 * A new inspection VPC: per availability zone a small public subnet for a NAT gateway and a
 * private `Appliance` subnet for the appliances and the Gateway Load Balancer. An S3 gateway
 * endpoint keeps the agent download and the Amazon Linux package repositories (hosted in S3)
 * off the NAT gateways, so appliances still bootstrap with `natGateways: 0` (but then without
 * Session Manager). Flow logs go to CloudWatch Logs.
 */
export function createInspectionNetwork(scope: Construct, id: string, options: InspectionNetworkOptions): ec2.Vpc {
  if (!Token.isUnresolved(options.maxAzs) && (!Number.isInteger(options.maxAzs) || options.maxAzs < 2)) {
    fail(scope, `maxAzs must be an integer of at least 2 (the appliances need two availability zones), got ${options.maxAzs}`);
  }
  validateMaxAzsKnown(scope, options.maxAzs);
  const isolated = options.natGateways === 0;
  // In a dual-stack VPC the subnets get IPv6 CIDR blocks, but no instance is given an IPv6 address.
  const ipv6 = options.dualStack ? { ipv6AssignAddressOnCreation: false } : {};
  const subnetConfiguration: ec2.SubnetConfiguration[] = isolated
    ? [{ name: APPLIANCE_SUBNET_GROUP, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24, ...ipv6 }]
    : [
      { name: INSPECTION_PUBLIC_SUBNET_GROUP, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26, mapPublicIpOnLaunch: false, ...ipv6 },
      { name: APPLIANCE_SUBNET_GROUP, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24, ...ipv6 },
    ];
  const vpc = new ec2.Vpc(scope, id, {
    ipAddresses: ec2.IpAddresses.cidr(options.cidr),
    ipProtocol: options.dualStack ? ec2.IpProtocol.DUAL_STACK : undefined,
    maxAzs: options.maxAzs,
    natGateways: options.natGateways,
    subnetConfiguration,
    gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    flowLogs: { FlowLog: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
  dropRedundantProviderDependency(vpc);
  return vpc;
}
