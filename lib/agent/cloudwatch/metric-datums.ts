/**
 * CloudWatch metric datums from two telemetry samples: counters become the difference over
 * the interval, gauges the current value. Pure, so the names, dimensions and values are
 * unit-tested without a network.
 *
 * Dimension sets (each a separate CloudWatch metric):
 *   fleet     AutoScalingGroupName
 *   zone      AutoScalingGroupName, AvailabilityZone
 *   instance  AutoScalingGroupName, InstanceId
 * Drops by reason carry a `Reason` dimension (fleet and zone level) and are sent only for
 * reasons that dropped something in the interval (missing data = no drops), which keeps the
 * number of billed custom metrics low.
 */
import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { DropSample } from '../metrics';

/** Cumulative counters and current gauges of one agent, taken once per interval. */
export interface TelemetrySample {
  readonly packetsIn: number;
  readonly bytesIn: number;
  readonly packetsOut: number;
  readonly bytesOut: number;
  /** Customer packets dropped, by reason (the self-probe's excluded). */
  readonly drops: readonly DropSample[];
  readonly activeFlows: number;
  readonly healthy: boolean;
  /** The applied policy's version: the SSM parameter version, or the local generation of a file policy. */
  readonly policyVersion: number;
  /** Policies refused (invalid) since start; the running policy stayed. */
  readonly policyRejected: number;
  /** Self-probe results since start; undefined when the probe is off. */
  readonly selfProbe?: { readonly ok: number; readonly failed: number };
  /** Telemetry lost since start: metric datums and log events dropped from full buffers. */
  readonly telemetryDropped: number;
}

/** Where the agent runs: the dimension values. */
export interface InstanceIdentity {
  readonly fleetName: string;
  readonly availabilityZone: string;
  readonly instanceId: string;
}

/** Metric names, one spelling for the agent, the constructs and the tests. */
export const CW_METRIC = {
  packetsReceived: 'PacketsReceived',
  bytesReceived: 'BytesReceived',
  packetsForwarded: 'PacketsForwarded',
  bytesForwarded: 'BytesForwarded',
  packetsDropped: 'PacketsDropped',
  activeFlows: 'ActiveFlows',
  healthy: 'Healthy',
  policyVersion: 'PolicyVersion',
  policyRejected: 'PolicyRejected',
  selfProbeSucceeded: 'SelfProbeSucceeded',
  selfProbeFailed: 'SelfProbeFailed',
  telemetryDropped: 'TelemetryDropped',
} as const;

export const DIMENSION = {
  fleet: 'AutoScalingGroupName',
  zone: 'AvailabilityZone',
  instance: 'InstanceId',
  reason: 'Reason',
} as const;

type Level = 'fleet' | 'zone' | 'instance';
const ALL: readonly Level[] = ['fleet', 'zone', 'instance'];
const FLEET_ZONE: readonly Level[] = ['fleet', 'zone'];

interface Series {
  readonly name: string;
  readonly unit: StandardUnit;
  readonly levels: readonly Level[];
  readonly value: (cur: TelemetrySample, prev: TelemetrySample) => number | undefined;
}

const delta = (f: (s: TelemetrySample) => number) =>
  (cur: TelemetrySample, prev: TelemetrySample): number => Math.max(0, f(cur) - f(prev));
const totalDrops = (s: TelemetrySample): number => s.drops.reduce((n, d) => n + d.count, 0);

const SERIES: readonly Series[] = [
  { name: CW_METRIC.packetsReceived, unit: 'Count', levels: FLEET_ZONE, value: delta((s) => s.packetsIn) },
  { name: CW_METRIC.bytesReceived, unit: 'Bytes', levels: FLEET_ZONE, value: delta((s) => s.bytesIn) },
  { name: CW_METRIC.packetsForwarded, unit: 'Count', levels: ALL, value: delta((s) => s.packetsOut) },
  { name: CW_METRIC.bytesForwarded, unit: 'Bytes', levels: FLEET_ZONE, value: delta((s) => s.bytesOut) },
  { name: CW_METRIC.packetsDropped, unit: 'Count', levels: ALL, value: delta(totalDrops) },
  { name: CW_METRIC.activeFlows, unit: 'Count', levels: ALL, value: (c) => c.activeFlows },
  { name: CW_METRIC.healthy, unit: 'Count', levels: ALL, value: (c) => (c.healthy ? 1 : 0) },
  { name: CW_METRIC.policyVersion, unit: 'None', levels: ['fleet', 'instance'], value: (c) => c.policyVersion },
  { name: CW_METRIC.policyRejected, unit: 'Count', levels: ['fleet'], value: delta((s) => s.policyRejected) },
  {
    name: CW_METRIC.selfProbeSucceeded, unit: 'Count', levels: FLEET_ZONE,
    value: (c, p) => (c.selfProbe ? Math.max(0, c.selfProbe.ok - (p.selfProbe?.ok ?? 0)) : undefined),
  },
  {
    name: CW_METRIC.selfProbeFailed, unit: 'Count', levels: ALL,
    value: (c, p) => (c.selfProbe ? Math.max(0, c.selfProbe.failed - (p.selfProbe?.failed ?? 0)) : undefined),
  },
  { name: CW_METRIC.telemetryDropped, unit: 'Count', levels: ['fleet'], value: delta((s) => s.telemetryDropped) },
];

function dimensions(level: Level, id: InstanceIdentity): { Name: string; Value: string }[] {
  const dims: { Name: string; Value: string }[] = [{ Name: DIMENSION.fleet, Value: id.fleetName }];
  if (level === 'zone') dims.push({ Name: DIMENSION.zone, Value: id.availabilityZone });
  if (level === 'instance') dims.push({ Name: DIMENSION.instance, Value: id.instanceId });
  return dims;
}

/** The datums of one interval. `storageResolution` 1 for intervals below a minute, else 60. */
export function buildMetricDatums(
  cur: TelemetrySample, prev: TelemetrySample, id: InstanceIdentity, timestamp: Date, storageResolution: number,
): MetricDatum[] {
  const out: MetricDatum[] = [];
  const push = (name: string, unit: StandardUnit, value: number, dims: { Name: string; Value: string }[]): void => {
    out.push({ MetricName: name, Unit: unit, Value: value, Dimensions: dims, Timestamp: timestamp, StorageResolution: storageResolution });
  };
  for (const s of SERIES) {
    const value = s.value(cur, prev);
    if (value === undefined) continue;
    for (const level of s.levels) push(s.name, s.unit, value, dimensions(level, id));
  }
  const before = new Map(prev.drops.map((d) => [d.reason, d.count]));
  for (const d of cur.drops) {
    const n = d.count - (before.get(d.reason) ?? 0);
    if (n <= 0) continue;
    for (const level of FLEET_ZONE) {
      push(CW_METRIC.packetsDropped, 'Count', n, [...dimensions(level, id), { Name: DIMENSION.reason, Value: d.reason }]);
    }
  }
  return out;
}

/** A sample with every counter at zero: the baseline before the first interval. */
export function zeroSample(): TelemetrySample {
  return {
    packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, drops: [], activeFlows: 0, healthy: false,
    policyVersion: 0, policyRejected: 0, telemetryDropped: 0,
  };
}
