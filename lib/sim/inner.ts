/**
 * Just enough inner-packet parsing for the sim to key flows: IP version, protocol, addresses
 * and, for TCP/UDP/SCTP first fragments, the ports.
 *
 * IPv4: version/IHL (byte 0), flags+fragment offset (6-7), protocol (9), src (12-15), dst (16-19).
 * IPv6: next header (6), src (8-23), dst (24-39); extension headers hop-by-hop (0), routing (43),
 * destination options (60) and fragment (44, ports only in the first fragment) are walked.
 */

import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../agent/packet';

export { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP };

const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;
const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_DEST_OPTIONS = 60;

/** Flow identity of one inner packet; addresses are hex strings (8 or 32 digits). */
export interface InnerTuple {
  readonly version: 4 | 6;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  /** 0 when the protocol has no ports or this is a non-first fragment. */
  readonly srcPort: number;
  readonly dstPort: number;
}

/** Parses `buf[0, length)`. Returns a string describing the problem when it is not a usable IP packet. */
export function parseInner(buf: Buffer, length: number): InnerTuple | string {
  if (length < 1) return 'empty packet';
  const version = buf[0] >> 4;
  if (version === 4) return parseIpv4(buf, length);
  if (version === 6) return parseIpv6(buf, length);
  return `IP version ${version} is not 4 or 6`;
}

function hasPorts(protocol: number): boolean {
  return protocol === IPPROTO_TCP || protocol === IPPROTO_UDP || protocol === IPPROTO_SCTP;
}

function parseIpv4(buf: Buffer, length: number): InnerTuple | string {
  if (length < IPV4_MIN_HEADER) return `IPv4 packet of ${length} bytes is shorter than a header`;
  const ihl = (buf[0] & 0x0f) * 4;
  if (ihl < IPV4_MIN_HEADER || ihl > length) return `IPv4 header length ${ihl} does not fit ${length} bytes`;
  const protocol = buf[9];
  const fragmentOffset = buf.readUInt16BE(6) & 0x1fff;
  const src = buf.toString('hex', 12, 16);
  const dst = buf.toString('hex', 16, 20);
  if (fragmentOffset !== 0 || !hasPorts(protocol) || ihl + 4 > length) {
    return { version: 4, protocol, src, dst, srcPort: 0, dstPort: 0 };
  }
  return { version: 4, protocol, src, dst, srcPort: buf.readUInt16BE(ihl), dstPort: buf.readUInt16BE(ihl + 2) };
}

function parseIpv6(buf: Buffer, length: number): InnerTuple | string {
  if (length < IPV6_HEADER) return `IPv6 packet of ${length} bytes is shorter than a header`;
  const src = buf.toString('hex', 8, 24);
  const dst = buf.toString('hex', 24, 40);
  let next = buf[6];
  let at = IPV6_HEADER;
  let firstFragment = true;
  for (;;) {
    if (next === EXT_HOP_BY_HOP || next === EXT_ROUTING || next === EXT_DEST_OPTIONS) {
      if (at + 2 > length) return `IPv6 extension header ${next} truncated`;
      const n = buf[at];
      at += (buf[at + 1] + 1) * 8;
      next = n;
    } else if (next === EXT_FRAGMENT) {
      if (at + 8 > length) return 'IPv6 fragment header truncated';
      firstFragment = (buf.readUInt16BE(at + 2) & 0xfff8) === 0;
      next = buf[at];
      at += 8;
    } else {
      break;
    }
  }
  if (!firstFragment || !hasPorts(next) || at + 4 > length) {
    return { version: 6, protocol: next, src, dst, srcPort: 0, dstPort: 0 };
  }
  return { version: 6, protocol: next, src, dst, srcPort: buf.readUInt16BE(at), dstPort: buf.readUInt16BE(at + 2) };
}

/** Human-readable form of a hex address from {@link InnerTuple}. */
export function formatAddress(hex: string): string {
  if (hex.length === 8) return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/**
 * True for packets a GWLB endpoint never gets because they are not routed: IPv4 multicast,
 * broadcast or link-local (169.254/16), IPv6 multicast or link-local (fe80::/10). The kernel
 * sends such packets (MLD reports, neighbour discovery) out of the tun device itself.
 */
export function isLinkScoped(t: InnerTuple): boolean {
  if (t.version === 4) {
    const first = parseInt(t.dst.slice(0, 2), 16);
    return first >= 224 || t.dst.startsWith('a9fe') || t.src.startsWith('a9fe');
  }
  return t.dst.startsWith('ff') || /^fe[89ab]/.test(t.dst) || /^fe[89ab]/.test(t.src);
}
