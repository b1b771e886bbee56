import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { dropRedundantProviderDependency } from './cfn-fixes';
import { fail, validateMaxAzsKnown } from './validation';

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

/** Which IP protocols the internet-facing side of an `InspectedApplication` serves. */
export enum ApplicationIpProtocol {
  /** IPv4 only. */
  IPV4_ONLY = 'IPV4_ONLY',
  /**
   * IPv4 and IPv6 for the internet-facing path: a dual-stack VPC, load balancer and Gateway
   * Load Balancer endpoints, and IPv6 edge and default routes through the same-zone endpoint
   * (so IPv6 clients are inspected exactly like IPv4 ones). The inspection service must
   * support IPv6 (an `InspectionVpc` with `ipAddressType: GatewayLoadBalancerIpAddressType.DUAL_STACK`).
   * The instances stay IPv4-only: they get no IPv6 address and their subnets no IPv6 route
   * (no un-inspected egress-only internet gateway); the load balancer reaches them over IPv4.
   */
  DUAL_STACK = 'DUAL_STACK',
}

/** Inputs of {@link createApplicationNetwork}. */
export interface ApplicationNetworkOptions {
  readonly cidr: string;
  readonly maxAzs: number;
  readonly egress: ApplicationEgress;
  /** @default ApplicationIpProtocol.IPV4_ONLY */
  readonly ipProtocol?: ApplicationIpProtocol;
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
  validateMaxAzsKnown(scope, options.maxAzs);
  if (options.ipProtocol === ApplicationIpProtocol.DUAL_STACK) {
    return createDualStackNetwork(scope, id, options);
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
    gatewayEndpoints: nat ? undefined : s3GatewayEndpoint(),
    flowLogs: { FlowLog: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
  dropRedundantProviderDependency(vpc);
  return vpc;
}

/**
 * The dual-stack variant (`ipProtocol: ec2.IpProtocol.DUAL_STACK`): every subnet gets an IPv6
 * /64, the endpoint and load balancer subnets a `::/0 -> internet gateway` route (retargeted to
 * the endpoints for the load balancer subnets by `InspectionRouting`). The application subnets
 * are created as isolated subnets, so `ec2.Vpc` gives them no `::/0 -> egress-only internet
 * gateway` route (that path would bypass inspection) and their instances no IPv6 address; with
 * inspected NAT gateways, each zone's NAT gateway (in its load balancer subnet) and the
 * application subnet's IPv4 default route to it are added here, the same resources `ec2.Vpc`
 * creates for private subnets.
 */
function createDualStackNetwork(scope: Construct, id: string, options: ApplicationNetworkOptions): ec2.Vpc {
  const nat = options.egress === ApplicationEgress.INSPECTED_NAT_GATEWAYS;
  const vpc = new ec2.Vpc(scope, id, {
    ipAddresses: ec2.IpAddresses.cidr(options.cidr),
    ipProtocol: ec2.IpProtocol.DUAL_STACK,
    maxAzs: options.maxAzs,
    natGateways: 0,
    subnetConfiguration: [
      { name: ENDPOINT_SUBNET_GROUP, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28, mapPublicIpOnLaunch: false },
      { name: LOAD_BALANCER_SUBNET_GROUP, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: APPLICATION_SUBNET_GROUP, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24, ipv6AssignAddressOnCreation: false },
    ],
    gatewayEndpoints: nat ? undefined : s3GatewayEndpoint(),
    flowLogs: { FlowLog: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
  // Without private subnets no route uses the egress-only internet gateway (created unless the
  // feature flag requirePrivateSubnetsForEgressOnlyInternetGateway is set): drop it.
  vpc.node.tryRemoveChild('EIGW6');
  if (nat) {
    addInspectedNatGateways(vpc);
  }
  dropRedundantProviderDependency(vpc);
  return vpc;
}

/** Per zone: a NAT gateway in the load balancer subnet and the application subnet's default route to it. */
function addInspectedNatGateways(vpc: ec2.Vpc): void {
  const lbSubnets = vpc.selectSubnets({ subnetGroupName: LOAD_BALANCER_SUBNET_GROUP }).subnets as ec2.PublicSubnet[];
  const appSubnets = vpc.selectSubnets({ subnetGroupName: APPLICATION_SUBNET_GROUP }).subnets as ec2.PrivateSubnet[];
  lbSubnets.forEach((lbSubnet) => {
    const natGateway = lbSubnet.addNatGateway();
    appSubnets.filter((app) => app.availabilityZone === lbSubnet.availabilityZone)
      .forEach((app) => app.addDefaultNatRoute(natGateway.ref));
  });
}

function s3GatewayEndpoint(): Record<string, ec2.GatewayVpcEndpointOptions> {
  return { S3: { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetGroupName: APPLICATION_SUBNET_GROUP }] } };
}
