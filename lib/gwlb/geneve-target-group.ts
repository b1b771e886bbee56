import { Annotations, Duration, IResource, Lazy, Resource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct, IConstruct } from 'constructs';
import { GeneveHealthCheck, renderHealthCheck, resolveHealthCheck } from './geneve-health-check';
import type { GeneveTargetDescription, IGeneveTarget } from './geneve-targets';
import { fail, isConcrete, validateDurationSeconds } from './validation';


/** The GENEVE port: Gateway Load Balancer target groups always use UDP 6081. */
const GENEVE_PORT = 6081;

/**
 * How the Gateway Load Balancer maps packets to flows, and so to targets
 * (target group attributes `stickiness.enabled` and `stickiness.type`).
 */
export enum FlowStickiness {
  /** Source and destination IP and port, and protocol (the AWS default; stickiness disabled). */
  FIVE_TUPLE = 'five_tuple',
  /** Source IP, destination IP and protocol (`source_ip_dest_ip_proto`). */
  THREE_TUPLE = 'source_ip_dest_ip_proto',
  /** Source IP and destination IP (`source_ip_dest_ip`). */
  TWO_TUPLE = 'source_ip_dest_ip',
}

/**
 * What happens to existing flows when a target is deregistered or becomes unhealthy
 * (writes both `target_failover.on_deregistration` and `target_failover.on_unhealthy`,
 * which AWS requires to be set together and equal).
 */
export enum TargetFailover {
  /** Existing flows stay on the failed or draining target (the AWS default). */
  NO_REBALANCE = 'no_rebalance',
  /** Existing flows are rehashed to healthy targets. */
  REBALANCE = 'rebalance',
}

/** A GENEVE target group, created here or imported. */
export interface IGeneveTargetGroup extends IResource {
  /**
   * The ARN of the target group.
   * @attribute
   */
  readonly targetGroupArn: string;
}

/** Attributes to import an existing GENEVE target group. */
export interface GeneveTargetGroupAttributes {
  /** The ARN of the target group. */
  readonly targetGroupArn: string;
}

/** Properties of a {@link GeneveTargetGroup}. */
export interface GeneveTargetGroupProps {
  /** The VPC of the targets (the security/inspection VPC). */
  readonly vpc: ec2.IVpc;

  /**
   * How targets are identified: `TargetType.INSTANCE` or `TargetType.IP`.
   *
   * @default - the type of the first target added, or `TargetType.INSTANCE` when there is none
   */
  readonly targetType?: elbv2.TargetType;

  /**
   * Health check settings.
   *
   * @default - TCP on port 80 every 10 seconds, timeout 5 seconds, thresholds 3/3
   */
  readonly healthCheck?: GeneveHealthCheck;

  /**
   * How long a deregistering target keeps its flows, 0..3600 seconds
   * (target group attribute `deregistration_delay.timeout_seconds`).
   *
   * @default Duration.seconds(300) (the AWS default; the attribute is not written)
   */
  readonly deregistrationDelay?: Duration;

  /**
   * Flow stickiness (5-, 3- or 2-tuple hashing).
   *
   * @default FlowStickiness.FIVE_TUPLE (the AWS default; no attribute is written)
   */
  readonly stickiness?: FlowStickiness;

  /**
   * Target failover for existing flows, on deregistration and on unhealthy alike.
   *
   * @default TargetFailover.NO_REBALANCE (the AWS default; no attribute is written)
   */
  readonly targetFailover?: TargetFailover;

  /**
   * The TCP flow idle timeout, 60..6000 seconds. Only supported with 5-tuple stickiness.
   *
   * AWS stores this on the listener (`tcp.idle_timeout.seconds`): a
   * `GatewayLoadBalancerListener` whose default target group is this one writes it.
   *
   * @default - the AWS default (350 seconds)
   */
  readonly tcpIdleTimeout?: Duration;

  /**
   * Send a TCP reset (RST) to both ends of each TCP flow of a target once it is unhealthy
   * (target group attribute `send_tcp_reset.on_unhealthy.enabled`), so clients reconnect at once
   * instead of waiting for a timeout. TCP flows only; needs 5-tuple stickiness; has no effect
   * while `targetFailover` is `REBALANCE` (rebalancing takes precedence).
   *
   * @default - not written (AWS default: false)
   */
  readonly tcpResetOnUnhealthy?: boolean;

  /**
   * Send a TCP reset (RST) for each TCP flow of a target once its deregistration delay is over
   * (target group attribute `send_tcp_reset.on_deregistration.enabled`). TCP flows only; needs
   * 5-tuple stickiness; has no effect while `targetFailover` is `REBALANCE`.
   *
   * @default - not written (AWS default: false)
   */
  readonly tcpResetOnDeregistration?: boolean;

  /**
   * Targets to register.
   *
   * @default - none; add them with `addTarget()`
   */
  readonly targets?: IGeneveTarget[];

