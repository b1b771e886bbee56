import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import {
  GatewayLoadBalancerEndpoint, GatewayLoadBalancerIpAddressType, IGatewayLoadBalancerEndpointService, IngressRouteTable,
  routeSubnetThroughEndpoint,
} from '../gwlb';
import { InspectionVpc } from './inspection-vpc';
import { fail, showAz } from './validation';

/** Properties of {@link InspectionRouting}. */
export interface InspectionRoutingProps {
  /** The VPC whose internet traffic is inspected. */
  readonly vpc: ec2.IVpc;

  /** The Gateway Load Balancer endpoint service of the inspection VPC. */
  readonly inspectionService: IGatewayLoadBalancerEndpointService;

  /** The internet gateway of the VPC. */
  readonly internetGatewayId: string;

  /**
   * One subnet per availability zone for the endpoints. Their default route must be the
   * internet gateway; it is added to subnets defined in this app that lack it.
   */
  readonly endpointSubnets: ec2.ISubnet[];

  /**
   * The subnets whose traffic to and from the internet is inspected (for example the load
   * balancer subnets). Each is routed through the endpoint in its own availability zone, both
   * ways: the internet gateway's edge route for the subnet's CIDR, and the subnet's default route.
   * Any existing default route of these subnets (such as a public subnet's route to the internet
   * gateway) is retargeted to the endpoint.
   */
  readonly protectedSubnets: ec2.ISubnet[];

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
    if (props.endpointSubnets.length === 0) {
      fail(this, 'endpointSubnets must not be empty');
    }
    if (props.protectedSubnets.length === 0) {
      fail(this, 'protectedSubnets must not be empty');
    }
    this.ipAddressType = props.ipAddressType ?? GatewayLoadBalancerIpAddressType.IPV4;
    const dualStack = this.ipAddressType === GatewayLoadBalancerIpAddressType.DUAL_STACK;
    const established = new DependencyGroup();
    // The endpoint service itself (not the whole InspectionVpc): endpoints then wait for its permissions.
    const service = props.inspectionService instanceof InspectionVpc ? props.inspectionService.endpointService : props.inspectionService;

    this.endpoints = props.endpointSubnets.map((subnet, i) => {
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
      this.ensureDefaultRouteToInternetGateway(subnet, props.internetGatewayId, i, false);
      if (dualStack) {
        this.ensureDefaultRouteToInternetGateway(subnet, props.internetGatewayId, i, true);
      }
      established.add(endpoint);
      return endpoint;
    });

    this.ingressRouteTable = new IngressRouteTable(this, 'IngressRouteTable', {
      vpc: props.vpc,
      internetGatewayId: props.internetGatewayId,
    });
    established.add(this.ingressRouteTable);

    this.edgeRoutes = [];
    this.protectedSubnetRoutes = [];
    props.protectedSubnets.forEach((subnet, i) => {
      const endpoint = this.endpointForAvailabilityZone(subnet.availabilityZone);
      const edge = this.ingressRouteTable.addSubnetRoute(`EdgeRoute${i + 1}`, subnet, endpoint);
      const back = routeSubnetThroughEndpoint(this, `ProtectedSubnetRoute${i + 1}`, {
        subnet,
        endpoint,
        replaceExistingRoute: true,
      });
      this.edgeRoutes.push(edge);
      this.protectedSubnetRoutes.push(back);
      established.add(edge, back);
      if (dualStack) {
        const edge6 = this.ingressRouteTable.addSubnetIpv6Route(`EdgeIpv6Route${i + 1}`, subnet, endpoint);
        const back6 = routeSubnetThroughEndpoint(this, `ProtectedSubnetIpv6Route${i + 1}`, {
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
  }

  /** The endpoint in an availability zone (fails naming the zone if there is none). */
  public endpointForAvailabilityZone(availabilityZone: string): GatewayLoadBalancerEndpoint {
    const endpoint = this.endpointsByZone.get(availabilityZone);
    if (endpoint === undefined) {
      fail(this, `protectedSubnets include availability zone ${showAz(availabilityZone)} but endpointSubnets have no `
        + `subnet there (endpoint zones: ${[...this.endpointsByZone.keys()].map(showAz).join(', ')}): `
        + 'every protected zone needs its own endpoint');
    }
    return endpoint;
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
