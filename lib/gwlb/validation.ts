import { Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';
import type { IGatewayLoadBalancerEndpointService } from './gateway-load-balancer-endpoint-service';

/**
 * Error thrown at synth time when a construct prop is invalid.
 *
 * The message starts with the construct path so the user can find the offending construct.
 */
export class GwlbValidationError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'GwlbValidationError';
  }
}

/** Throw a {@link GwlbValidationError} with the given message. */
export function fail(scope: IConstruct, message: string): never {
  throw new GwlbValidationError(scope, message);
}

/**
 * Check that `value` is an integer in `[min, max]`. Skips undefined values and unresolved tokens.
 */
export function validateIntegerRange(
  scope: IConstruct, prop: string, value: number | undefined, min: number, max: number,
): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(scope, `${prop} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

/**
 * Check that a duration is a whole number of seconds in `[minSeconds, maxSeconds]`.
 * Skips undefined values and unresolved tokens.
 */
export function validateDurationSeconds(
  scope: IConstruct, prop: string, value: Duration | undefined, minSeconds: number, maxSeconds: number,
): void {
  if (value === undefined || value.isUnresolved()) {
    return;
  }
  const seconds = durationSeconds(scope, prop, value);
  if (seconds < minSeconds || seconds > maxSeconds) {
    fail(scope, `${prop} must be between ${minSeconds} and ${maxSeconds} seconds, got ${seconds} seconds`);
  }
}

/** A resolved duration as whole seconds; fails when it is not a whole number of seconds. */
export function durationSeconds(scope: IConstruct, prop: string, value: Duration): number {
  const ms = value.toMilliseconds();
  if (ms % 1000 !== 0) {
    fail(scope, `${prop} must be a whole number of seconds, got ${value.toHumanString()}`);
  }
  return ms / 1000;
}

/** True when `value` is a concrete (non-token) string. */
export function isConcrete(value: string | undefined): value is string {
  return value !== undefined && !Token.isUnresolved(value);
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parse a dotted IPv4 address; undefined when malformed. */
export function parseIpv4(value: string): number[] | undefined {
  const m = IPV4.exec(value);
  if (!m) {
    return undefined;
  }
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** Fail unless `value` is an IPv4 CIDR block such as `10.0.0.0/16`. Tokens are skipped. */
export function validateIpv4Cidr(scope: IConstruct, prop: string, value: string): void {
  if (Token.isUnresolved(value)) {
    return;
  }
  const m = IPV4_CIDR.exec(value);
  const ok = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  if (!ok) {
    fail(scope, `${prop} must be an IPv4 CIDR block such as 10.0.0.0/16, got '${value}'`);
  }
}

/**
 * The availability zone of a subnet, or undefined when it is not known at synth time
 * (an imported subnet created without `availabilityZone` throws on access).
 */
export function subnetAvailabilityZone(subnet: ec2.ISubnet): string | undefined {
  let az: string | undefined;
  try {
    az = subnet.availabilityZone;
  } catch {
    // Imported subnet without an availability zone: nothing to check against.
    az = undefined;
  }
  return az;
}

/**
 * Whether two availability zones are the same: true or false when synth time can tell, undefined
 * when it cannot. Concrete names compare literally; the zone tokens of environment-agnostic
 * stacks (`Fn::Select [i, Fn::GetAZs region]`) compare by structure, as the path validator does:
 * the same index of the same region is the same zone, another index another zone.
 */
export function sameAvailabilityZone(scope: IConstruct, a: string | undefined, b: string | undefined): boolean | undefined {
  if (a === undefined || b === undefined) {
    return undefined;
  }
  if (a === b) {
    return true;
  }
  if (isConcrete(a) && isConcrete(b)) {
    return false;
  }
  const x = azToken(scope, a);
  const y = azToken(scope, b);
  if (x === undefined || y === undefined || x.region !== y.region) {
    return undefined;
  }
  return x.index === y.index;
}

/** The index and region of an `Fn::Select [i, Fn::GetAZs region]` zone token, if it is one. */
function azToken(scope: IConstruct, az: string): { index: number; region: string } | undefined {
  if (!Token.isUnresolved(az)) {
    return undefined;
  }
  const resolved = Stack.of(scope).resolve(az) as { 'Fn::Select'?: [unknown, { 'Fn::GetAZs'?: unknown }] };
  const select = resolved?.['Fn::Select'];
  if (!Array.isArray(select) || typeof select[0] !== 'number' || select[1]?.['Fn::GetAZs'] === undefined) {
    return undefined;
  }
  const region = select[1]['Fn::GetAZs'];
  const current = region === '' || JSON.stringify(region) === JSON.stringify({ Ref: 'AWS::Region' });
  return { index: select[0], region: current ? 'AWS::Region' : JSON.stringify(region) };
}

/**
 * True when two availability zones are known to differ: two different concrete names, or two
 * environment-agnostic zone tokens with different indexes (see {@link sameAvailabilityZone}).
 */
export function azMismatch(scope: IConstruct, a: string | undefined, b: string | undefined): boolean {
  return sameAvailabilityZone(scope, a, b) === false;
}

/** An availability zone for messages: its name, or which zone of the region a token selects. */
export function describeAvailabilityZone(scope: IConstruct, az: string | undefined): string {
  if (az === undefined) {
    return '(an unknown availability zone)';
  }
  if (isConcrete(az)) {
    return az;
  }
  const token = azToken(scope, az);
  return token === undefined
    ? '(an availability zone resolved at deploy time)'
    : `availability zone #${token.index + 1} of the region (Fn::Select ${token.index} of Fn::GetAZs)`;
}

