import { Scenario } from './conditions';
import { asgLaunchTemplate, asVal, elasticIpHolders, instanceNode, launchTemplateNode, networkInterfaceNode, PropertyReader } from './model-compute';
import { forwardTargets, loadBalancerNode, staticTargets } from './model-elb';
import {
  AutoScalingGroupNode, EndpointNode, EndpointServiceNode, VpcEndpointType, GatewayAssociationNode, InstanceNode,
  InternetGatewayAttachmentNode, LaunchTemplateNode, ListenerNode, ListenerRuleNode, LoadBalancerNode, NetworkInterfaceNode, ResourceMeta, RouteNode,
  RouteTableNode, RouteTarget, RouteTargetKind, SubnetAssociationNode, SubnetNode, TargetGroupNode, TransitGatewayAttachmentNode, ModelValue,
} from './model-types';
import { asStringList, isUnresolved, Resolved, Resolver, Unresolved } from './resolve';
import { StackTemplate, TemplateInput, toStackTemplates } from './templates';
import { refTarget, refToken, resourceKey, ResourceKey } from './tokens';


/** Route properties that name a target, in the order CloudFormation documents them. */
const ROUTE_TARGET_PROPERTIES = [
  'GatewayId', 'VpcEndpointId', 'NatGatewayId', 'TransitGatewayId', 'NetworkInterfaceId', 'InstanceId',
  'VpcPeeringConnectionId', 'LocalGatewayId', 'CarrierGatewayId', 'EgressOnlyInternetGatewayId', 'CoreNetworkArn',
];

/**
 * The typed graph of every networking and load-balancing resource of an app, with all intrinsics
 * resolved (see resolve.ts). Ids in the graph are resolved values: a resource of the app is named
 * by its Ref token, so `model.subnet(route.subnetId)` follows a reference across stacks.
 */
export class GwlbModel {
  /** Build the model from templates (top-level and nested), for one assignment of the undecided conditions. */
  static fromTemplates(inputs: readonly TemplateInput[], scenario?: Scenario): GwlbModel {
    return new GwlbModel(toStackTemplates(inputs), scenario);
  }

  readonly resolver: Resolver;
  readonly subnets = new Map<ResourceKey, SubnetNode>();
  readonly routeTables = new Map<ResourceKey, RouteTableNode>();
  readonly subnetAssociations: SubnetAssociationNode[] = [];
  readonly gatewayAssociations: GatewayAssociationNode[] = [];
  readonly internetGateways = new Map<ResourceKey, ResourceMeta>();
  readonly internetGatewayAttachments: InternetGatewayAttachmentNode[] = [];
  readonly routes: RouteNode[] = [];
  readonly endpoints = new Map<ResourceKey, EndpointNode>();
  readonly endpointServices = new Map<ResourceKey, EndpointServiceNode>();
  readonly loadBalancers = new Map<ResourceKey, LoadBalancerNode>();
  readonly listeners: ListenerNode[] = [];
  readonly listenerRules: ListenerRuleNode[] = [];
  readonly targetGroups = new Map<ResourceKey, TargetGroupNode>();
  readonly autoScalingGroups: AutoScalingGroupNode[] = [];
  readonly instances = new Map<ResourceKey, InstanceNode>();
  readonly networkInterfaces = new Map<ResourceKey, NetworkInterfaceNode>();
  readonly launchTemplates = new Map<ResourceKey, LaunchTemplateNode>();
  /** `AWS::EC2::TransitGatewayAttachment` and `AWS::EC2::TransitGatewayVpcAttachment`. */
  readonly transitGatewayAttachments: TransitGatewayAttachmentNode[] = [];
  /** Instances and network interfaces that an `AWS::EC2::EIP` / `EIPAssociation` gives a public address. */
  readonly elasticIpHolders: ModelValue[] = [];
  /** Every resource of the app that is created in this scenario, including types the model does not interpret. */
  readonly resources = new Map<ResourceKey, ResourceMeta>();
  private routesByTable?: Map<ResourceKey, RouteNode[]>;

