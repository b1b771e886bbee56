import { InstanceNode, LaunchTemplateNode, ModelValue, NetworkInterfaceNode, ResourceMeta } from './model-types';
import { asString, Resolved, Unresolved } from './resolve';

/** What the compute builders need from the model: resolve a property of the resource being built. */
export interface PropertyReader {
  /** A resolved scalar (or why it is unknown); undefined when the property is absent. */
  val(value: unknown): ModelValue | undefined;
  /** The resolved value, any shape. */
  resolve(value: unknown): Resolved;
  /** A resolved list of scalars (a single value is a list of one). */
  list(value: unknown): ModelValue[];
}

/** A resolved value as a model scalar: a string (numbers and booleans stringified), the Unresolved, or why it is not a scalar. */
export function asVal(value: Resolved): ModelValue | undefined {
  const s = asString(value);
  return s === undefined && value !== undefined && value !== null ? new Unresolved(`expected a string, got ${JSON.stringify(value)}`) : s;
}

type Json = Record<string, Resolved>;

/** The primary (DeviceIndex 0, else the only) entry of a resolved `NetworkInterfaces` list. */
export function primaryInterface(interfaces: Resolved): Json | undefined {
  if (!Array.isArray(interfaces)) {
    return undefined;
  }
  const entries = interfaces.filter((ni): ni is Json => !!ni && typeof ni === 'object' && !Array.isArray(ni));
  return entries.find((ni) => String(ni.DeviceIndex ?? '') === '0') ?? (entries.length === 1 ? entries[0] : undefined);
}

function scalar(reader: PropertyReader, value: Resolved): ModelValue | undefined {
  return value === undefined || value === null ? undefined : reader.val(value);
}

/**
 * An EC2 instance's placement: `SubnetId`, else its primary network interface (inline `SubnetId`,
 * or an attached `AWS::EC2::NetworkInterface`), else its launch template (followed by the model).
 */
export function instanceNode(meta: ResourceMeta, p: Record<string, unknown>, reader: PropertyReader): InstanceNode {
  const primary = primaryInterface(reader.resolve(p.NetworkInterfaces));
  const template = reader.resolve(p.LaunchTemplate) as Json | undefined;
  return {
    meta,
    subnetId: reader.val(p.SubnetId) ?? scalar(reader, primary?.SubnetId),
    networkInterfaceId: scalar(reader, primary?.NetworkInterfaceId),
    launchTemplateId: template && typeof template === 'object' ? scalar(reader, template.LaunchTemplateId ?? template.LaunchTemplateName) : undefined,
    associatePublicIp: scalar(reader, primary?.AssociatePublicIpAddress),
    availabilityZone: reader.val(p.AvailabilityZone),
  };
}

export function networkInterfaceNode(meta: ResourceMeta, p: Record<string, unknown>, reader: PropertyReader): NetworkInterfaceNode {
  return { meta, subnetId: reader.val(p.SubnetId) };
}

/** A launch template's (`LaunchTemplateData.NetworkInterfaces`) or launch configuration's primary interface. */
export function launchTemplateNode(meta: ResourceMeta, p: Record<string, unknown>, reader: PropertyReader): LaunchTemplateNode {
  if (meta.type === 'AWS::AutoScaling::LaunchConfiguration') {
    return { meta, associatePublicIp: reader.val(p.AssociatePublicIpAddress) };
  }
  const data = reader.resolve(p.LaunchTemplateData) as Json | undefined;
  const primary = data && typeof data === 'object' ? primaryInterface(data.NetworkInterfaces) : undefined;
  return { meta, subnetId: scalar(reader, primary?.SubnetId), associatePublicIp: scalar(reader, primary?.AssociatePublicIpAddress) };
}

/** The launch template (or configuration) of an Auto Scaling group. */
export function asgLaunchTemplate(p: Record<string, unknown>, reader: PropertyReader): ModelValue | undefined {
  const direct = reader.resolve(p.LaunchTemplate) as Json | undefined;
  const mixed = reader.resolve(p.MixedInstancesPolicy) as Json | undefined;
  const spec = (direct && typeof direct === 'object' ? direct : undefined)
    ?? (mixed && typeof mixed === 'object' ? ((mixed.LaunchTemplate as Json | undefined)?.LaunchTemplateSpecification as Json | undefined) : undefined);
  if (spec && typeof spec === 'object') {
    return scalar(reader, spec.LaunchTemplateId ?? spec.LaunchTemplateName);
  }
  return reader.val(p.LaunchConfigurationName);
}

/** The ids an `AWS::EC2::EIP` or `AWS::EC2::EIPAssociation` gives a public address to (instance or network interface). */
export function elasticIpHolders(p: Record<string, unknown>, reader: PropertyReader): ModelValue[] {
  return [reader.val(p.InstanceId), reader.val(p.NetworkInterfaceId)].filter((v): v is ModelValue => v !== undefined);
}