/**
 * The IPv4 CIDR block of a subnet, or undefined when it is unknown (an imported subnet without
 * `ipv4CidrBlock` throws on access instead of returning undefined).
 */
export function knownSubnetIpv4Cidr(subnet: ec2.ISubnet): string | undefined {
  try {
    return subnet.ipv4CidrBlock;
  } catch {
    return undefined;
  }
}

/**
 * The IPv4 CIDR block of a subnet; fails with a message naming the subnet when it is unknown
 * (imported subnets need `ipv4CidrBlock` in `Subnet.fromSubnetAttributes`).
 */
export function subnetIpv4Cidr(scope: IConstruct, subnet: ec2.ISubnet): string {
  const cidr = knownSubnetIpv4Cidr(subnet);
  if (cidr === undefined) {
    fail(scope, `the IPv4 CIDR block of subnet ${subnet.node.path} is unknown: ${importHint(subnet, 'Ipv4CidrBlocks', 'ipv4CidrBlock')}`);
  }
  return cidr;
}

/**
 * How to give an imported subnet the attribute it lacks: a subnet of a VPC imported with
 * `Vpc.fromVpcAttributes` gets it from the VPC's `<type>Subnet<listSuffix>` list (the subnets
 * are built from those lists), a subnet imported on its own from `Subnet.fromSubnetAttributes`.
 */
export function importHint(subnet: ec2.ISubnet, listSuffix: string, attribute: string): string {
  const vpc = parentVpc(subnet);
  const group = vpc === undefined ? undefined
    : vpc.publicSubnets.includes(subnet) ? 'public'
      : vpc.privateSubnets.includes(subnet) ? 'private'
        : vpc.isolatedSubnets.includes(subnet) ? 'isolated' : undefined;
  if (vpc !== undefined && group !== undefined && !(vpc instanceof ec2.Vpc)) {
    return `give Vpc.fromVpcAttributes (${vpc.node.path}) the ${group}Subnet${listSuffix} list, `
      + `or use Vpc.fromLookup(), which reads them from the account`;
  }
  return `import the subnet with Subnet.fromSubnetAttributes({ subnetId, availabilityZone, routeTableId, ${attribute} })`;
}

/**
 * True when two VPCs are known at synth time to be different: two distinct VPCs created in this
 * app, or two different concrete VPC ids.
 */
export function differentVpcs(a: ec2.IVpc, b: ec2.IVpc): boolean {
  if (a === b) {
    return false;
  }
  if (a instanceof ec2.Vpc && b instanceof ec2.Vpc) {
    return true;
  }
  return isConcrete(a.vpcId) && isConcrete(b.vpcId) && a.vpcId !== b.vpcId;
}

