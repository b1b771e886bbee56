import {
  LoadBalancerNode, ModelValue, ResourceMeta, StaticTarget,
} from './model-types';
import { asString, isUnresolved, Resolved, Unresolved } from './resolve';
import { asVal, PropertyReader } from './model-compute';

const CROSS_ZONE_ATTRIBUTE = 'load_balancing.cross_zone.enabled';

/** A load balancer: type, scheme, subnets (Subnets and SubnetMappings) and the cross-zone attribute. */
export function loadBalancerNode(meta: ResourceMeta, p: Record<string, unknown>, reader: PropertyReader): LoadBalancerNode {
  const mappings = reader.resolve(p.SubnetMappings);
  const mapped: ModelValue[] = isUnresolved(mappings) ? [mappings]
    : Array.isArray(mappings) ? mappings.map((m) => asVal((m as Record<string, Resolved> | null)?.SubnetId) ?? new Unresolved('SubnetMapping without SubnetId')) : [];
  const attributes = reader.resolve(p.LoadBalancerAttributes);
  let crossZone: boolean | Unresolved = false;
  if (isUnresolved(attributes)) {
    crossZone = attributes;
  } else if (Array.isArray(attributes)) {
    const entry = attributes.find((a) => (a as Record<string, Resolved> | null)?.Key === CROSS_ZONE_ATTRIBUTE) as Record<string, Resolved> | undefined;
    const value = entry ? asString(entry.Value ?? null) : 'false';
    crossZone = value === 'true' ? true : value === 'false' ? false
      : (isUnresolved(value) ? value : new Unresolved(`${CROSS_ZONE_ATTRIBUTE} is ${JSON.stringify(entry?.Value)}`));
  }
  return {
    meta,
    lbType: reader.val(p.Type ?? 'application') ?? 'application',
    scheme: reader.val(p.Scheme ?? 'internet-facing') ?? 'internet-facing',
    subnetIds: [...reader.list(p.Subnets), ...mapped],
    crossZoneEnabled: crossZone,
  };
}

/** Target groups of `forward` actions (TargetGroupArn and ForwardConfig). */
export function forwardTargets(actions: unknown, reader: PropertyReader): ModelValue[] {
  const resolved = reader.resolve(actions);
  if (isUnresolved(resolved)) {
    return [resolved];
  }
  const out: ModelValue[] = [];
  for (const action of Array.isArray(resolved) ? resolved : []) {
    const a = (action ?? {}) as Record<string, Resolved>;
    if (isUnresolved(action)) {
      out.push(action);
    } else if (String(a.Type).toLowerCase() === 'forward') {
      const single = asVal(a.TargetGroupArn);
      if (single !== undefined) {
        out.push(single);
      }
      const config = (a.ForwardConfig ?? {}) as Record<string, Resolved>;
      for (const tg of Array.isArray(config.TargetGroups) ? config.TargetGroups : []) {
        const arn = asVal((tg as Record<string, Resolved> | null)?.TargetGroupArn);
        if (arn !== undefined && !out.includes(arn)) {
          out.push(arn);
        }
      }
    }
  }
  return out;
}

/** The static `Targets` of a target group. */
export function staticTargets(meta: ResourceMeta, targets: unknown, reader: PropertyReader): StaticTarget[] {
  const resolved = reader.resolve(targets);
  if (isUnresolved(resolved)) {
    return [{ id: resolved }];
  }
  return (Array.isArray(resolved) ? resolved : []).map((t, i) => {
    const target = (t ?? {}) as Record<string, Resolved>;
    return { id: asVal(target.Id) ?? new Unresolved(`entry ${i + 1} of the Targets of ${meta.logicalId} has no Id`), availabilityZone: asVal(target.AvailabilityZone) };
  });
}
