/**
 * IPv4 / IPv6 address and CIDR parsing, matching and formatting.
 *
 * Addresses are numbers so matching never allocates: an IPv4 address is one u32, an IPv6 address is
 * four u32 words (most significant first). Packet parsing stores both in a `Uint32Array(4)`, an IPv4
 * address in word 0. IPv4 and IPv6 never match each other (an IPv4-mapped IPv6 address such as
 * `::ffff:192.0.2.1` is an IPv6 address and matches only IPv6 CIDRs).
 *
 * Parsing is strict: dotted-quad IPv4 without leading zeros, RFC 4291 IPv6 text (one `::`,
 * optional trailing dotted quad, no zone id), a decimal prefix length, and no host bits set
 * (`192.0.2.1/24` is rejected). An address without a prefix is a host route (/32 or /128).
 */

export class CidrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CidrError';
  }
}

/** A parsed CIDR block. `network` and `mask` hold 1 (IPv4) or 4 (IPv6) words. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly prefixLength: number;
  readonly network: Uint32Array;
  readonly mask: Uint32Array;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses dotted-quad IPv4 text to a u32, or returns -1. */
export function parseIPv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return -1;
  let value = 0;
  for (const p of parts) {
    if (!DECIMAL.test(p) || p.length > 3) return -1;
    const octet = Number(p);
    if (octet > 255) return -1;
    value = value * 256 + octet;
  }
  return value;
}

