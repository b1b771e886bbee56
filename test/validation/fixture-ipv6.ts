/**
 * Test fixture: makes the L1 architecture of fixture.ts dual-stack, correct by default, with one
 * parameter per IPv6 fault the validator must find.
 *
 * App VPC: an IPv6 /56 (Amazon-provided, or a literal one); each subnet gets /64 number k of it
 * (endpoint subnets k = i, ALB subnets 10 + i, app subnets 20 + i); the GWLB endpoints are dual-stack.
 *   IGW edge route table: ALB subnet i IPv6 CIDR -> endpoint i.
 *   Endpoint subnet i: ::/0 -> IGW.  ALB subnet i: ::/0 -> endpoint i.  App subnet i: ::/0 -> egress-only IGW.
 */
import { Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { child } from './fixture';

/** Where a ::/0 route goes in a broken case. */
export enum Ipv6Target {
  /** The GWLB endpoint of the subnet's own AZ. */
  OWN_ENDPOINT = 'own endpoint',
  /** The GWLB endpoint of the next AZ. */
  NEXT_ENDPOINT = 'next endpoint',
  INTERNET_GATEWAY = 'internet gateway',
  EGRESS_ONLY_INTERNET_GATEWAY = 'egress-only internet gateway',
  /** No ::/0 route at all. */
  NONE = 'none',
}

export interface DualStackOptions {
  /** The VPC's IPv6 block as a literal (BYOIP) instead of Amazon-provided. @default - Amazon-provided */
  readonly literalBlock?: string;
  /** Edge routes copy the subnet's Ipv6CidrBlock expression instead of `Fn::GetAtt Subnet.Ipv6CidrBlocks`. @default false */
  readonly edgeFromProperty?: boolean;
  /** One IPv6 edge route for this (literal) block, to endpoint 0, instead of one per ALB subnet. */
  readonly coveringEdgeRoute?: string;
  /** The AZ whose IPv6 edge route (and ::/0 return) use the NEXT AZ's endpoint. */
  readonly ipv6CrossAz?: number;
  /** The AZ whose ALB subnet has no IPv6 edge route. */
  readonly omitIpv6EdgeRouteAz?: number;
  /** Where the ::/0 route of one ALB subnet goes instead of its own endpoint. */
  readonly albReturn?: { readonly az: number; readonly target: Ipv6Target };
  /** Where the ::/0 route of one endpoint subnet goes instead of the IGW. */
  readonly endpointEgress?: { readonly az: number; readonly target: Ipv6Target };
  /** The AZ whose endpoint stays IPv4-only (no IpAddressType). */
  readonly ipv4OnlyEndpointAz?: number;
  /** The AZ whose application subnet routes ::/0 to the IGW instead of the egress-only IGW. */
  readonly publicIpv6AppAz?: number;
}

/** Make the application side of an architecture from `buildArchitecture` dual-stack. */
export function addDualStack(appStack: Stack, azCount: number, options: DualStackOptions = {}): void {
  const vpc = child<ec2.CfnVPC>(appStack, 'AppVpc');
  const igw = child<ec2.CfnInternetGateway>(appStack, 'Igw');
  const block = new ec2.CfnVPCCidrBlock(appStack, 'AppVpcIpv6', options.literalBlock
    ? { vpcId: vpc.ref, ipv6CidrBlock: options.literalBlock, ipv6Pool: 'ipv6pool-ec2-0123456789abcdef0' }
    : { vpcId: vpc.ref, amazonProvidedIpv6CidrBlock: true });
  const vpcBlock = Fn.select(0, vpc.attrIpv6CidrBlocks);
  const eigw = new ec2.CfnEgressOnlyInternetGateway(appStack, 'Eigw', { vpcId: vpc.ref });
  const blockOf = (k: number) => Fn.select(k, Fn.cidr(options.literalBlock ?? vpcBlock, 256, '64'));
  const endpoints = range(azCount).map((i) => child<ec2.CfnVPCEndpoint>(appStack, `GwlbEndpoint${i}`));
  const next = (i: number) => (i + 1) % azCount;

  for (const i of range(azCount)) {
    for (const [prefix, k] of [['EndpointSubnet', i], ['AlbSubnet', 10 + i], ['AppSubnet', 20 + i]] as const) {
      const subnet = child<ec2.CfnSubnet>(appStack, `${prefix}${i}`);
      subnet.ipv6CidrBlock = blockOf(k);
      subnet.node.addDependency(block);
    }
    if (options.ipv4OnlyEndpointAz !== i) {
      endpoints[i].ipAddressType = 'dualstack';
    }
    const target = (t: Ipv6Target): Partial<ec2.CfnRouteProps> | undefined => ({
      [Ipv6Target.OWN_ENDPOINT]: { vpcEndpointId: endpoints[i].ref },
      [Ipv6Target.NEXT_ENDPOINT]: { vpcEndpointId: endpoints[next(i)].ref },
      [Ipv6Target.INTERNET_GATEWAY]: { gatewayId: igw.ref },
      [Ipv6Target.EGRESS_ONLY_INTERNET_GATEWAY]: { egressOnlyInternetGatewayId: eigw.ref },
      [Ipv6Target.NONE]: undefined,
    }[t]);
    const crossed = options.ipv6CrossAz === i ? Ipv6Target.NEXT_ENDPOINT : Ipv6Target.OWN_ENDPOINT;
    const endpointEgress = options.endpointEgress?.az === i ? options.endpointEgress.target : Ipv6Target.INTERNET_GATEWAY;
    const albReturn = options.albReturn?.az === i ? options.albReturn.target : crossed;
    const appEgress = options.publicIpv6AppAz === i ? Ipv6Target.INTERNET_GATEWAY : Ipv6Target.EGRESS_ONLY_INTERNET_GATEWAY;
    ipv6Route(appStack, `EndpointIpv6Route${i}`, `EndpointRouteTable${i}`, target(endpointEgress));
    ipv6Route(appStack, `AlbIpv6Route${i}`, `AlbRouteTable${i}`, target(albReturn));
    ipv6Route(appStack, `AppIpv6Route${i}`, `AppRouteTable${i}`, target(appEgress));

    const alb = child<ec2.CfnSubnet>(appStack, `AlbSubnet${i}`);
    if (options.omitIpv6EdgeRouteAz !== i && !options.coveringEdgeRoute) {
      new ec2.CfnRoute(appStack, `EdgeIpv6Route${i}`, {
        routeTableId: child<ec2.CfnRouteTable>(appStack, 'EdgeRouteTable').ref,
        destinationIpv6CidrBlock: options.edgeFromProperty ? alb.ipv6CidrBlock : Fn.select(0, alb.attrIpv6CidrBlocks),
        ...target(crossed),
      });
    }
  }
  if (options.coveringEdgeRoute) {
    new ec2.CfnRoute(appStack, 'EdgeIpv6RouteCovering', {
      routeTableId: child<ec2.CfnRouteTable>(appStack, 'EdgeRouteTable').ref,
      destinationIpv6CidrBlock: options.coveringEdgeRoute,
      vpcEndpointId: endpoints[0].ref,
    });
  }
  child<elbv2.CfnLoadBalancer>(appStack, 'Alb').ipAddressType = 'dualstack';
}

function ipv6Route(scope: Construct, id: string, table: string, target: Partial<ec2.CfnRouteProps> | undefined): void {
  if (target) {
    new ec2.CfnRoute(scope, id, {
      routeTableId: child<ec2.CfnRouteTable>(scope, table).ref, destinationIpv6CidrBlock: '::/0', ...target,
    });
  }
}

function range(n: number): number[] {
  return [...Array(n).keys()];
}
