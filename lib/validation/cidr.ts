import { hasToken, parseCidrToken } from './tokens';

/** The IP version of a CIDR block or route. */
export enum AddressFamily {
  IPV4 = 'IPv4',
  IPV6 = 'IPv6',
}

/** The default route of each family. */
export const DEFAULT_DESTINATION: Readonly<Record<AddressFamily, string>> = {
  [AddressFamily.IPV4]: '0.0.0.0/0',
  [AddressFamily.IPV6]: '::/0',
};

/** An IPv4 CIDR block as a 32-bit network address and a prefix length. */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
}

/** A CIDR block of either family: the network address as a bigint and the prefix length. */
export interface Cidr {
  readonly family: AddressFamily;
  readonly network: bigint;
  readonly prefix: number;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV6_CIDR = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/;
const BITS: Readonly<Record<AddressFamily, number>> = { [AddressFamily.IPV4]: 32, [AddressFamily.IPV6]: 128 };

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

/** An IPv6 CIDR block (`::` compression and a trailing dotted IPv4 part allowed), normalized. */
export function parseIpv6Cidr(value: string): Cidr | undefined {
  const m = IPV6_CIDR.exec(value.trim());
  const prefix = m ? Number(m[2]) : NaN;
  const address = m ? parseIpv6Address(m[1]) : undefined;
  if (address === undefined || prefix > 128) {
    return undefined;
  }
  return { family: AddressFamily.IPV6, network: address & bigMask(prefix, 128), prefix };
}

/** A block of either family. */
export function parseCidr(value: string): Cidr | undefined {
  const v4 = parseIpv4Cidr(value);
  return v4 ? { family: AddressFamily.IPV4, network: BigInt(v4.network), prefix: v4.prefix } : parseIpv6Cidr(value);
}

function parseIpv6Address(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) {
    return undefined;
  }
  const groups = (part: string): number[] | undefined => {
    if (part === '') {
      return [];
    }
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4Cidr(`${piece}/32`);
        if (!v4) {
          return undefined;
        }
        out.push(v4.network >>> 16, v4.network & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) {
    return undefined;
  }
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) {
    return undefined;
  }
  return [...head, ...Array<number>(missing).fill(0), ...tail].reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function bigMask(prefix: number, bits: number): bigint {
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function format(cidr: Cidr): string {
  const n = cidr.network;
  if (cidr.family === AddressFamily.IPV4) {
    return `${n >> 24n}.${(n >> 16n) & 255n}.${(n >> 8n) & 255n}.${n & 255n}/${cidr.prefix}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (of two or more) of zero groups.
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) {
      j++;
    }
    if (j - i > best.length) {
      best = { at: i, length: j - i };
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  const text = best.at < 0 ? hex.join(':')
    : `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
  return `${text}/${cidr.prefix}`;
}

/** Fn::Cidr: `count` blocks of `hostBits` host bits carved from `block` (IPv4 or IPv6), in order. */
export function cidrSubnets(block: string, count: number, hostBits: number): string[] | undefined {
  const parent = parseCidr(block);
  if (!parent || !Number.isInteger(count) || count < 1 || !Number.isInteger(hostBits)) {
    return undefined;
  }
  const bits = BITS[parent.family];
  const prefix = bits - hostBits;
  if (prefix < parent.prefix || prefix > bits || BigInt(count) > 1n << BigInt(prefix - parent.prefix)) {
    return undefined;
  }
  const size = 1n << BigInt(hostBits);
  return Array.from({ length: count }, (_, i) => format({ family: parent.family, network: parent.network + BigInt(i) * size, prefix }));
}

export enum CidrRelation {
  /** The same block (literally, or the same symbolic value). */
  EQUAL = 'equal',
  /** The first block strictly contains the second. */
  CONTAINS = 'contains',
  /** No address in common, or the first is inside the second, or different families. */
  OTHER = 'other',
  /** At least one side is a deploy-time value that differs textually. */
  UNKNOWN = 'unknown',
}

/** How route destination `outer` relates to block `inner` (both IPv4 or both IPv6). */
export function cidrRelation(outer: string, inner: string): CidrRelation {
  if (outer === inner) {
    return CidrRelation.EQUAL;
  }
  if (hasToken(outer) || hasToken(inner)) {
    return symbolicRelation(outer, inner);
  }
  const a = parseCidr(outer);
  const b = parseCidr(inner);
  if (!a || !b || a.family !== b.family) {
    return CidrRelation.OTHER;
  }
  if (a.prefix === b.prefix && a.network === b.network) {
    return CidrRelation.EQUAL;
  }
  const inside = a.prefix < b.prefix && (b.network & bigMask(a.prefix, BITS[a.family])) === a.network;
  return inside ? CidrRelation.CONTAINS : CidrRelation.OTHER;
}

/**
 * Two blocks carved by Fn::Cidr from the same deploy-time block (e.g. the subnets of an
 * Amazon-provided IPv6 block) compare by their offsets: block i of h host bits spans
 * [i * 2^h, (i + 1) * 2^h). Anything else with a deploy-time value is unknown.
 */
function symbolicRelation(outer: string, inner: string): CidrRelation {
  const a = parseCidrToken(outer);
  const b = parseCidrToken(inner);
  if (!a || !b || a.block !== b.block) {
    return CidrRelation.UNKNOWN;
  }
  const span = (t: { hostBits: number; index: number }) => {
    const size = 1n << BigInt(t.hostBits);
    return { start: BigInt(t.index) * size, end: BigInt(t.index + 1) * size };
  };
  const x = span(a);
  const y = span(b);
  if (x.start === y.start && x.end === y.end) {
    return CidrRelation.EQUAL;
  }
  return x.start <= y.start && y.end <= x.end ? CidrRelation.CONTAINS : CidrRelation.OTHER;
}

/** The prefix length of a literal block, for longest-prefix matching. */
export function cidrPrefix(value: string): number | undefined {
  return parseCidr(value)?.prefix;
}

/** Whether literal IPv4 address `ip` lies in literal block `cidr`. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const block = parseIpv4Cidr(cidr);
  const host = parseIpv4Cidr(`${ip}/32`);
  return !!block && !!host && ((host.network & mask(block.prefix)) >>> 0) === block.network;
}
