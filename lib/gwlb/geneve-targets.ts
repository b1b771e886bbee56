import { Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { GeneveTargetGroup } from './geneve-target-group';
import { fail, isConcrete, parseIpv4, validateIntegerRange } from './validation';

/** One target registered in the target group's `Targets` list. */
export interface GeneveTargetDescription {
  /** Instance id or IP address. */
  readonly id: string;
  /**
   * The target port.
   * @default - the target group port (6081)
   */
  readonly port?: number;
  /**
   * The availability zone of an IP target (`all` for addresses outside the VPC).
   * @default - determined by AWS from the address
   */
  readonly availabilityZone?: string;
}

/** What attaching a target to a GENEVE target group produced. */
export interface GeneveTargetAttachment {
  /** The target type the target requires. */
  readonly targetType: elbv2.TargetType;
  /**
   * The entry for the target group's `Targets` list.
   * @default - none: the target registers itself (Auto Scaling groups)
   */
  readonly target?: GeneveTargetDescription;
}

/** Something that can be registered in a GENEVE target group. */
export interface IGeneveTarget {
  /** Attach this target to the target group; called by `GeneveTargetGroup.addTarget()`. */
  attachToGeneveTargetGroup(targetGroup: GeneveTargetGroup): GeneveTargetAttachment;
}

/** Factories for GENEVE targets. */
export class GeneveTarget {
  /**
   * An Auto Scaling group: its `TargetGroupARNs` gets the target group, so every instance it
   * launches is registered. The target group must have target type INSTANCE.
   */
  public static autoScalingGroup(autoScalingGroup: autoscaling.AutoScalingGroup): IGeneveTarget {
    return new AutoScalingGroupTarget(autoScalingGroup);
  }

  /**
   * An EC2 instance.
   *
   * @param port must be 6081 (GENEVE) when given; defaults to the target group port
   */
  public static instance(instance: ec2.IInstance, port?: number): IGeneveTarget {
    return new InstanceTarget(instance, port);
  }

  /**
   * An IPv4 address in the VPC's subnets or in a private range (10.0.0.0/8, 172.16.0.0/12,
   * 192.168.0.0/16, 100.64.0.0/10).
   *
   * @param availabilityZone `all` for an address outside the VPC; defaults to the AZ AWS derives
   */
  public static ip(address: string, availabilityZone?: string): IGeneveTarget {
    return new IpTarget(address, availabilityZone);
  }

  private constructor() {}
}

class AutoScalingGroupTarget implements IGeneveTarget {
  constructor(private readonly asg: autoscaling.AutoScalingGroup) {}

  public attachToGeneveTargetGroup(targetGroup: GeneveTargetGroup): GeneveTargetAttachment {
    const id = `AutoScalingGroupTarget${this.asg.node.addr}`;
    if (targetGroup.node.tryFindChild(id) !== undefined) {
      fail(targetGroup, `Auto Scaling group ${this.asg.node.path} is already a target of this target group`);
    }
    // AutoScalingGroup.attachToNetworkTargetGroup() only reads the ARN: hand it a reference to this group.
    const reference = elbv2.NetworkTargetGroup.fromTargetGroupAttributes(targetGroup, id, {
      targetGroupArn: targetGroup.targetGroupArn,
    });
    this.asg.attachToNetworkTargetGroup(reference);
    return { targetType: elbv2.TargetType.INSTANCE };
  }
}

class InstanceTarget implements IGeneveTarget {
  constructor(private readonly instance: ec2.IInstance, private readonly port?: number) {}

  public attachToGeneveTargetGroup(targetGroup: GeneveTargetGroup): GeneveTargetAttachment {
    validateTargetPort(targetGroup, this.port);
    return {
      targetType: elbv2.TargetType.INSTANCE,
      target: { id: this.instance.instanceId, port: this.port },
    };
  }
}

class IpTarget implements IGeneveTarget {
  constructor(private readonly address: string, private readonly availabilityZone?: string) {}

  public attachToGeneveTargetGroup(targetGroup: GeneveTargetGroup): GeneveTargetAttachment {
    if (isConcrete(this.address)) {
      const octets = parseIpv4(this.address);
      if (octets === undefined) {
        fail(targetGroup, `IP target address must be an IPv4 address, got '${this.address}'`);
      }
      const cidrs = knownSubnetCidrs(targetGroup.vpc);
      if (!isPrivate(octets) && cidrs !== undefined && !cidrs.some((cidr) => inCidr(octets, cidr))) {
        fail(targetGroup, `IP target address '${this.address}' is publicly routable and outside the VPC's subnets `
          + `(${cidrs.join(', ')}): GENEVE targets must be in the VPC's subnets or in 10.0.0.0/8, 172.16.0.0/12, `
          + '192.168.0.0/16 or 100.64.0.0/10');
      }
    }
    if (this.availabilityZone !== undefined && !Token.isUnresolved(this.availabilityZone)
      && this.availabilityZone.trim() === '') {
      fail(targetGroup, `IP target availabilityZone must be an availability zone name or 'all', got '${this.availabilityZone}'`);
    }
    return {
      targetType: elbv2.TargetType.IP,
      target: { id: this.address, availabilityZone: this.availabilityZone },
    };
  }
}

function validateTargetPort(targetGroup: GeneveTargetGroup, port: number | undefined): void {
  validateIntegerRange(targetGroup, 'target port', port, 1, 65535);
  if (port !== undefined && !Token.isUnresolved(port) && port !== 6081) {
    fail(targetGroup, `target port must be 6081 (GENEVE) for a Gateway Load Balancer target, got ${port}`);
  }
}

const PRIVATE_RANGES: Array<[number, number]> = [
  [ipToInt([10, 0, 0, 0]), 8],
  [ipToInt([172, 16, 0, 0]), 12],
  [ipToInt([192, 168, 0, 0]), 16],
  [ipToInt([100, 64, 0, 0]), 10],
];

function ipToInt(octets: number[]): number {
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

function inRange(ip: number, base: number, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((ip & mask) >>> 0) === ((base & mask) >>> 0);
}

function isPrivate(octets: number[]): boolean {
  const ip = ipToInt(octets);
  return PRIVATE_RANGES.some(([base, prefix]) => inRange(ip, base, prefix));
}

/** The IPv4 CIDR blocks of the VPC's subnets, or undefined when any of them is not known at synth time. */
function knownSubnetCidrs(vpc: ec2.IVpc): string[] | undefined {
  const subnets = [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets];
  const cidrs: string[] = [];
  for (const subnet of subnets) {
    let cidr: string | undefined;
    try {
      cidr = subnet.ipv4CidrBlock;
    } catch {
      cidr = undefined; // imported without ipv4CidrBlock: the address cannot be checked
    }
    if (!isConcrete(cidr)) {
      return undefined;
    }
    cidrs.push(cidr);
  }
  return cidrs.length > 0 ? cidrs : undefined;
}

function inCidr(octets: number[], cidr: string): boolean {
  const [addr, prefix] = cidr.split('/');
  const base = parseIpv4(addr);
  return base !== undefined && inRange(ipToInt(octets), ipToInt(base), Number(prefix));
}