  constructor(readonly stacks: readonly StackTemplate[], readonly scenario: Scenario = Scenario.ONLY) {
    this.resolver = new Resolver(stacks, scenario);
    const routeJson: Array<{ meta: ResourceMeta; props: Record<string, unknown> }> = [];
    const subnetBlocks: Array<{ meta: ResourceMeta; props: Record<string, unknown> }> = [];
    const absentRoutes: Array<{ stackKey: string; props: Record<string, unknown>; assumed: Set<string> }> = [];
    for (const stack of stacks) {
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        if (!resource || typeof resource !== 'object') {
          continue;
        }
        const presence = this.resolver.track(() => this.resolver.isPresent(stack.key, logicalId));
        if (!presence.value) {
          if (resource.Type === 'AWS::EC2::Route') {
            absentRoutes.push({ stackKey: stack.key, props: resource.Properties ?? {}, assumed: presence.assumed });
          }
          continue; // a resource whose Condition is false in this scenario is not created
        }
        const cdkPath = resource.Metadata?.['aws:cdk:path'];
        const meta: ResourceMeta = {
          key: resourceKey(stack.key, logicalId),
          logicalId,
          type: String(resource.Type),
          stackName: stack.name,
          templatePath: stack.templatePath,
          constructPath: typeof cdkPath === 'string' ? cdkPath : undefined,
          assumedDefaults: presence.assumed, // the defaults that decided its Condition, and below, its values
        };
        this.resources.set(meta.key, meta);
        const props = resource.Properties && typeof resource.Properties === 'object' ? resource.Properties : {};
        if (resource.Type === 'AWS::EC2::Route') {
          routeJson.push({ meta, props }); // classified once every endpoint and gateway is known
        } else if (resource.Type === 'AWS::EC2::SubnetCidrBlock') {
          subnetBlocks.push({ meta, props }); // added to their subnet once every subnet is known
        } else {
          this.tracked(meta, () => this.add(meta, props));
        }
      }
    }
    for (const { meta, props } of subnetBlocks) {
      this.tracked(meta, () => this.lookup(this.subnets, this.val(meta, props.SubnetId))?.ipv6CidrBlocks
        .push(this.ipv6Block(meta, props) ?? new Unresolved(`${meta.logicalId} has no Ipv6CidrBlock`)));
    }
    for (const { meta, props } of routeJson) {
      this.tracked(meta, () => this.routes.push({
        meta,
        routeTableId: this.val(meta, props.RouteTableId),
        destination: this.val(meta, props.DestinationCidrBlock),
        destinationIpv6: this.val(meta, props.DestinationIpv6CidrBlock),
        target: this.routeTarget(meta, props),
      }));
    }
    // What a route table holds depends on the defaults its routes assumed (e.g. "no 0.0.0.0/0 route"),
    // including those that decided a conditional route away.
    const addTo = (tableId: Resolved, assumed: ReadonlySet<string> | undefined) => {
      const table = this.lookup(this.routeTables, asVal(tableId));
      assumed?.forEach((a) => (table?.meta.assumedDefaults as Set<string> | undefined)?.add(a));
    };
    this.routes.forEach((route) => addTo(route.routeTableId, route.meta.assumedDefaults));
    absentRoutes.forEach(({ stackKey, props, assumed }) => addTo(this.resolver.resolve(stackKey, props.RouteTableId), assumed));
  }

  /** Build with the resolver recording the parameter defaults the resource's values depend on. */
  private tracked(meta: ResourceMeta, build: () => unknown): void {
    const { assumed } = this.resolver.track(build);
    assumed.forEach((a) => (meta.assumedDefaults as Set<string>).add(a));
  }

  /** Reads `meta`'s property values through the resolver (also for the TGW model, tgw-model.ts). @internal */
  reader(meta: ResourceMeta): PropertyReader {
    return { val: (v) => this.val(meta, v), resolve: (v) => this.resolve(meta, v), list: (v) => this.list(meta, v) };
  }

  /** The IPv6 block of a subnet or subnet CIDR association: literal/symbolic, or unknown when IPAM allocates it. */
  private ipv6Block(meta: ResourceMeta, p: Record<string, unknown>): ModelValue | undefined {
    if (p.Ipv6CidrBlock !== undefined) {
      return this.val(meta, p.Ipv6CidrBlock);
    }
    return p.Ipv6IpamPoolId !== undefined || p.Ipv6NetmaskLength !== undefined
      ? new Unresolved(`the IPv6 block of ${meta.logicalId} is allocated from an IPAM pool at deploy time`) : undefined;
  }

  private add(meta: ResourceMeta, p: Record<string, unknown>): void {
    const val = (v: unknown) => this.val(meta, v);
    const list = (v: unknown) => this.list(meta, v);
    switch (meta.type) {
      case 'AWS::EC2::Subnet':
        this.subnets.set(meta.key, {
          meta, vpcId: val(p.VpcId), cidrBlock: val(p.CidrBlock), ipv6CidrBlocks: [this.ipv6Block(meta, p)].filter((b) => b !== undefined),
          mapPublicIpOnLaunch: val(p.MapPublicIpOnLaunch),
          availabilityZone: p.AvailabilityZone !== undefined ? val(p.AvailabilityZone)
            : (p.AvailabilityZoneId !== undefined ? this.azId(val(p.AvailabilityZoneId)) : undefined),
        });
        break;
      case 'AWS::EC2::RouteTable':
        this.routeTables.set(meta.key, { meta, vpcId: val(p.VpcId) });
        break;
      case 'AWS::EC2::SubnetRouteTableAssociation':
        this.subnetAssociations.push({ meta, subnetId: val(p.SubnetId), routeTableId: val(p.RouteTableId) });
        break;
      case 'AWS::EC2::GatewayRouteTableAssociation':
        this.gatewayAssociations.push({ meta, gatewayId: val(p.GatewayId), routeTableId: val(p.RouteTableId) });
        break;
      case 'AWS::EC2::InternetGateway':
        this.internetGateways.set(meta.key, meta);
        break;
      case 'AWS::EC2::VPCGatewayAttachment':
        this.internetGatewayAttachments.push({ meta, vpcId: val(p.VpcId), internetGatewayId: val(p.InternetGatewayId) });
        break;
      case 'AWS::EC2::VPCEndpoint':
        this.endpoints.set(meta.key, {
          meta, endpointType: val(p.VpcEndpointType ?? 'Gateway'), serviceName: val(p.ServiceName), ipAddressType: val(p.IpAddressType ?? 'ipv4'),
          vpcId: val(p.VpcId), subnetIds: list(p.SubnetIds),
        });
        break;
      case 'AWS::EC2::VPCEndpointService':
        this.endpointServices.set(meta.key, {
          meta, gatewayLoadBalancerArns: list(p.GatewayLoadBalancerArns), networkLoadBalancerArns: list(p.NetworkLoadBalancerArns),
        });
        break;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        this.loadBalancers.set(meta.key, loadBalancerNode(meta, p, this.reader(meta)));
        break;
      case 'AWS::ElasticLoadBalancingV2::Listener':
        this.listeners.push({ meta, loadBalancerArn: val(p.LoadBalancerArn), forwardTargetGroupArns: forwardTargets(p.DefaultActions, this.reader(meta)) });
        break;
      case 'AWS::ElasticLoadBalancingV2::ListenerRule':
        this.listenerRules.push({ meta, listenerArn: val(p.ListenerArn), forwardTargetGroupArns: forwardTargets(p.Actions, this.reader(meta)) });
        break;
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        this.targetGroups.set(meta.key, {
          meta, protocol: val(p.Protocol), port: val(p.Port), targetType: val(p.TargetType ?? 'instance'),
          vpcId: val(p.VpcId), targets: staticTargets(meta, p.Targets, this.reader(meta)),
        });
        break;
      case 'AWS::AutoScaling::AutoScalingGroup':
        this.autoScalingGroups.push({
          meta, targetGroupArns: list(p.TargetGroupARNs), subnetIds: list(p.VPCZoneIdentifier),
          availabilityZones: list(p.AvailabilityZones), launchTemplateId: asgLaunchTemplate(p, this.reader(meta)),
        });
        break;
      case 'AWS::EC2::Instance':
        this.instances.set(meta.key, instanceNode(meta, p, this.reader(meta)));
        break;
      case 'AWS::EC2::NetworkInterface':
        this.networkInterfaces.set(meta.key, networkInterfaceNode(meta, p, this.reader(meta)));
        break;
      case 'AWS::EC2::LaunchTemplate':
      case 'AWS::AutoScaling::LaunchConfiguration':
        this.launchTemplates.set(meta.key, launchTemplateNode(meta, p, this.reader(meta)));
        break;
      case 'AWS::EC2::TransitGatewayAttachment':
      case 'AWS::EC2::TransitGatewayVpcAttachment':
        this.transitGatewayAttachments.push({ meta, transitGatewayId: val(p.TransitGatewayId), vpcId: val(p.VpcId), subnetIds: list(p.SubnetIds) });
        break;
      case 'AWS::EC2::EIP':
      case 'AWS::EC2::EIPAssociation':
        this.elasticIpHolders.push(...elasticIpHolders(p, this.reader(meta)));
        break;
      default:
        break;
    }
  }

  private routeTarget(meta: ResourceMeta, p: Record<string, unknown>): RouteTarget {
    const property = ROUTE_TARGET_PROPERTIES.find((name) => p[name] !== undefined);
    if (!property) {
      return { property: '(none)', kind: RouteTargetKind.OTHER };
    }
    const value = this.val(meta, p[property]);
    if (value === undefined || isUnresolved(value)) {
      return { property, value, kind: RouteTargetKind.UNRESOLVED };
    }
    const target = refTarget(value);
    const type = target ? this.resources.get(target)?.type : undefined;
    switch (property) {
      case 'GatewayId':
        if (type === 'AWS::EC2::InternetGateway' || (!target && value.startsWith('igw-'))) {
          return { property, value, kind: RouteTargetKind.INTERNET_GATEWAY, resource: target };
        }
        if (value === 'local') {
          return { property, value, kind: RouteTargetKind.LOCAL };
        }
        return { property, value, kind: target ? RouteTargetKind.OTHER : RouteTargetKind.UNRESOLVED, resource: target };
      case 'VpcEndpointId': {
        const endpoint = target ? this.endpoints.get(target) : undefined;
        if (!endpoint) {
          return { property, value, kind: RouteTargetKind.UNRESOLVED };
        }
        return {
          property, value, resource: target,
          kind: isGwlbEndpoint(endpoint) ? RouteTargetKind.GWLB_ENDPOINT : RouteTargetKind.OTHER_VPC_ENDPOINT,
        };
      }
      case 'NatGatewayId':
        return { property, value, kind: RouteTargetKind.NAT_GATEWAY, resource: target };
      case 'EgressOnlyInternetGatewayId':
        return { property, value, kind: RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY, resource: target };
      case 'TransitGatewayId':
        return { property, value, kind: RouteTargetKind.TRANSIT_GATEWAY, resource: target };
      default:
        return { property, value, kind: RouteTargetKind.OTHER, resource: target };
    }
  }

  private azId(value: ModelValue | undefined): ModelValue | undefined {
    return typeof value === 'string' ? `{{azid:${value}}}` : value;
  }

  private resolve(meta: ResourceMeta, value: unknown): Resolved {
    return this.resolver.resolve(meta.key.slice(0, meta.key.indexOf('.')), value);
  }

  private val(meta: ResourceMeta, value: unknown): ModelValue | undefined {
    return value === undefined ? undefined : asVal(this.resolve(meta, value));
  }

  private list(meta: ResourceMeta, value: unknown): ModelValue[] {
    if (value === undefined) {
      return [];
    }
    const resolved = this.resolve(meta, value);
    if (!Array.isArray(resolved)) {
      const whole = asStringList(resolved);
      return isUnresolved(whole) ? [whole] : whole;
    }
    return resolved.map((item) => asVal(item) ?? new Unresolved(`list item ${JSON.stringify(item)} is not a string`));
  }

  // ---- lookups (pure queries used by the rules) ----

  /** Every created resource of a CloudFormation type, e.g. for rules on types the model has no node for. */
  resourcesOfType(type: string): ResourceMeta[] {
    return [...this.resources.values()].filter((meta) => meta.type === type);
  }

  /** A created resource's Properties with every intrinsic resolved (in this scenario). */
  propertiesOf(meta: ResourceMeta): Resolved {
    const properties = this.resolver.resource(meta.key)?.resource.Properties;
    return properties === undefined ? {} : this.resolve(meta, properties);
  }

  /** The node a resolved id names, if it is a resource of this app held in `map`. */
  lookup<T>(map: Map<ResourceKey, T>, id: ModelValue | undefined): T | undefined {
    const key = refTarget(id);
    return key ? map.get(key) : undefined;
  }

  /** The explicit route table association of a subnet. */
  subnetAssociation(subnet: SubnetNode): SubnetAssociationNode | undefined {
    const id = refToken(subnet.meta.key);
    return this.subnetAssociations.find((a) => a.subnetId === id);
  }

  routesOf(table: RouteTableNode): RouteNode[] {
    if (!this.routesByTable) {
      this.routesByTable = new Map();
      for (const route of this.routes) {
        const key = refTarget(route.routeTableId);
        if (key) {
          this.routesByTable.set(key, [...this.routesByTable.get(key) ?? [], route]);
        }
      }
    }
    return this.routesByTable.get(table.meta.key) ?? [];
  }

  /** Route tables associated with an internet gateway (edge associations) in the VPC. */
  edgeAssociationsOfVpc(vpcId: string): Array<{ association: GatewayAssociationNode; table: RouteTableNode }> {
    const out: Array<{ association: GatewayAssociationNode; table: RouteTableNode }> = [];
    for (const association of this.gatewayAssociations) {
      const table = this.lookup(this.routeTables, association.routeTableId);
      if (table && table.vpcId === vpcId && this.isInternetGateway(association.gatewayId)) {
        out.push({ association, table });
      }
    }
    return out;
  }

  isInternetGateway(id: ModelValue | undefined): boolean {
    if (typeof id !== 'string') {
      return false;
    }
    const key = refTarget(id);
    return key ? this.internetGateways.has(key) : id.startsWith('igw-');
  }

  listenersOf(loadBalancer: LoadBalancerNode): ListenerNode[] {
    const arn = refToken(loadBalancer.meta.key);
    return this.listeners.filter((l) => l.loadBalancerArn === arn);
  }

  rulesOf(listener: ListenerNode): ListenerRuleNode[] {
    const arn = refToken(listener.meta.key);
    return this.listenerRules.filter((r) => r.listenerArn === arn);
  }

  /**
   * The subnet an instance is launched in: its own SubnetId or primary interface, else the attached
   * network interface's, else its launch template's primary interface.
   */
  instanceSubnet(instance: InstanceNode): ModelValue | undefined {
    return instance.subnetId
      ?? this.lookup(this.networkInterfaces, instance.networkInterfaceId)?.subnetId
      ?? this.lookup(this.launchTemplates, instance.launchTemplateId)?.subnetId;
  }

  /** Whether an instance gets a public IPv4 address: AssociatePublicIpAddress, an Elastic IP, else its subnet's MapPublicIpOnLaunch. */
  hasPublicIp(instance: InstanceNode, subnet: SubnetNode | undefined): boolean {
    const ref = refToken(instance.meta.key);
    if (this.elasticIpHolders.includes(ref) || (instance.networkInterfaceId !== undefined && this.elasticIpHolders.includes(instance.networkInterfaceId))) {
      return true;
    }
    const associate = instance.associatePublicIp ?? this.lookup(this.launchTemplates, instance.launchTemplateId)?.associatePublicIp;
    return associate !== undefined ? associate === 'true' : subnet?.mapPublicIpOnLaunch === 'true';
  }

  asgsRegisteringInto(targetGroup: TargetGroupNode): AutoScalingGroupNode[] {
    const arn = refToken(targetGroup.meta.key);
    return this.autoScalingGroups.filter((g) => g.targetGroupArns.includes(arn));
  }
}

export function isGwlbEndpoint(endpoint: EndpointNode): boolean {
  return endpoint.endpointType === VpcEndpointType.GATEWAY_LOAD_BALANCER;
}
