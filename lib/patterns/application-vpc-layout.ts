import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { dropRedundantProviderDependency } from './cfn-fixes';
import { fail } from './validation';

/** Subnet group of the Gateway Load Balancer endpoints (one small subnet per zone). */
export const ENDPOINT_SUBNET_GROUP = 'Endpoint';
/** Subnet group of the internet-facing Application Load Balancer (and the NAT gateways). */
export const LOAD_BALANCER_SUBNET_GROUP = 'LoadBalancer';
/** Subnet group of the application instances. */
export const APPLICATION_SUBNET_GROUP = 'Application';

/** How the application instances reach the internet. */
export enum ApplicationEgress {
  /**
   * NAT gateways in the load balancer subnets, one per zone. Their subnets' default route is the
   * zone's endpoint, and the internet gateway's edge route sends replies back through it, so
   * the instances' outbound traffic is inspected like inbound traffic.
   */
  INSPECTED_NAT_GATEWAYS = 'INSPECTED_NAT_GATEWAYS',
  /**
   * No NAT gateways: the application subnets are isolated. They get an S3 gateway endpoint so
   * the instances can still install packages from the Amazon Linux repositories (hosted in S3);
   * that S3 traffic is not inspected. NAT gateways in the endpoint subnets are deliberately not
   * offered: their traffic would bypass inspection.
   */
  NONE = 'NONE',
}

/** Inputs of {@link createApplicationNetwork}. */
export interface ApplicationNetworkOptions {
  readonly cidr: string;
  readonly maxAzs: number;
  readonly egress: ApplicationEgress;
}

/**
 * A new application VPC. Per availability zone: a /28 `Endpoint` subnet (default route to the
 * internet gateway), a /24 `LoadBalancer` subnet and a /24 `Application` subnet.
 *
 * Both the endpoint and the load balancer subnets are created as PUBLIC subnets, so the VPC
 * has an internet gateway and the internet-facing load balancer is accepted; the load balancer
 * subnets' automatic `0.0.0.0/0 -> internet gateway` route is then retargeted to the zone's
 * endpoint by `InspectionRouting` (the route never points at the internet gateway in the
 * template). No subnet assigns public IPv4 addresses on launch.
 */
export function createApplicationNetwork(scope: Construct, id: string, options: ApplicationNetworkOptions): ec2.Vpc {
  if (!Token.isUnresolved(options.maxAzs) && (!Number.isInteger(options.maxAzs) || options.maxAzs < 2)) {
    fail(scope, `maxAzs must be an integer of at least 2 (an Application Load Balancer needs two availability zones), got ${options.maxAzs}`);
  }
  const nat = options.egress === ApplicationEgress.INSPECTED_NAT_GATEWAYS;
  const vpc = new ec2.Vpc(scope, id, {
    ipAddresses: ec2.IpAddresses.cidr(options.cidr),
    maxAzs: options.maxAzs,
    natGateways: nat ? undefined : 0,
    natGatewaySubnets: nat ? { subnetGroupName: LOAD_BALANCER_SUBNET_GROUP } : undefined,
    subnetConfiguration: [
      { name: ENDPOINT_SUBNET_GROUP, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28, mapPublicIpOnLaunch: false },
      { name: LOAD_BALANCER_SUBNET_GROUP, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      {
        name: APPLICATION_SUBNET_GROUP,
        subnetType: nat ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
        cidrMask: 24,
      },
    ],
    gatewayEndpoints: nat ? undefined : {
      S3: { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetGroupName: APPLICATION_SUBNET_GROUP }] },
    },
    flowLogs: { FlowLog: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
  dropRedundantProviderDependency(vpc);
  return vpc;
}
