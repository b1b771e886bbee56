import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { dropRedundantProviderDependency } from '../cfn-fixes';
import { APPLIANCE_SUBNET_GROUP } from '../inspection-vpc-layout';
import { fail } from '../validation';
import { CentralizedEgress } from './centralized-options';

/** Subnet group of the Transit Gateway attachment in a central inspection VPC. */
export const TGW_ATTACHMENT_SUBNET_GROUP = 'TransitGateway';
/** Subnet group of the Gateway Load Balancer endpoints in a central inspection VPC. */
export const CENTRAL_ENDPOINT_SUBNET_GROUP = 'Endpoint';
/** Subnet group of the NAT gateways in a central inspection VPC. */
export const CENTRAL_NAT_SUBNET_GROUP = 'Nat';

/** Inputs of {@link createCentralInspectionNetwork}. */
export interface CentralInspectionNetworkOptions {
  readonly cidr: string;
  readonly maxAzs: number;
  readonly egress: CentralizedEgress;
  /** Add an `Appliance` subnet group for a Gateway Load Balancer and appliances in the same VPC. */
  readonly appliances: boolean;
}

/**
 * A new central inspection VPC. Per availability zone: a /28 Transit Gateway attachment subnet,
 * a /28 endpoint subnet and, with egress, a /28 NAT subnet holding that zone's NAT gateway (the
 * only public subnets, so the VPC's only internet gateway route); with appliances, a /24
 * appliance subnet. `ec2.Vpc` gives every subnet of the `PRIVATE_WITH_EGRESS` type (endpoint and
 * appliance subnets) a default route to the NAT gateway of its own zone.
 */
export function createCentralInspectionNetwork(scope: Construct, id: string, options: CentralInspectionNetworkOptions): ec2.Vpc {
  if (!Number.isInteger(options.maxAzs) || options.maxAzs < 2) {
    fail(scope, `maxAzs must be an integer of at least 2 (the Transit Gateway and the appliances need two availability zones), got ${options.maxAzs}`);
  }
  const egress = options.egress === CentralizedEgress.NAT_GATEWAYS;
  const privateType = egress ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED;
  const subnetConfiguration: ec2.SubnetConfiguration[] = [
    { name: TGW_ATTACHMENT_SUBNET_GROUP, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 28 },
    { name: CENTRAL_ENDPOINT_SUBNET_GROUP, subnetType: privateType, cidrMask: 28 },
    ...(egress ? [{ name: CENTRAL_NAT_SUBNET_GROUP, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28, mapPublicIpOnLaunch: false }] : []),
    ...(options.appliances ? [{ name: APPLIANCE_SUBNET_GROUP, subnetType: privateType, cidrMask: 24 }] : []),
  ];
  const vpc = new ec2.Vpc(scope, id, {
    ipAddresses: ec2.IpAddresses.cidr(options.cidr),
    maxAzs: options.maxAzs,
    natGateways: egress ? options.maxAzs : 0,
    subnetConfiguration,
    gatewayEndpoints: options.appliances ? { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } } : undefined,
    flowLogs: { FlowLog: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
  dropRedundantProviderDependency(vpc);
  return vpc;
}
