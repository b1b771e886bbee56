import { GwlbModel, isGwlbEndpoint } from './model';
import { EndpointNode, ModelNode, ModelValue, ResourceMeta, RouteTargetKind } from './model-types';
import { asString, isUnresolved, Resolved, Unresolved } from './resolve';
import { refTarget, ResourceKey } from './tokens';

/** `AWS::EC2::TransitGateway`: the default route table settings (CloudFormation default `enable`). */
export interface TransitGatewayNode extends ModelNode {
  readonly defaultRouteTableAssociation: ModelValue;
  readonly defaultRouteTablePropagation: ModelValue;
}

/** `AWS::EC2::TransitGatewayVpcAttachment` or `AWS::EC2::TransitGatewayAttachment`. */
export interface TgwAttachmentNode extends ModelNode {
  readonly transitGatewayId?: ModelValue;
  readonly vpcId?: ModelValue;
  readonly subnetIds: ModelValue[];
  /** `Options.ApplianceModeSupport` (default `disable`). */
  readonly applianceModeSupport: ModelValue;
}

export interface TgwRouteTableNode extends ModelNode {
  readonly transitGatewayId?: ModelValue;
}

/** `AWS::EC2::TransitGatewayRoute`. */
export interface TgwRouteNode extends ModelNode {
  readonly routeTableId?: ModelValue;
  readonly destination?: ModelValue;
  readonly attachmentId?: ModelValue;
  readonly blackhole: boolean;
}

/** An association or a propagation: an attachment and a Transit Gateway route table. */
export interface TgwLinkNode extends ModelNode {
  readonly attachmentId?: ModelValue;
  readonly routeTableId?: ModelValue;
}

/** `AWS::EC2::VPC` with its IPv4 blocks (`CidrBlock` and `AWS::EC2::VPCCidrBlock` additions). */
export interface VpcNode extends ModelNode {
  readonly cidrBlocks: ModelValue[];
}

/** `AWS::EC2::NatGateway`. */
export interface NatGatewayNode extends ModelNode {
  readonly subnetId?: ModelValue;
}

/**
 * The Transit Gateway resources of an app, read beside the GWLB model (same resolver, same ids):
 * Transit Gateways, attachments, their route tables, routes, associations and propagations, and
 * the VPC CIDR blocks and NAT gateways that the centralized inspection rules need.
 */
export class TgwModel {
  private static readonly cache = new WeakMap<GwlbModel, TgwModel>();

  /** The Transit Gateway view of a model, built once per model. */
  static of(model: GwlbModel): TgwModel {
    let tgw = TgwModel.cache.get(model);
    if (!tgw) {
      tgw = new TgwModel(model);
      TgwModel.cache.set(model, tgw);
    }
    return tgw;
  }

  readonly transitGateways = new Map<ResourceKey, TransitGatewayNode>();
  readonly attachments = new Map<ResourceKey, TgwAttachmentNode>();
  readonly routeTables = new Map<ResourceKey, TgwRouteTableNode>();
  readonly routes: TgwRouteNode[] = [];
  readonly associations: TgwLinkNode[] = [];
  readonly propagations: TgwLinkNode[] = [];
  readonly vpcs = new Map<ResourceKey, VpcNode>();
  readonly natGateways = new Map<ResourceKey, NatGatewayNode>();
  private inspections?: TgwAttachmentNode[];

