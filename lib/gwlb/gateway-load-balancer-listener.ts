import { Duration, IResource, Resource } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { IGatewayLoadBalancer } from './gateway-load-balancer';
import { FlowStickiness, GeneveTargetGroup, IGeneveTargetGroup } from './geneve-target-group';
import { differentVpcs, durationSeconds, fail, validateDurationSeconds } from './validation';

/** A Gateway Load Balancer listener. */
export interface IGatewayLoadBalancerListener extends IResource {
  /**
   * The ARN of the listener.
   * @attribute
   */
  readonly listenerArn: string;
}

/** Options for a listener added with `GatewayLoadBalancer.addListener()`. */
export interface GatewayLoadBalancerListenerProps {
  /** The GENEVE target group every packet is forwarded to. */
  readonly defaultTargetGroup: IGeneveTargetGroup;

  /**
   * The TCP flow idle timeout, 60..6000 seconds (listener attribute `tcp.idle_timeout.seconds`).
   * Only supported with 5-tuple flow stickiness.
   *
   * @default - the target group's `tcpIdleTimeout` if it is a `GeneveTargetGroup` that sets one,
   * else the AWS default (350 seconds)
   */
  readonly tcpIdleTimeout?: Duration;

  /**
   * Send a TCP reset (RST) to the sender when a TCP flow's idle timeout expires, or when a
   * non-SYN TCP packet arrives for a flow the load balancer no longer tracks (listener attribute
   * `send_tcp_reset.on_idle_timeout.enabled`). TCP flows only; needs 5-tuple stickiness.
   *
   * @default - not written (AWS default: false)
   */
  readonly tcpResetOnIdleTimeout?: boolean;
}

/** Properties of a {@link GatewayLoadBalancerListener} created directly. */
export interface GatewayLoadBalancerListenerConstructProps extends GatewayLoadBalancerListenerProps {
  /** The load balancer the listener belongs to. */
  readonly loadBalancer: IGatewayLoadBalancer;
}

/**
 * A Gateway Load Balancer listener (`AWS::ElasticLoadBalancingV2::Listener` without port or
 * protocol): it receives every IP packet and forwards it to a GENEVE target group.
 */
export class GatewayLoadBalancerListener extends Resource implements IGatewayLoadBalancerListener {
  /** Import an existing listener by ARN. */
  public static fromListenerArn(scope: Construct, id: string, listenerArn: string): IGatewayLoadBalancerListener {
    class Import extends Resource implements IGatewayLoadBalancerListener {
      public readonly listenerArn = listenerArn;
    }
    return new Import(scope, id, { environmentFromArn: listenerArn });
  }

  public readonly listenerArn: string;
  public readonly loadBalancer: IGatewayLoadBalancer;
  public readonly defaultTargetGroup: IGeneveTargetGroup;
  /** The TCP idle timeout written to the listener, if any. */
  public readonly tcpIdleTimeout?: Duration;
  /** Whether a TCP reset is sent on idle timeout (when set). */
  public readonly tcpResetOnIdleTimeout?: boolean;

  constructor(scope: Construct, id: string, props: GatewayLoadBalancerListenerConstructProps) {
    super(scope, id);
    this.loadBalancer = props.loadBalancer;
    this.defaultTargetGroup = props.defaultTargetGroup;
    this.tcpIdleTimeout = this.resolveIdleTimeout(props);
    this.tcpResetOnIdleTimeout = props.tcpResetOnIdleTimeout;
    validateSameVpc(this, props);
    const group = props.defaultTargetGroup instanceof GeneveTargetGroup ? props.defaultTargetGroup : undefined;
    if (props.tcpResetOnIdleTimeout === true && group !== undefined && group.stickiness !== FlowStickiness.FIVE_TUPLE) {
      fail(this, 'tcpResetOnIdleTimeout needs 5-tuple flow stickiness (FlowStickiness.FIVE_TUPLE), but the target group '
        + `uses stickiness ${group.stickiness}: AWS sends TCP resets only for 5-tuple flows`);
    }

    const attributes: elbv2.CfnListener.ListenerAttributeProperty[] = [];
    if (this.tcpIdleTimeout !== undefined) {
      attributes.push({ key: 'tcp.idle_timeout.seconds', value: String(this.tcpIdleTimeout.toSeconds()) });
    }
    if (props.tcpResetOnIdleTimeout !== undefined) {
      attributes.push({ key: 'send_tcp_reset.on_idle_timeout.enabled', value: String(props.tcpResetOnIdleTimeout) });
    }
    const resource = new elbv2.CfnListener(this, 'Resource', {
      loadBalancerArn: props.loadBalancer.loadBalancerArn,
      defaultActions: [{ type: 'forward', targetGroupArn: props.defaultTargetGroup.targetGroupArn }],
      listenerAttributes: attributes.length > 0 ? attributes : undefined,
    });
    this.listenerArn = resource.ref;

    if (props.defaultTargetGroup instanceof GeneveTargetGroup) {
      props.defaultTargetGroup.registerListener(this);
    }
  }

  private resolveIdleTimeout(props: GatewayLoadBalancerListenerProps): Duration | undefined {
    validateDurationSeconds(this, 'tcpIdleTimeout', props.tcpIdleTimeout, 60, 6000);
    const group = props.defaultTargetGroup instanceof GeneveTargetGroup ? props.defaultTargetGroup : undefined;
    const fromGroup = group?.tcpIdleTimeout;
    if (props.tcpIdleTimeout !== undefined && fromGroup !== undefined
      && !props.tcpIdleTimeout.isUnresolved() && !fromGroup.isUnresolved()
      && durationSeconds(this, 'tcpIdleTimeout', props.tcpIdleTimeout) !== durationSeconds(this, 'tcpIdleTimeout', fromGroup)) {
      fail(this, `tcpIdleTimeout (${props.tcpIdleTimeout.toSeconds()} s) differs from the target group's `
        + `tcpIdleTimeout (${fromGroup.toSeconds()} s): set it in one place`);
    }
    if (props.tcpIdleTimeout !== undefined && group !== undefined && group.stickiness !== FlowStickiness.FIVE_TUPLE) {
      fail(this, 'tcpIdleTimeout is only supported with 5-tuple flow stickiness, but the target group uses '
        + `stickiness ${group.stickiness}`);
    }
    return props.tcpIdleTimeout ?? fromGroup;
  }
}

function validateSameVpc(scope: Construct, props: GatewayLoadBalancerListenerConstructProps): void {
  const lb = props.loadBalancer;
  const tg = props.defaultTargetGroup;
  if (lb.vpc !== undefined && tg instanceof GeneveTargetGroup && differentVpcs(lb.vpc, tg.vpc)) {
    fail(scope, `defaultTargetGroup ${tg.node.path} is in VPC ${tg.vpc.node.path} but the load balancer is in `
      + `${lb.vpc.node.path}: a listener forwards only to a target group in the load balancer's VPC`);
  }
}