  /**
   * The name of the target group: 1..32 letters, digits and hyphens, not starting or ending
   * with a hyphen.
   *
   * @default - CloudFormation generates a name
   */
  readonly targetGroupName?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/**
 * A target group for a Gateway Load Balancer: protocol GENEVE, port 6081, with instance or IP targets.
 */
export class GeneveTargetGroup extends Resource implements IGeneveTargetGroup {
  /** Import an existing GENEVE target group by ARN. */
  public static fromGeneveTargetGroupAttributes(
    scope: Construct, id: string, attrs: GeneveTargetGroupAttributes,
  ): IGeneveTargetGroup {
    class Import extends Resource implements IGeneveTargetGroup {
      public readonly targetGroupArn = attrs.targetGroupArn;
    }
    return new Import(scope, id, { environmentFromArn: attrs.targetGroupArn });
  }

  public readonly targetGroupArn: string;
  /** @attribute */
  public readonly targetGroupName: string;
  /** The full name (`targetgroup/<name>/<id>`), as used in CloudWatch metric dimensions. @attribute */
  public readonly targetGroupFullName: string;
  public readonly vpc: ec2.IVpc;
  /** The health check with every default filled in. */
  public readonly healthCheck: GeneveHealthCheck;
  /** The deregistration delay in effect (300 seconds when not set). */
  public readonly deregistrationDelay: Duration;
  public readonly stickiness: FlowStickiness;
  public readonly targetFailover: TargetFailover;
  /** The TCP idle timeout a listener forwarding to this group writes, if any. */
  public readonly tcpIdleTimeout?: Duration;
  /** Whether TCP resets are sent for the flows of unhealthy targets (when set). */
  public readonly tcpResetOnUnhealthy?: boolean;
  /** Whether TCP resets are sent for the flows of deregistered targets (when set). */
  public readonly tcpResetOnDeregistration?: boolean;

  private readonly fixedTargetType?: elbv2.TargetType;
  private readonly targetDescriptions: GeneveTargetDescription[] = [];
  private readonly attachedTargetTypes: elbv2.TargetType[] = [];
  private readonly listeners: IConstruct[] = [];

  constructor(scope: Construct, id: string, props: GeneveTargetGroupProps) {
    super(scope, id, { physicalName: props.targetGroupName });
    validateName(this, props.targetGroupName);
    validateTargetType(this, 'targetType', props.targetType);
    validateDurationSeconds(this, 'deregistrationDelay', props.deregistrationDelay, 0, 3600);
    validateDurationSeconds(this, 'tcpIdleTimeout', props.tcpIdleTimeout, 60, 6000);

    this.vpc = props.vpc;
    this.fixedTargetType = props.targetType;
    this.healthCheck = resolveHealthCheck(this, props.healthCheck ?? {});
    this.deregistrationDelay = props.deregistrationDelay ?? Duration.seconds(300);
    this.stickiness = props.stickiness ?? FlowStickiness.FIVE_TUPLE;
    this.targetFailover = props.targetFailover ?? TargetFailover.NO_REBALANCE;
    this.tcpIdleTimeout = props.tcpIdleTimeout;
    if (props.tcpIdleTimeout !== undefined && this.stickiness !== FlowStickiness.FIVE_TUPLE) {
      fail(this, 'tcpIdleTimeout is only supported with 5-tuple flow stickiness (FlowStickiness.FIVE_TUPLE), '
        + `got stickiness ${this.stickiness}`);
    }
    this.tcpResetOnUnhealthy = props.tcpResetOnUnhealthy;
    this.tcpResetOnDeregistration = props.tcpResetOnDeregistration;
    validateTcpReset(this, this.stickiness, this.targetFailover, props);

    const resource = new elbv2.CfnTargetGroup(this, 'Resource', {
      name: this.physicalName,
      protocol: 'GENEVE',
      port: GENEVE_PORT,
      vpcId: props.vpc.vpcId,
      targetType: Lazy.string({ produce: () => this.targetType }),
      ...renderHealthCheck(this.healthCheck),
      targetGroupAttributes: renderAttributes(props),
      targets: Lazy.any({ produce: () => this.renderTargets() }, { omitEmptyArray: true }),
    });

    this.targetGroupArn = resource.ref;
    this.targetGroupName = resource.attrTargetGroupName;
    this.targetGroupFullName = resource.attrTargetGroupFullName;

    this.node.addValidation({ validate: () => this.validateListeners() });
    this.addTarget(...(props.targets ?? []));
  }

  /** How targets are identified: the `targetType` prop, else the first target's type, else INSTANCE. */
  public get targetType(): elbv2.TargetType {
    return this.fixedTargetType ?? this.attachedTargetTypes[0] ?? elbv2.TargetType.INSTANCE;
  }

  /** True once a `GatewayLoadBalancerListener` forwards to this group. */
  public get hasListener(): boolean {
    return this.listeners.length > 0;
  }