  private constructor(readonly model: GwlbModel) {
    const extraBlocks: Array<{ meta: ResourceMeta; props: Record<string, unknown> }> = [];
    for (const stack of model.stacks) {
      for (const logicalId of Object.keys(stack.template.Resources ?? {})) {
        const resource = stack.template.Resources![logicalId];
        const meta = model.resources.get(`${stack.key}.${logicalId}`);
        if (!meta) {
          continue;
        }
        const p = resource.Properties ?? {};
        const val = (v: unknown) => this.model.reader(meta).val(v);
        switch (resource.Type) {
          case 'AWS::EC2::TransitGateway':
            this.transitGateways.set(meta.key, {
              meta,
              defaultRouteTableAssociation: val(p.DefaultRouteTableAssociation) ?? 'enable',
              defaultRouteTablePropagation: val(p.DefaultRouteTablePropagation) ?? 'enable',
            });
            break;
          case 'AWS::EC2::TransitGatewayVpcAttachment':
          case 'AWS::EC2::TransitGatewayAttachment':
            this.attachments.set(meta.key, {
              meta, transitGatewayId: val(p.TransitGatewayId), vpcId: val(p.VpcId), subnetIds: this.model.reader(meta).list(p.SubnetIds),
              applianceModeSupport: this.option(meta, p.Options, 'ApplianceModeSupport') ?? 'disable',
            });
            break;
          case 'AWS::EC2::TransitGatewayRouteTable':
            this.routeTables.set(meta.key, { meta, transitGatewayId: val(p.TransitGatewayId) });
            break;
          case 'AWS::EC2::TransitGatewayRoute':
            this.routes.push({
              meta, routeTableId: val(p.TransitGatewayRouteTableId), destination: val(p.DestinationCidrBlock),
              attachmentId: val(p.TransitGatewayAttachmentId), blackhole: String(p.Blackhole) === 'true',
            });
            break;
          case 'AWS::EC2::TransitGatewayRouteTableAssociation':
            this.associations.push({ meta, attachmentId: val(p.TransitGatewayAttachmentId), routeTableId: val(p.TransitGatewayRouteTableId) });
            break;
          case 'AWS::EC2::TransitGatewayRouteTablePropagation':
            this.propagations.push({ meta, attachmentId: val(p.TransitGatewayAttachmentId), routeTableId: val(p.TransitGatewayRouteTableId) });
            break;
          case 'AWS::EC2::VPC':
            this.vpcs.set(meta.key, { meta, cidrBlocks: p.CidrBlock !== undefined ? [val(p.CidrBlock)!] : [new Unresolved(`the IPv4 block of ${logicalId} is allocated from an IPAM pool`)] });
            break;
          case 'AWS::EC2::VPCCidrBlock':
            extraBlocks.push({ meta, props: p });
            break;
          case 'AWS::EC2::NatGateway':
            this.natGateways.set(meta.key, { meta, subnetId: val(p.SubnetId) });
            break;
          default:
            break;
        }
      }
    }
    for (const { meta, props } of extraBlocks) {
      if (props.CidrBlock !== undefined || props.Ipv4IpamPoolId !== undefined) {
        this.lookup(this.vpcs, this.model.reader(meta).val(props.VpcId))?.cidrBlocks.push(
          props.CidrBlock !== undefined ? this.model.reader(meta).val(props.CidrBlock)! : new Unresolved(`${meta.logicalId} allocates from an IPAM pool`));
      }
    }
  }

  lookup<T>(map: Map<ResourceKey, T>, id: ModelValue | undefined): T | undefined {
    const key = refTarget(id);
    return key ? map.get(key) : undefined;
  }

  /** GWLB endpoints in a VPC. */
  gwlbEndpointsOfVpc(vpcId: ModelValue | undefined): EndpointNode[] {
    return typeof vpcId === 'string' ? [...this.model.endpoints.values()].filter((e) => isGwlbEndpoint(e) && e.vpcId === vpcId) : [];
  }

  /**
   * The inspection VPCs' attachments: attachments of a VPC holding GWLB endpoints that either
   * receive a Transit Gateway route for 0.0.0.0/0 or have a subnet sending 0.0.0.0/0 to a GWLB
   * endpoint. (A spoke with endpoints of its own for distributed ingress inspection is neither.)
   */
  inspectionAttachments(): TgwAttachmentNode[] {
    this.inspections ??= [...this.attachments.values()].filter((a) => this.gwlbEndpointsOfVpc(a.vpcId).length > 0
      && (this.routes.some((r) => r.destination === '0.0.0.0/0' && refTarget(r.attachmentId) === a.meta.key)
        || a.subnetIds.some((id) => this.subnetSendsDefaultToEndpoint(id))));
    return this.inspections;
  }

