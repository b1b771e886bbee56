import { Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';

/**
 * How the appliance Auto Scaling group scales: one target-tracking policy on an
 * instance metric, or none.
 *
 * Note for the bundled agent: it runs on one Node.js event loop, so one saturated
 * core shows as `100 / vCPUs` percent of instance CPU (50 % on a 2-vCPU instance).
 * Pick a CPU target below that, or track network traffic instead.
 */
export abstract class ApplianceScaling {
  /** Keep the group's average CPU utilization near `targetUtilizationPercent` (1..100). */
  public static cpu(targetUtilizationPercent: number): ApplianceScaling {
    return new CpuScaling(targetUtilizationPercent);
  }

  /**
   * Keep the average incoming network traffic per instance near `targetBytesPerSecond`.
   * With a Gateway Load Balancer every packet in is also sent back out, so this tracks load
   * in both directions.
   */
  public static networkIn(targetBytesPerSecond: number): ApplianceScaling {
    return new NetworkInScaling(targetBytesPerSecond);
  }

  /** No scaling policy: the group stays between its minimum and maximum capacity as set. */
  public static none(): ApplianceScaling {
    return new NoScaling();
  }

  /** Add the policy (if any) to the group. */
  public abstract applyTo(autoScalingGroup: autoscaling.AutoScalingGroup): autoscaling.TargetTrackingScalingPolicy | undefined;
}

class CpuScaling extends ApplianceScaling {
  constructor(private readonly percent: number) {
    super();
    if (!Token.isUnresolved(percent) && !(percent > 0 && percent <= 100)) {
      throw new Error(`ApplianceScaling.cpu: targetUtilizationPercent must be greater than 0 and at most 100, got ${percent}`);
    }
  }

  public applyTo(autoScalingGroup: autoscaling.AutoScalingGroup): autoscaling.TargetTrackingScalingPolicy {
    return autoScalingGroup.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: this.percent });
  }
}

class NetworkInScaling extends ApplianceScaling {
  constructor(private readonly bytesPerSecond: number) {
    super();
    if (!Token.isUnresolved(bytesPerSecond) && !(bytesPerSecond > 0 && Number.isFinite(bytesPerSecond))) {
      throw new Error(`ApplianceScaling.networkIn: targetBytesPerSecond must be a positive number, got ${bytesPerSecond}`);
    }
  }

  public applyTo(autoScalingGroup: autoscaling.AutoScalingGroup): autoscaling.TargetTrackingScalingPolicy {
    return autoScalingGroup.scaleOnIncomingBytes('NetworkInScaling', { targetBytesPerSecond: this.bytesPerSecond });
  }
}

class NoScaling extends ApplianceScaling {
  public applyTo(): undefined {
    return undefined;
  }
}
