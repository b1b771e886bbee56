import { hasToken } from './tokens';

/** An IPv4 CIDR block as a 32-bit network address and a prefix length. */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function parseIpv4Cidr(value: string): Ipv4Cidr | undefined {
  const m = IPV4_CIDR.exec(value.trim());
  if (!m) {
    return undefined;
  }
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) {
    return undefined;
  }
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  return { network: (address & mask(prefix)) >>> 0, prefix };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function format(cidr: Ipv4Cidr): string {
  const n = cidr.network;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${cidr.prefix}`;
}

/** Fn::Cidr: `count` blocks of `hostBits` host bits carved from `block`, in order. */
export function cidrSubnets(block: string, count: number, hostBits: number): string[] | undefined {
  const parent = parseIpv4Cidr(block);
  const prefix = 32 - hostBits;
  if (!parent || !Number.isInteger(count) || count < 1 || !Number.isInteger(hostBits) || prefix < parent.prefix || prefix > 32) {
    return undefined;
  }
  if (count > 2 ** (prefix - parent.prefix)) {
    return undefined;
  }
  const size = 2 ** hostBits;
  return Array.from({ length: count }, (_, i) => format({ network: parent.network + i * size, prefix }));
}

export enum CidrRelation {
  /** The same block (literally, or the same symbolic value). */
  EQUAL = 'equal',
  /** The first block strictly contains the second. */
  CONTAINS = 'contains',
  /** No address in common, or the first is inside the second. */
  OTHER = 'other',
  /** At least one side is a deploy-time value that differs textually. */
  UNKNOWN = 'unknown',
}

/** How route destination `outer` relates to block `inner`. */
export function cidrRelation(outer: string, inner: string): CidrRelation {
  if (outer === inner) {
    return CidrRelation.EQUAL;
  }
  if (hasToken(outer) || hasToken(inner)) {
    return CidrRelation.UNKNOWN;
  }
  const a = parseIpv4Cidr(outer);
  const b = parseIpv4Cidr(inner);
  if (!a || !b) {
    return CidrRelation.OTHER;
  }
  if (a.prefix === b.prefix && a.network === b.network) {
    return CidrRelation.EQUAL;
  }
  const inside = a.prefix < b.prefix && ((b.network & mask(a.prefix)) >>> 0) === a.network;
  return inside ? CidrRelation.CONTAINS : CidrRelation.OTHER;
}

/** Whether literal IPv4 address `ip` lies in literal block `cidr`. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const block = parseIpv4Cidr(cidr);
  const host = parseIpv4Cidr(`${ip}/32`);
  return !!block && !!host && ((host.network & mask(block.prefix)) >>> 0) === block.network;
}
