import { ipInCidr } from './cidr';
import { GwlbModel } from './model';
import { AutoScalingGroupNode, ListenerNode, LoadBalancerNode, ModelNode, SubnetNode, TargetGroupNode, ModelValue } from './model-types';
import { isUnresolved } from './resolve';
import { describeValue, hasToken, refTarget } from './tokens';

export const GENEVE_PROTOCOL = 'GENEVE';
export const GENEVE_PORT = '6081';

/** Where one target (an ASG subnet, an instance, an IP) of a target group sits. */
export interface Placement {
  /** The ASG or the target group (static target) that places it. */
  readonly via: ModelNode;
  readonly subnet?: SubnetNode;
  readonly availabilityZone?: ModelValue;
  /** Why the subnet/AZ is unknown. */
  readonly unknown?: string;
}

export interface TargetGroupRef {
  readonly targetGroup?: TargetGroupNode;
  readonly arn: ModelValue;
  readonly listener: ListenerNode;
}

/** Target groups that the listeners (default actions and rules) of a load balancer forward to. */
export function forwardedTargetGroups(model: GwlbModel, lb: LoadBalancerNode, withRules: boolean): TargetGroupRef[] {
  const out: TargetGroupRef[] = [];
  for (const listener of model.listenersOf(lb)) {
    const arns = [...listener.forwardTargetGroupArns];
    if (withRules) {
      model.rulesOf(listener).forEach((rule) => arns.push(...rule.forwardTargetGroupArns));
    }
    for (const arn of arns) {
      const targetGroup = model.lookup(model.targetGroups, arn);
      if (!out.some((r) => (targetGroup ? r.targetGroup === targetGroup : r.arn === arn))) {
        out.push({ targetGroup, arn, listener });
      }
    }
  }
  return out;
}

export function isGeneveTargetGroup(tg: TargetGroupNode): boolean {
  return tg.protocol === GENEVE_PROTOCOL && tg.port === GENEVE_PORT;
}

/** The placement of every target of a target group: ASG subnets/AZs and static targets. */
export function targetPlacements(model: GwlbModel, tg: TargetGroupNode): { asgs: AutoScalingGroupNode[]; placements: Placement[] } {
  const asgs = model.asgsRegisteringInto(tg);
  const placements: Placement[] = [];
  for (const asg of asgs) {
    for (const subnetId of asg.subnetIds) {
      placements.push(subnetPlacement(model, asg, subnetId));
    }
    if (asg.subnetIds.length === 0) {
      asg.availabilityZones.forEach((az) => placements.push({ via: asg, availabilityZone: az }));
      const templateSubnet = model.lookup(model.launchTemplates, asg.launchTemplateId)?.subnetId;
      if (asg.availabilityZones.length === 0 && templateSubnet !== undefined) {
        placements.push(subnetPlacement(model, asg, templateSubnet));
      }
    }
  }
  for (const target of tg.targets) {
    placements.push(staticPlacement(model, tg, target.id, target.availabilityZone));
  }
  return { asgs, placements };
}

function subnetPlacement(model: GwlbModel, via: ModelNode, subnetId: ModelValue | undefined): Placement {
  const subnet = model.lookup(model.subnets, subnetId);
  if (subnet) {
    return { via, subnet, availabilityZone: subnet.availabilityZone };
  }
  if (subnetId === undefined) {
    return { via, unknown: `${via.meta.logicalId} names no subnet (no SubnetId, network interface or launch template subnet)` };
  }
  const reason = isUnresolved(subnetId) ? subnetId.reason : `subnet ${describeValue(subnetId)} is not in the app`;
  return { via, unknown: reason };
}

/** The instance or network interface whose private IP a target Id is (`Fn::GetAtt Eni.PrimaryPrivateIpAddress`, `Instance.PrivateIp`). */
function addressHolder(model: GwlbModel, id: string): Placement | undefined {
  const m = /^\{\{att:([^.{}]+\.[^.{}]+)\.(PrimaryPrivateIpAddress|PrivateIp)\}\}$/.exec(id);
  const instance = m ? model.instances.get(m[1]) : undefined;
  if (instance) {
    return subnetPlacement(model, instance, model.instanceSubnet(instance));
  }
  const eni = m ? model.networkInterfaces.get(m[1]) : undefined;
  return eni ? subnetPlacement(model, eni, eni.subnetId) : undefined;
}

function staticPlacement(model: GwlbModel, tg: TargetGroupNode, id: ModelValue, az: ModelValue | undefined): Placement {
  if (isUnresolved(id)) {
    return { via: tg, unknown: id.reason };
  }
  const instance = model.lookup(model.instances, id);
  if (instance) {
    const placement = subnetPlacement(model, instance, model.instanceSubnet(instance));
    return placement.subnet || !instance.availabilityZone ? placement : { via: instance, availabilityZone: instance.availabilityZone };
  }
  const holder = addressHolder(model, id);
  if (holder) {
    return holder;
  }
  if (!refTarget(id) && !hasToken(id) && /^\d+\.\d+\.\d+\.\d+$/.test(id)) {
    const subnet = [...model.subnets.values()].find((s) => s.vpcId === tg.vpcId && typeof s.cidrBlock === 'string' && ipInCidr(id, s.cidrBlock));
    if (subnet) {
      return { via: tg, subnet, availabilityZone: subnet.availabilityZone };
    }
    if (typeof az === 'string' && az !== 'all') {
      return { via: tg, availabilityZone: az };
    }
  }
  return { via: tg, unknown: `target ${describeValue(id)} of ${tg.meta.logicalId} is not a subnet-placed resource of the app` };
}
