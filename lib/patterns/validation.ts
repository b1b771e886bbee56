import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { GwlbValidationError } from '../gwlb/validation';
import { importHint, knownSubnetIpv4Cidr } from '../gwlb/validation';

/** Throw a synth-time error prefixed with the construct path. */
export function fail(scope: IConstruct, message: string): never {
  throw new GwlbValidationError(scope, message);
}

/** Capacity of an Auto Scaling group as given in props. */
export interface CapacityProps {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly desiredCapacity?: number;
}

/**
 * The capacity defaults of a fleet across `zones` availability zones: one instance per zone
 * (so no zone is left without one), and a maximum of 4 or the minimum when that is larger.
 */
export function defaultCapacity(
  c: { readonly minCapacity?: number; readonly maxCapacity?: number }, zones: number,
): { minCapacity: number; maxCapacity: number } {
  const minCapacity = c.minCapacity ?? Math.max(1, zones);
  const maxCapacity = c.maxCapacity ?? (Token.isUnresolved(minCapacity) ? 4 : Math.max(4, minCapacity));
  return { minCapacity, maxCapacity };
}

/** Check `0 <= minCapacity <= desiredCapacity <= maxCapacity`, all integers (tokens are skipped). */
export function validateCapacity(scope: IConstruct, c: CapacityProps): void {
  const entries: Array<[string, number | undefined]> = [
    ['minCapacity', c.minCapacity], ['maxCapacity', c.maxCapacity], ['desiredCapacity', c.desiredCapacity],
  ];
  for (const [name, value] of entries) {
    if (value !== undefined && !Token.isUnresolved(value) && (!Number.isInteger(value) || value < 0)) {
      fail(scope, `${name} must be a non-negative integer, got ${value}`);
    }
  }
  const concrete = (v: number | undefined): v is number => v !== undefined && !Token.isUnresolved(v);
  if (concrete(c.minCapacity) && concrete(c.maxCapacity) && c.minCapacity > c.maxCapacity) {
    fail(scope, `minCapacity (${c.minCapacity}) must not exceed maxCapacity (${c.maxCapacity})`);
  }
  if (concrete(c.desiredCapacity) && concrete(c.minCapacity) && c.desiredCapacity < c.minCapacity) {
    fail(scope, `desiredCapacity (${c.desiredCapacity}) must be at least minCapacity (${c.minCapacity})`);
  }
  if (concrete(c.desiredCapacity) && concrete(c.maxCapacity) && c.desiredCapacity > c.maxCapacity) {
    fail(scope, `desiredCapacity (${c.desiredCapacity}) must not exceed maxCapacity (${c.maxCapacity})`);
  }
  if (concrete(c.maxCapacity) && c.maxCapacity === 0) {
    fail(scope, 'maxCapacity must be at least 1, got 0');
  }
}

/** The distinct availability zones of the subnets, in order (token AZs compare by token). */
export function distinctAvailabilityZones(subnets: ec2.ISubnet[]): string[] {
  return [...new Set(subnets.map((s) => s.availabilityZone))];
}

/** An availability zone for messages: the name, or a note that it is resolved at deploy time. */
export function showAz(az: string): string {
  return Token.isUnresolved(az) ? '(an availability zone resolved at deploy time)' : az;
}

/** The IPv4 CIDR of a subnet, failing with a message that names the prop when it is unknown. */
export function subnetCidr(scope: IConstruct, prop: string, subnet: ec2.ISubnet): string {
  const cidr = knownSubnetIpv4Cidr(subnet);
  if (cidr === undefined) {
    fail(scope, `${prop}: the IPv4 CIDR block of subnet ${subnet.node.path} is unknown; ${importHint(subnet, 'Ipv4CidrBlocks', 'ipv4CidrBlock')}`);
  }
  return cidr;
}

/**
 * Fail when a new VPC asks for more zones than an environment-agnostic (or region-only) stack
 * can know: CDK then has only the two `Fn::GetAZs` zones (or the fallback list in the context)
 * and `ec2.Vpc` silently builds fewer zones than `maxAzs`.
 */
export function validateMaxAzsKnown(scope: IConstruct, maxAzs: number): void {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(maxAzs) || (!Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region))) {
    return;
  }
  const known = stack.availabilityZones.length;
  if (maxAzs > known) {
    const which = Token.isUnresolved(stack.region) ? 'environment-agnostic' : 'region-only (no account)';
    fail(scope, `maxAzs is ${maxAzs} but stack ${stack.stackName} is ${which}, so CDK knows only ${known} availability zones `
      + `and would silently build ${known}: set env: { account, region } on the stack (CDK then looks up the region's zones), `
      + `or list the zones in the context key 'aws:cdk:availability-zones:fallback', or set maxAzs to at most ${known}`);
  }
}
