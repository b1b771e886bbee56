import { Token } from 'aws-cdk-lib';

/**
 * Whether internet egress of the inspected instances may leave without crossing a Gateway Load
 * Balancer endpoint of their own availability zone.
 *
 * By default ({@link UninspectedEgress.deny}) every such route found at synth time is an error.
 * {@link UninspectedEgress.allow} accepts them, and then names each path that stays uninspected
 * in a warning (`cdk-gwlb-inspection:uninspectedEgressAllowed`).
 */
export class UninspectedEgress {
  /** Fail synthesis on any route that lets internet egress skip inspection (the default). */
  public static deny(): UninspectedEgress {
    return new UninspectedEgress(false, undefined);
  }

  /**
   * Accept routes that let internet egress skip inspection, for the reason given (at least 10
   * characters: it is shown in the warning that names each uninspected path).
   */
  public static allow(reason: string): UninspectedEgress {
    if (!Token.isUnresolved(reason) && reason.trim().length < 10) {
      throw new Error(`UninspectedEgress.allow: reason must say why egress may skip inspection (at least 10 characters), got '${reason}'`);
    }
    return new UninspectedEgress(true, reason);
  }

  /** Whether uninspected egress is accepted. */
  public readonly allowed: boolean;
  /**
   * Why uninspected egress is accepted.
   * @default - none (egress is denied)
   */
  public readonly reason?: string;

  private constructor(allowed: boolean, reason: string | undefined) {
    this.allowed = allowed;
    this.reason = reason;
  }
}