/** The VPC construct a subnet was created or imported under, if it is one. */
export function parentVpc(subnet: ec2.ISubnet): ec2.IVpc | undefined {
  const scope = subnet.node.scope as Partial<ec2.IVpc> | undefined;
  return scope !== undefined && typeof scope.selectSubnets === 'function' && scope.vpcId !== undefined
    ? scope as ec2.IVpc
    : undefined;
}

/** Fail when the subnet belongs to another VPC than `vpc` (as far as synth time can tell). */
export function validateSubnetInVpc(scope: IConstruct, prop: string, subnet: ec2.ISubnet, vpc: ec2.IVpc): void {
  const owner = parentVpc(subnet);
  if (owner !== undefined && differentVpcs(owner, vpc)) {
    fail(scope, `${prop} ${subnet.node.path} belongs to VPC ${owner.node.path}, not to ${vpc.node.path}`);
  }
}

const IPV6_CIDR = /^([0-9a-fA-F:]+)\/(\d{1,3})$/;

/** True when `value` is an IPv6 address in text form (full, compressed with `::`, no zone). */
function isIpv6Address(value: string): boolean {
  const halves = value.split('::');
  if (halves.length > 2) {
    return false;
  }
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (groups.some((g) => g.some((x) => !/^[0-9a-fA-F]{1,4}$/.test(x)))) {
    return false;
  }
  const count = groups.reduce((n, g) => n + g.length, 0);
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** Fail unless `value` is an IPv6 CIDR block such as `::/0` or `2001:db8::/56`. Tokens are skipped. */
export function validateIpv6Cidr(scope: IConstruct, prop: string, value: string): void {
  if (Token.isUnresolved(value)) {
    return;
  }
  const m = IPV6_CIDR.exec(value);
  if (m === null || !isIpv6Address(m[1]) || Number(m[2]) > 128) {
    fail(scope, `${prop} must be an IPv6 CIDR block such as ::/0 or 2001:db8::/56, got '${value}'`);
  }
}

/**
 * Whether a subnet has IPv6: true or false for subnets defined in this app (an `ec2.Subnet`),
 * undefined when synth time cannot tell (imported subnets).
 */
export function subnetHasIpv6(subnet: ec2.ISubnet): boolean | undefined {
  if (!(subnet instanceof ec2.Subnet)) {
    return undefined;
  }
  const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
  return cfn.ipv6CidrBlock !== undefined || cfn.ipv6IpamPoolId !== undefined || cfn.ipv6Native === true;
}

/**
 * The IPv6 CIDR block of a subnet: `ipv6CidrBlock` when given, else the first IPv6 CIDR block of
 * a subnet defined in this app (`Fn::GetAtt <subnet>.Ipv6CidrBlocks`, which also orders the
 * route after the subnet). Fails naming the subnet when it has none or it cannot be known.
 */
export function subnetIpv6Cidr(scope: IConstruct, subnet: ec2.ISubnet, ipv6CidrBlock?: string): string {
  if (ipv6CidrBlock !== undefined) {
    validateIpv6Cidr(scope, 'ipv6CidrBlock', ipv6CidrBlock);
    return ipv6CidrBlock;
  }
  const hasIpv6 = subnetHasIpv6(subnet);
  if (hasIpv6 === undefined) {
    fail(scope, `the IPv6 CIDR block of subnet ${subnet.node.path} is unknown (an imported subnet): pass ipv6CidrBlock`);
  }
  if (!hasIpv6) {
    fail(scope, `subnet ${subnet.node.path} has no IPv6 CIDR block: create its VPC with ipProtocol DUAL_STACK `
      + 'or give the subnet an IPv6 CIDR block');
  }
  return Fn.select(0, (subnet as ec2.Subnet).subnetIpv6CidrBlocks);
}

/** A service for messages: its construct path, and its name when known at synth time. */
export function describeService(service: IGatewayLoadBalancerEndpointService): string {
  const name = isConcrete(service.serviceName) ? service.serviceName : undefined;
  if (!Construct.isConstruct(service)) {
    return name ?? '(a service whose name is resolved at deploy time)';
  }
  return name === undefined ? service.node.path : `${service.node.path} (${name})`;
}