  /** Register targets: instances, IP addresses or Auto Scaling groups (see `GeneveTarget`). */
  public addTarget(...targets: IGeneveTarget[]): void {
    for (const target of targets) {
      const attachment = target.attachToGeneveTargetGroup(this);
      validateTargetType(this, 'target type', attachment.targetType);
      const expected = this.fixedTargetType ?? this.attachedTargetTypes[0];
      if (expected !== undefined && attachment.targetType !== expected) {
        fail(this, `cannot add a target of type '${attachment.targetType}' to a target group of type '${expected}'`);
      }
      this.attachedTargetTypes.push(attachment.targetType);
      if (attachment.target !== undefined) {
        this.targetDescriptions.push(attachment.target);
      }
    }
  }

  /** Record a listener forwarding to this group. Called by `GatewayLoadBalancerListener`; do not call directly. */
  public registerListener(listener: IConstruct): void {
    this.listeners.push(listener);
  }

  private renderTargets(): elbv2.CfnTargetGroup.TargetDescriptionProperty[] {
    return this.targetDescriptions.map((t) => ({ id: t.id, port: t.port, availabilityZone: t.availabilityZone }));
  }

  private validateListeners(): string[] {
    if (this.tcpIdleTimeout !== undefined && !this.hasListener) {
      Annotations.of(this).addWarningV2('cdk-gwlb-inspection:tcpIdleTimeoutWithoutListener',
        'tcpIdleTimeout is a listener attribute and no GatewayLoadBalancerListener in this app forwards to this '
        + 'target group, so it is not written; set tcpIdleTimeout on the listener that uses this group');
    }
    return [];
  }
}

function renderAttributes(props: GeneveTargetGroupProps): elbv2.CfnTargetGroup.TargetGroupAttributeProperty[] | undefined {
  const attrs: elbv2.CfnTargetGroup.TargetGroupAttributeProperty[] = [];
  if (props.deregistrationDelay !== undefined) {
    attrs.push({ key: 'deregistration_delay.timeout_seconds', value: String(props.deregistrationDelay.toSeconds()) });
  }
  if (props.stickiness === FlowStickiness.FIVE_TUPLE) {
    attrs.push({ key: 'stickiness.enabled', value: 'false' });
  } else if (props.stickiness !== undefined) {
    attrs.push({ key: 'stickiness.enabled', value: 'true' });
    attrs.push({ key: 'stickiness.type', value: props.stickiness });
  }
  if (props.targetFailover !== undefined) {
    attrs.push({ key: 'target_failover.on_deregistration', value: props.targetFailover });
    attrs.push({ key: 'target_failover.on_unhealthy', value: props.targetFailover });
  }
  if (props.tcpResetOnUnhealthy !== undefined) {
    attrs.push({ key: 'send_tcp_reset.on_unhealthy.enabled', value: String(props.tcpResetOnUnhealthy) });
  }
  if (props.tcpResetOnDeregistration !== undefined) {
    attrs.push({ key: 'send_tcp_reset.on_deregistration.enabled', value: String(props.tcpResetOnDeregistration) });
  }
  return attrs.length > 0 ? attrs : undefined;
}

/**
 * TCP resets need 5-tuple stickiness (an error otherwise); with target failover `REBALANCE` the
 * flows are moved instead of reset, so an enabled reset does nothing (a warning).
 */
function validateTcpReset(
  scope: Construct, stickiness: FlowStickiness, failover: TargetFailover, props: GeneveTargetGroupProps,
): void {
  const enabled = [['tcpResetOnUnhealthy', props.tcpResetOnUnhealthy], ['tcpResetOnDeregistration', props.tcpResetOnDeregistration]]
    .filter(([, value]) => value === true).map(([name]) => name as string);
  if (enabled.length === 0) {
    return;
  }
  if (stickiness !== FlowStickiness.FIVE_TUPLE) {
    fail(scope, `${enabled.join(' and ')} need 5-tuple flow stickiness (FlowStickiness.FIVE_TUPLE), got stickiness ${stickiness}: `
      + 'AWS sends TCP resets only for 5-tuple flows');
  }
  if (failover === TargetFailover.REBALANCE) {
    Annotations.of(scope).addWarningV2('cdk-gwlb-inspection:tcpResetWithRebalance',
      `${enabled.join(' and ')} ${enabled.length > 1 ? 'have' : 'has'} no effect with targetFailover REBALANCE: rebalancing takes `
      + 'precedence and moves the flows to healthy targets instead of resetting them; use TargetFailover.NO_REBALANCE to reset them');
  }
}

function validateName(scope: Construct, name: string | undefined): void {
  if (isConcrete(name) && !NAME_PATTERN.test(name)) {
    fail(scope, 'targetGroupName must be 1..32 letters, digits or hyphens and must not start or end with a hyphen, '
      + `got '${name}'`);
  }
}

function validateTargetType(scope: Construct, prop: string, type: elbv2.TargetType | undefined): void {
  if (type !== undefined && type !== elbv2.TargetType.INSTANCE && type !== elbv2.TargetType.IP) {
    fail(scope, `${prop} must be TargetType.INSTANCE or TargetType.IP for a GENEVE target group, got '${type}'`);
  }
}