/** Parses IPv6 text into `out` (4 words, most significant first); returns false when invalid. */
export function parseIPv6(text: string, out: Uint32Array = new Uint32Array(4)): boolean {
  const groups = new Array<number>(8).fill(0);
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const parseSide = (side: string, allowV4Tail: boolean): number[] | undefined => {
    if (side === '') return [];
    const items = side.split(':');
    const result: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (allowV4Tail && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4(item);
        if (v4 < 0) return undefined;
        result.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEX_GROUP.test(item)) {
        result.push(parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return result;
  };
  if (halves.length === 1) {
    const all = parseSide(text, true);
    if (!all || all.length !== 8) return false;
    all.forEach((g, i) => (groups[i] = g));
  } else {
    const head = parseSide(halves[0], false);
    const tail = parseSide(halves[1], true);
    // `::` stands for at least one zero group.
    if (!head || !tail || head.length + tail.length > 7) return false;
    head.forEach((g, i) => (groups[i] = g));
    tail.forEach((g, i) => (groups[8 - tail.length + i] = g));
  }
  for (let w = 0; w < 4; w++) out[w] = groups[2 * w] * 0x10000 + groups[2 * w + 1];
  return true;
}

function maskWords(family: 4 | 6, prefixLength: number): Uint32Array {
  const mask = new Uint32Array(family === 4 ? 1 : 4);
  for (let w = 0; w < mask.length; w++) {
    const bits = Math.min(32, Math.max(0, prefixLength - 32 * w));
    mask[w] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  return mask;
}

/** Parses `a.b.c.d/n`, `x:y::z/n` or a bare address; throws {@link CidrError} naming the value. */
export function parseCidr(text: string): Cidr {
  const quoted = JSON.stringify(text);
  if (typeof text !== 'string') throw new CidrError(`${String(quoted)} is not a CIDR string`);
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const family: 4 | 6 = addressText.includes(':') ? 6 : 4;
  const network = new Uint32Array(family === 4 ? 1 : 4);
  if (family === 4) {
    const v4 = parseIPv4(addressText);
    if (v4 < 0) throw new CidrError(`${quoted} is not a valid CIDR: ${JSON.stringify(addressText)} is not an IPv4 address`);
    network[0] = v4;
  } else if (!parseIPv6(addressText, network)) {
    throw new CidrError(`${quoted} is not a valid CIDR: ${JSON.stringify(addressText)} is not an IPv6 address`);
  }
  const maxPrefix = family === 4 ? 32 : 128;
  let prefixLength = maxPrefix;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!DECIMAL.test(p) || Number(p) > maxPrefix) {
      throw new CidrError(`${quoted} is not a valid CIDR: prefix length ${JSON.stringify(p)} is not an integer 0-${maxPrefix}`);
    }
    prefixLength = Number(p);
  }
  const mask = maskWords(family, prefixLength);
  for (let w = 0; w < network.length; w++) {
    if ((network[w] & ~mask[w]) !== 0) {
      const fixed = new Uint32Array(network.length);
      for (let i = 0; i < network.length; i++) fixed[i] = network[i] & mask[i];
      throw new CidrError(`${quoted} is not a valid CIDR: host bits are set (did you mean ${formatCidr({ family, prefixLength, network: fixed, mask })}?)`);
    }
  }
  return { family, prefixLength, network, mask };
}

/** True when IPv4 address `addr` (u32) is inside `cidr` (false for an IPv6 CIDR). */
export function cidrContainsIPv4(cidr: Cidr, addr: number): boolean {
  return cidr.family === 4 && ((addr ^ cidr.network[0]) & cidr.mask[0]) === 0;
}

/** True when the IPv6 address `words[offset .. offset + 4)` is inside `cidr` (false for an IPv4 CIDR). */
export function cidrContainsIPv6(cidr: Cidr, words: ArrayLike<number>, offset = 0): boolean {
  if (cidr.family !== 6) return false;
  const n = cidr.network;
  const m = cidr.mask;
  return ((words[offset] ^ n[0]) & m[0]) === 0 && ((words[offset + 1] ^ n[1]) & m[1]) === 0 &&
    ((words[offset + 2] ^ n[2]) & m[2]) === 0 && ((words[offset + 3] ^ n[3]) & m[3]) === 0;
}

/**
 * A compiled list of CIDRs, matched by linear scan over flat typed arrays (one pass, no allocation).
 * IPv4 entries: pairs (network, mask). IPv6 entries: 8 words (network[4], mask[4]).
 */
export class CidrSet {
  readonly size: number;
  private readonly v4: Int32Array;
  private readonly v6: Int32Array;

  constructor(cidrs: readonly Cidr[]) {
    const v4 = cidrs.filter(c => c.family === 4);
    const v6 = cidrs.filter(c => c.family === 6);
    this.size = cidrs.length;
    this.v4 = new Int32Array(v4.length * 2);
    v4.forEach((c, i) => {
      this.v4[2 * i] = c.network[0];
      this.v4[2 * i + 1] = c.mask[0];
    });
    this.v6 = new Int32Array(v6.length * 8);
    v6.forEach((c, i) => {
      this.v6.set(c.network, 8 * i);
      this.v6.set(c.mask, 8 * i + 4);
    });
  }

  /** True when the set has an entry of this IP version (4 or 6). */
  hasFamily(version: number): boolean {
    return version === 4 ? this.v4.length > 0 : this.v6.length > 0;
  }

  /** Matches an address of IP `version` held in `words` (IPv4: word 0; IPv6: words 0..3). */
  contains(version: number, words: Uint32Array): boolean {
    if (version === 4) {
      const t = this.v4;
      const a = words[0];
      for (let i = 0; i < t.length; i += 2) if (((a ^ t[i]) & t[i + 1]) === 0) return true;
      return false;
    }
    const t = this.v6;
    const a0 = words[0], a1 = words[1], a2 = words[2], a3 = words[3];
    for (let i = 0; i < t.length; i += 8) {
      if (((a0 ^ t[i]) & t[i + 4]) === 0 && ((a1 ^ t[i + 1]) & t[i + 5]) === 0 &&
        ((a2 ^ t[i + 2]) & t[i + 6]) === 0 && ((a3 ^ t[i + 3]) & t[i + 7]) === 0) return true;
    }
    return false;
  }
}

/** Formats a u32 as dotted-quad IPv4. */
export function formatIPv4(addr: number): string {
  return `${(addr >>> 24) & 0xff}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** Formats 4 words as RFC 5952 IPv6 text (lower case, longest run of 2+ zero groups as `::`). */
export function formatIPv6(words: ArrayLike<number>, offset = 0): string {
  const groups: number[] = [];
  for (let w = 0; w < 4; w++) {
    const v = words[offset + w] >>> 0;
    groups.push(v >>> 16, v & 0xffff);
  }
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hexes = groups.map(g => g.toString(16));
  if (bestStart < 0) return hexes.join(':');
  return `${hexes.slice(0, bestStart).join(':')}::${hexes.slice(bestStart + bestLen).join(':')}`;
}

/** Formats an address of IP `version` held as in {@link CidrSet.contains}. */
export function formatAddress(version: number, words: ArrayLike<number>): string {
  return version === 4 ? formatIPv4(words[0] >>> 0) : formatIPv6(words);
}

/** Formats a CIDR as `network/prefix`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.network)}/${cidr.prefixLength}`;
}