  private subnetSendsDefaultToEndpoint(id: ModelValue): boolean {
    const subnet = this.model.lookup(this.model.subnets, id);
    const association = subnet ? this.model.subnetAssociation(subnet) : undefined;
    const table = association ? this.model.lookup(this.model.routeTables, association.routeTableId) : undefined;
    return table !== undefined && this.model.routesOf(table).some((r) => r.destination === '0.0.0.0/0' && r.target.kind === RouteTargetKind.GWLB_ENDPOINT);
  }

  /** The other attachments of the Transit Gateway of an inspection attachment: the spokes. */
  spokeAttachments(inspection: TgwAttachmentNode): TgwAttachmentNode[] {
    const inspectionVpcs = new Set(this.inspectionAttachments().map((a) => a.vpcId));
    return [...this.attachments.values()].filter((a) => a !== inspection && typeof a.transitGatewayId === 'string'
      && a.transitGatewayId === inspection.transitGatewayId && !inspectionVpcs.has(a.vpcId));
  }

  /** Every spoke attachment of every Transit Gateway that has an inspection attachment (each once). */
  allSpokeAttachments(): TgwAttachmentNode[] {
    return [...new Set(this.inspectionAttachments().flatMap((i) => this.spokeAttachments(i)))];
  }

  /** Whether an attachment id names one of the given attachments. */
  isOneOf(id: ModelValue | undefined, attachments: readonly TgwAttachmentNode[]): TgwAttachmentNode | undefined {
    return attachments.find((a) => refTarget(id) === a.meta.key);
  }

  associationsOf(attachment: TgwAttachmentNode): TgwLinkNode[] {
    return this.associations.filter((a) => refTarget(a.attachmentId) === attachment.meta.key);
  }

  routesOf(routeTableId: ModelValue | undefined): TgwRouteNode[] {
    return typeof routeTableId === 'string' ? this.routes.filter((r) => r.routeTableId === routeTableId) : [];
  }

  propagationsInto(routeTableId: ModelValue | undefined): TgwLinkNode[] {
    return typeof routeTableId === 'string' ? this.propagations.filter((p) => p.routeTableId === routeTableId) : [];
  }

  associationsInto(routeTableId: ModelValue | undefined): TgwLinkNode[] {
    return typeof routeTableId === 'string' ? this.associations.filter((p) => p.routeTableId === routeTableId) : [];
  }

  /** The IPv4 blocks of the VPC of an attachment, or why they are unknown. */
  vpcCidrs(attachment: TgwAttachmentNode): ModelValue[] {
    const vpc = this.lookup(this.vpcs, attachment.vpcId);
    return vpc ? vpc.cidrBlocks : [new Unresolved(`the VPC of ${attachment.meta.logicalId} (${describe(attachment.vpcId)}) is not in the app`)];
  }

  private option(meta: ResourceMeta, options: unknown, name: string): ModelValue | undefined {
    if (options === undefined) {
      return undefined;
    }
    const resolved = this.model.reader(meta).resolve(options);
    if (isUnresolved(resolved)) {
      return resolved;
    }
    const value = (resolved as Record<string, Resolved> | null)?.[name];
    return value === undefined ? undefined : asVal(value);
  }
}

function asVal(value: Resolved): ModelValue | undefined {
  const s = asString(value);
  return s === undefined && value !== undefined && value !== null ? new Unresolved(`expected a string, got ${JSON.stringify(value)}`) : s;
}

/** A value for messages. */
export function describe(value: ModelValue | undefined): string {
  return value === undefined ? '(none)' : isUnresolved(value) ? `(${value.reason})` : value;
}
