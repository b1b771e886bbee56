import { Annotations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import {
  EndpointRoutes, GatewayLoadBalancerEndpoint, GatewayLoadBalancerIpAddressType, IGatewayLoadBalancerEndpointService, IngressRouteTable,
} from '../gwlb';
import { addEgressBypassValidation } from './egress-bypass';
import { InspectionVpc } from './inspection-vpc';
import { UninspectedEgress } from './uninspected-egress';
import { sameAvailabilityZone } from '../gwlb/validation';
import { fail, showAz } from './validation';

/** Properties of {@link InspectionRouting}. */
export interface InspectionRoutingProps {
  /** The VPC whose internet traffic is inspected. */
  readonly vpc: ec2.IVpc;

  /** The Gateway Load Balancer endpoint service of the inspection VPC. */
  readonly inspectionService: IGatewayLoadBalancerEndpointService;

  /**
   * The internet gateway of the VPC (`igw-...`).
   * @default - the internet gateway of an `ec2.Vpc` defined in this app; required for imported VPCs
   */
  readonly internetGatewayId?: string;

  /**
   * One subnet per availability zone for the endpoints. Their default route must be the
   * internet gateway; it is added to subnets defined in this app that lack it.
   */
  readonly endpointSubnets: ec2.SubnetSelection;

  /**
   * The subnets whose traffic to and from the internet is inspected (for example the load
   * balancer subnets). Each is routed through the endpoint in its own availability zone, both
   * ways: the internet gateway's edge route for the subnet's CIDR, and the subnet's default route.
   * Any existing default route of these subnets (such as a public subnet's route to the internet
   * gateway) is retargeted to the endpoint.
   */
  readonly protectedSubnets: ec2.SubnetSelection;

  /**
   * Further subnets whose instances' internet egress must be inspected, such as application
   * subnets behind NAT gateways in the protected subnets. At synth time every route of these and
   * of the protected subnets is followed (to internet gateways, egress-only internet gateways,
   * NAT gateways and their subnets, endpoints); a path to the internet that does not cross the
   * endpoint of the subnet's own zone, both ways, is an error unless `uninspectedEgress` allows it.
   * @default - only the protected subnets are checked
   */
  readonly egressSubnets?: ec2.SubnetSelection;

  /**
   * Whether internet egress may skip the endpoints.
   * @default UninspectedEgress.deny(): every route that skips inspection fails synthesis
   */
  readonly uninspectedEgress?: UninspectedEgress;

  /**
   * The IP address type of the endpoints. `DUAL_STACK` routes IPv6 the same way as IPv4: each
   * protected subnet's IPv6 CIDR block from the internet gateway to its zone's endpoint, the
   * protected subnets' `::/0` to that endpoint (an existing `::/0` route is retargeted), and the
   * endpoint subnets' `::/0` to the internet gateway. Every endpoint and protected subnet needs
   * an IPv6 CIDR block, and the service must support IPv6.
   * @default GatewayLoadBalancerIpAddressType.IPV4
   */
  readonly ipAddressType?: GatewayLoadBalancerIpAddressType;
}

/**
 * Ingress routing through Gateway Load Balancer endpoints: one endpoint per availability zone,
 * an internet gateway route table sending each protected subnet's CIDR to its zone's endpoint,
 * and each protected subnet's default route to the same endpoint, so both directions of every
 * flow cross the same endpoint (and so the same appliance).
 */
export class InspectionRouting extends Construct {
  /** The endpoints, in the order of `endpointSubnets`. */
  public readonly endpoints: GatewayLoadBalancerEndpoint[];
  /** The route table associated with the internet gateway (edge association). */
  public readonly ingressRouteTable: IngressRouteTable;
  /** The edge routes: protected subnet CIDR -> endpoint, in the order of `protectedSubnets`. */
  public readonly edgeRoutes: ec2.CfnRoute[];
  /** The protected subnets' default routes -> endpoint, in the order of `protectedSubnets`. */
  public readonly protectedSubnetRoutes: ec2.CfnRoute[];
  /** Default routes to the internet gateway added to endpoint subnets that lacked one. */
  public readonly endpointSubnetRoutes: ec2.CfnRoute[] = [];
  /** The internet gateway whose edge route table sends the protected subnets' traffic to the endpoints. */
  public readonly internetGatewayId: string;
  /** The IP address type of the endpoints. */
  public readonly ipAddressType: GatewayLoadBalancerIpAddressType;
  /** IPv6 edge routes: protected subnet IPv6 CIDR -> endpoint, in the order of `protectedSubnets` (dual-stack only). */
  public readonly edgeIpv6Routes: ec2.CfnRoute[] = [];
  /** The protected subnets' `::/0` routes -> endpoint, in the order of `protectedSubnets` (dual-stack only). */
  public readonly protectedSubnetIpv6Routes: ec2.CfnRoute[] = [];
  /** `::/0` routes to the internet gateway added to endpoint subnets that lacked one (dual-stack only). */
  public readonly endpointSubnetIpv6Routes: ec2.CfnRoute[] = [];
  /**
   * Everything that must exist before traffic may reach the protected subnets: make resources
   * in them (load balancers, NAT gateways, instances) depend on it, so nothing is reachable
   * before inspection is in place.
   */
  public readonly inspectionEstablished: IDependable;

  private readonly endpointsByZone = new Map<string, GatewayLoadBalancerEndpoint>();

  constructor(scope: Construct, id: string, props: InspectionRoutingProps) {
    super(scope, id);
    const endpointSubnets = selectSubnets(this, props.vpc, 'endpointSubnets', props.endpointSubnets);
    const protectedSubnets = selectSubnets(this, props.vpc, 'protectedSubnets', props.protectedSubnets);
    const egressSubnets = props.egressSubnets === undefined ? [] : selectSubnets(this, props.vpc, 'egressSubnets', props.egressSubnets);
    const internetGatewayId = props.internetGatewayId ?? (props.vpc instanceof ec2.Vpc ? props.vpc.internetGatewayId : undefined);
    if (internetGatewayId === undefined) {
      fail(this, `internetGatewayId is required: VPC ${props.vpc.node.path} has no internet gateway known to CDK `
        + '(an imported VPC, or an ec2.Vpc without public subnets); pass internetGatewayId (igw-...)');
    }
    this.internetGatewayId = internetGatewayId;
    validateSeparateTables(this, endpointSubnets, protectedSubnets);
    this.ipAddressType = props.ipAddressType ?? GatewayLoadBalancerIpAddressType.IPV4;
    const dualStack = this.ipAddressType === GatewayLoadBalancerIpAddressType.DUAL_STACK;
    const established = new DependencyGroup();
    // The endpoint service itself (not the whole InspectionVpc): endpoints then wait for its permissions.
    const service = props.inspectionService instanceof InspectionVpc ? props.inspectionService.endpointService : props.inspectionService;

    this.endpoints = endpointSubnets.map((subnet, i) => {
      const az = subnet.availabilityZone;
      if (this.endpointsByZone.has(az)) {
        fail(this, `endpointSubnets has two subnets in availability zone ${showAz(az)}: give one per zone`);
      }
      const endpoint = new GatewayLoadBalancerEndpoint(this, `Endpoint${i + 1}`, {
        vpc: props.vpc,
        service,
        subnet,
        ipAddressType: props.ipAddressType,
      });
      this.endpointsByZone.set(az, endpoint);
      this.ensureDefaultRouteToInternetGateway(subnet, internetGatewayId, i, false);
      if (dualStack) {
        this.ensureDefaultRouteToInternetGateway(subnet, internetGatewayId, i, true);
      }
      established.add(endpoint);
      return endpoint;
    });

    this.ingressRouteTable = new IngressRouteTable(this, 'IngressRouteTable', {
      vpc: props.vpc,
      internetGatewayId,
    });
    established.add(this.ingressRouteTable);

    this.edgeRoutes = [];
    this.protectedSubnetRoutes = [];
    protectedSubnets.forEach((subnet, i) => {
      const endpoint = this.endpointForAvailabilityZone(subnet.availabilityZone);
      const edge = this.ingressRouteTable.addSubnetRoute(`EdgeRoute${i + 1}`, subnet, endpoint);
      const back = EndpointRoutes.routeSubnetThroughEndpoint(this, `ProtectedSubnetRoute${i + 1}`, {
        subnet,
        endpoint,
        replaceExistingRoute: true,
      });
      if (!(subnet instanceof ec2.Subnet)) {
        this.warnImportedTable(subnet, back, dualStack);
      }
      this.edgeRoutes.push(edge);
      this.protectedSubnetRoutes.push(back);
      established.add(edge, back);
      if (dualStack) {
        const edge6 = this.ingressRouteTable.addSubnetIpv6Route(`EdgeIpv6Route${i + 1}`, subnet, endpoint);
        const back6 = EndpointRoutes.routeSubnetThroughEndpoint(this, `ProtectedSubnetIpv6Route${i + 1}`, {
          subnet,
          endpoint,
          destinationIpv6CidrBlock: '::/0',
          replaceExistingRoute: true,
        });
        this.edgeIpv6Routes.push(edge6);
        this.protectedSubnetIpv6Routes.push(back6);
        established.add(edge6, back6);
      }
    });
    this.inspectionEstablished = established;
    addEgressBypassValidation(this, {
      vpc: props.vpc,
      sources: [{ kind: 'protected subnet', subnets: protectedSubnets }, { kind: 'egress subnet', subnets: egressSubnets }],
      endpoints: this.endpoints,
      returnInspectedSubnets: protectedSubnets,
      internetGatewayId,
      uninspectedEgress: props.uninspectedEgress,
    });
  }

  /** The endpoint in an availability zone (fails naming the zone if there is none). */
  public endpointForAvailabilityZone(availabilityZone: string): GatewayLoadBalancerEndpoint {
    const endpoint = this.endpointsByZone.get(availabilityZone)
      ?? [...this.endpointsByZone.entries()].find(([az]) => sameAvailabilityZone(this, az, availabilityZone) === true)?.[1];
    if (endpoint === undefined) {
      fail(this, `protectedSubnets include availability zone ${showAz(availabilityZone)} but endpointSubnets have no `
        + `subnet there (endpoint zones: ${[...this.endpointsByZone.keys()].map(showAz).join(', ')}): `
        + 'every protected zone needs its own endpoint');
    }
    return endpoint;
  }

  /**
   * The default route added to an imported protected subnet's table cannot see what is already
   * there: an existing default route (a public subnet's route to the internet gateway) makes the
   * deployment fail, and other subnets sharing the table would be sent to this zone's endpoint.
   */
  private warnImportedTable(subnet: ec2.ISubnet, route: ec2.CfnRoute, dualStack: boolean): void {
    const table = subnet.routeTable?.routeTableId;
    Annotations.of(this).addWarningV2('cdk-gwlb-inspection:importedProtectedRouteTable',
      `protected subnet ${subnet.node.path} is imported: route ${route.node.path} adds 0.0.0.0/0 -> endpoint to its route table `
      + `${table ?? '(unknown)'}, whose existing routes are not visible at synth time. Remove an existing 0.0.0.0/0 `
      + `${dualStack ? 'and ::/0 ' : ''}route from that table before deploying (CloudFormation fails with "already exists"), `
      + 'make sure no other subnet shares the table (its traffic would go to this endpoint too), and '
      + (dualStack ? '' : 'that the table has no ::/0 route to the internet gateway (uninspected IPv6); ')
      + 'then acknowledge this warning');
  }

  /**
   * Endpoint subnets send the inspected traffic on to the internet: their default route (IPv4
   * `0.0.0.0/0`, and `::/0` when dual-stack) must be the internet gateway. Checked (and added if
   * missing) for subnets defined in this app; imported subnets cannot be inspected at synth time.
   */
  private ensureDefaultRouteToInternetGateway(
    subnet: ec2.ISubnet, internetGatewayId: string, index: number, ipv6: boolean,
  ): void {
    if (!(subnet instanceof ec2.Subnet)) {
      return;
    }
    const destination = ipv6 ? '::/0' : '0.0.0.0/0';
    const existing = subnet.node.children.find((c): c is ec2.CfnRoute =>
      c instanceof ec2.CfnRoute && (ipv6 ? c.destinationIpv6CidrBlock : c.destinationCidrBlock) === destination);
    if (existing === undefined) {
      const route = new ec2.CfnRoute(this, `EndpointSubnet${ipv6 ? 'Ipv6' : ''}Route${index + 1}`, {
        routeTableId: subnet.routeTable.routeTableId,
        ...(ipv6 ? { destinationIpv6CidrBlock: destination } : { destinationCidrBlock: destination }),
        gatewayId: internetGatewayId,
      });
      (ipv6 ? this.endpointSubnetIpv6Routes : this.endpointSubnetRoutes).push(route);
    } else if (existing.gatewayId !== internetGatewayId) {
      const what = ipv6 ? 'an IPv6 default route (::/0)' : 'a default route';
      fail(this, `endpointSubnets: subnet ${subnet.node.path} has ${what} that is not the internet gateway `
        + `(${existing.node.path}); endpoint subnets must send inspected traffic straight to the internet gateway`);
    }
  }
}

/** The subnets of a selection; fails naming the prop when it selects none or cannot be applied. */
function selectSubnets(scope: Construct, vpc: ec2.IVpc, prop: string, selection: ec2.SubnetSelection): ec2.ISubnet[] {
  let subnets: ec2.ISubnet[];
  try {
    subnets = vpc.selectSubnets(selection).subnets;
  } catch (e) {
    fail(scope, `${prop}: ${(e as Error).message}`);
  }
  if (subnets.length === 0) {
    fail(scope, `${prop} selected no subnets`);
  }
  return subnets;
}

/**
 * A protected subnet must not be an endpoint subnet, nor share its route table: its default route
 * is pointed at the endpoint, and the endpoint subnet's own default route must stay the internet
 * gateway (else the inspected traffic loops back into the endpoint).
 */
function validateSeparateTables(scope: Construct, endpointSubnets: ec2.ISubnet[], protectedSubnets: ec2.ISubnet[]): void {
  for (const subnet of protectedSubnets) {
    const table = subnet.routeTable?.routeTableId;
    const clash = endpointSubnets.find((e) => e === subnet || (table !== undefined && e.routeTable?.routeTableId === table));
    if (clash !== undefined) {
      fail(scope, clash === subnet
        ? `protectedSubnets includes endpoint subnet ${subnet.node.path}: the endpoints' subnets send inspected traffic to the `
          + 'internet gateway and cannot also be routed through the endpoints; use separate subnets'
        : `protected subnet ${subnet.node.path} shares its route table with endpoint subnet ${clash.node.path}: its default route `
          + 'is pointed at the endpoint, which would loop the endpoint subnet\'s inspected traffic back into the endpoint; '
          + 'give the protected subnets their own route tables');
    }
  }
}
