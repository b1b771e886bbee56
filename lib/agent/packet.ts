/**
 * Inner packet parser: IPv4 / IPv6 (extension headers, fragments) and TCP / UDP / SCTP / ICMP /
 * ICMPv6. Writes into a reusable {@link ParsedPacket}; never throws, never allocates; any
 * inconsistency (bad version, short header, lengths that do not fit) returns INNER_MALFORMED.
 *
 * Lengths: the IP header's own length (IPv4 Total Length, IPv6 Payload Length) bounds the packet;
 * bytes after it in the GENEVE payload are ignored (as a kernel trims link padding).
 *
 * Fragments: only the first fragment (offset 0) carries the L4 header. For a non-first fragment
 * `hasL4Header` is false, ports are 0 and policy can match only on addresses and protocol; its
 * "payload" is the fragment data (a piece of the L4 payload). A first fragment must hold the whole
 * L4 header (RFC 1858 / RFC 7112 tiny-fragment defence), and an IPv4 TCP fragment at offset 8
 * bytes is rejected (RFC 1858 overlapping-fragment attack): both are INNER_MALFORMED.
 *
 * IPv6 extension headers walked: hop-by-hop (0, only first), routing (43), fragment (44),
 * destination options (60), AH (51), mobility (135), HIP (139), shim6 (140). ESP (50) and
 * No Next Header (59) stop the walk: `protocol` is 50/59, no L4 header. The L4 protocol of an
 * IPv6 packet is the last Next Header value.
 */
import { u16, u32 } from './bytes';
import { DropReason, DropReasonCode } from './drop-reasons';

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_MOBILITY = 135;
export const IPPROTO_HIP = 139;
export const IPPROTO_SHIM6 = 140;
export const IPPROTO_SCTP = 132;

const IPV4_MIN_HEADER = 20;
const IPV4_OFF_TOTAL_LENGTH = 2;
const IPV4_OFF_FRAGMENT = 6;
const IPV4_OFF_PROTOCOL = 9;
const IPV4_OFF_SRC = 12;
const IPV4_OFF_DST = 16;
const IPV4_MF = 0x2000;
const IPV4_FRAG_OFFSET_MASK = 0x1fff;

const IPV6_HEADER = 40;
const IPV6_OFF_PAYLOAD_LENGTH = 4;
const IPV6_OFF_NEXT_HEADER = 6;
const IPV6_OFF_SRC = 8;
const IPV6_OFF_DST = 24;
const IPV6_FRAG_HEADER = 8;
const IPV6_FRAG_OFFSET_MASK = 0xfff8;
const IPV6_FRAG_M = 0x0001;
/** Bound on extension headers walked (each is at least 8 bytes anyway). */
const IPV6_MAX_EXTENSION_HEADERS = 32;

const TCP_MIN_HEADER = 20;
const TCP_OFF_DATA_OFFSET = 12;
const UDP_HEADER = 8;
const UDP_OFF_LENGTH = 4;
const SCTP_HEADER = 12;
/** ICMP and ICMPv6: type, code, checksum and the 4-byte rest-of-header every defined message has. */
const ICMP_HEADER = 8;

/** Reusable parse result. Fields are valid only after parseIpPacket returned DropReason.NONE. */
export class ParsedPacket {
  /** 4 or 6. */
  ipVersion = 0;
  /** Upper-layer protocol (IPv6: the last Next Header). */
  protocol = 0;
  /** Addresses: IPv4 in word 0 (others 0); IPv6 words 0..3, most significant first. */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** TCP/UDP/SCTP ports; 0 when there are none. */
  srcPort = 0;
  dstPort = 0;
  /** ICMP/ICMPv6 type and code; -1 when not ICMP or a non-first fragment. */
  icmpType = -1;
  icmpCode = -1;
  /** True for any fragment (IPv4 MF or offset, IPv6 fragment header other than atomic). */
  isFragment = false;
  /** False for non-first fragments and ESP / No Next Header / unknown protocols. */
  hasL4Header = false;
  /** Absolute offset and length of the IP packet (bounded by its own length field). */
  ipOffset = 0;
  ipLength = 0;
  /** Absolute offset of the L4 header (or the fragment data / upper-layer data). */
  l4Offset = 0;
  /** Absolute offset and length of the L4 payload (after the TCP/UDP/SCTP/ICMP header). */
  payloadOffset = 0;
  payloadLength = 0;
}

function reset(out: ParsedPacket, offset: number): void {
  out.ipVersion = 0;
  out.protocol = 0;
  const src = out.src;
  const dst = out.dst;
  src[0] = src[1] = src[2] = src[3] = 0;
  dst[0] = dst[1] = dst[2] = dst[3] = 0;
  out.srcPort = 0;
  out.dstPort = 0;
  out.icmpType = -1;
  out.icmpCode = -1;
  out.isFragment = false;
  out.hasL4Header = false;
  out.ipOffset = offset;
  out.ipLength = 0;
  out.l4Offset = offset;
  out.payloadOffset = offset;
  out.payloadLength = 0;
}

/** Sets the upper-layer data as opaque payload (no L4 header parsed). */
function opaque(out: ParsedPacket, at: number, end: number): DropReasonCode {
  out.hasL4Header = false;
  out.l4Offset = at;
  out.payloadOffset = at;
  out.payloadLength = end - at;
  return DropReason.NONE;
}

/** Parses the L4 header at `at` (bounded by `end`) for `out.protocol`. */
function parseL4(buf: Buffer, at: number, end: number, out: ParsedPacket): DropReasonCode {
  const avail = end - at;
  out.l4Offset = at;
  let headerLength: number;
  switch (out.protocol) {
    case IPPROTO_TCP: {
      if (avail < TCP_MIN_HEADER) return DropReason.INNER_MALFORMED;
      headerLength = (buf[at + TCP_OFF_DATA_OFFSET] >>> 4) * 4;
      if (headerLength < TCP_MIN_HEADER || headerLength > avail) return DropReason.INNER_MALFORMED;
      out.srcPort = u16(buf, at);
      out.dstPort = u16(buf, at + 2);
      break;
    }
    case IPPROTO_UDP: {
      if (avail < UDP_HEADER) return DropReason.INNER_MALFORMED;
      let udpLength = u16(buf, at + UDP_OFF_LENGTH);
      if (udpLength < UDP_HEADER) return DropReason.INNER_MALFORMED;
      // A first fragment carries only part of the datagram the UDP length describes.
      if (out.isFragment) udpLength = avail;
      else if (udpLength > avail) return DropReason.INNER_MALFORMED;
      out.srcPort = u16(buf, at);
      out.dstPort = u16(buf, at + 2);
      out.hasL4Header = true;
      out.payloadOffset = at + UDP_HEADER;
      out.payloadLength = udpLength - UDP_HEADER;
      return DropReason.NONE;
    }
    case IPPROTO_SCTP: {
      if (avail < SCTP_HEADER) return DropReason.INNER_MALFORMED;
      headerLength = SCTP_HEADER;
      out.srcPort = u16(buf, at);
      out.dstPort = u16(buf, at + 2);
      break;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      if ((out.protocol === IPPROTO_ICMP) !== (out.ipVersion === 4)) return opaque(out, at, end);
      if (avail < ICMP_HEADER) return DropReason.INNER_MALFORMED;
      headerLength = ICMP_HEADER;
      out.icmpType = buf[at];
      out.icmpCode = buf[at + 1];
      break;
    }
    default:
      return opaque(out, at, end);
  }
  out.hasL4Header = true;
  out.payloadOffset = at + headerLength;
  out.payloadLength = avail - headerLength;
  return DropReason.NONE;
}

function parseIPv4(buf: Buffer, offset: number, end: number, out: ParsedPacket): DropReasonCode {
  if (end - offset < IPV4_MIN_HEADER) return DropReason.INNER_MALFORMED;
  const headerLength = (buf[offset] & 0x0f) * 4;
  const totalLength = u16(buf, offset + IPV4_OFF_TOTAL_LENGTH);
  if (headerLength < IPV4_MIN_HEADER || totalLength < headerLength || totalLength > end - offset) {
    return DropReason.INNER_MALFORMED;
  }
  out.ipVersion = 4;
  out.ipLength = totalLength;
  out.protocol = buf[offset + IPV4_OFF_PROTOCOL];
  out.src[0] = u32(buf, offset + IPV4_OFF_SRC);
  out.dst[0] = u32(buf, offset + IPV4_OFF_DST);
  const fragment = u16(buf, offset + IPV4_OFF_FRAGMENT);
  const fragmentOffset = fragment & IPV4_FRAG_OFFSET_MASK;
  out.isFragment = fragmentOffset !== 0 || (fragment & IPV4_MF) !== 0;
  const l4 = offset + headerLength;
  const ipEnd = offset + totalLength;
  if (fragmentOffset !== 0) {
    if (fragmentOffset === 1 && out.protocol === IPPROTO_TCP) return DropReason.INNER_MALFORMED;
    return opaque(out, l4, ipEnd);
  }
  return parseL4(buf, l4, ipEnd, out);
}

function parseIPv6(buf: Buffer, offset: number, end: number, out: ParsedPacket): DropReasonCode {
  if (end - offset < IPV6_HEADER) return DropReason.INNER_MALFORMED;
  const ipEnd = offset + IPV6_HEADER + u16(buf, offset + IPV6_OFF_PAYLOAD_LENGTH);
  if (ipEnd > end) return DropReason.INNER_MALFORMED;
  out.ipVersion = 6;
  out.ipLength = ipEnd - offset;
  for (let w = 0; w < 4; w++) {
    out.src[w] = u32(buf, offset + IPV6_OFF_SRC + 4 * w);
    out.dst[w] = u32(buf, offset + IPV6_OFF_DST + 4 * w);
  }
  let next = buf[offset + IPV6_OFF_NEXT_HEADER];
  let at = offset + IPV6_HEADER;
  for (let count = 0; ; count++) {
    if (count > IPV6_MAX_EXTENSION_HEADERS) return DropReason.INNER_MALFORMED;
    let length: number;
    switch (next) {
      case IPPROTO_HOPOPTS:
      case IPPROTO_ROUTING:
      case IPPROTO_DSTOPTS:
      case IPPROTO_MOBILITY:
      case IPPROTO_HIP:
      case IPPROTO_SHIM6:
        // RFC 8200 4.1: hop-by-hop options only right after the IPv6 header.
        if (next === IPPROTO_HOPOPTS && count !== 0) return DropReason.INNER_MALFORMED;
        if (ipEnd - at < 8) return DropReason.INNER_MALFORMED;
        length = (buf[at + 1] + 1) * 8;
        break;
      case IPPROTO_AH:
        if (ipEnd - at < 8) return DropReason.INNER_MALFORMED;
        length = (buf[at + 1] + 2) * 4;
        break;
      case IPPROTO_FRAGMENT: {
        if (ipEnd - at < IPV6_FRAG_HEADER) return DropReason.INNER_MALFORMED;
        const field = u16(buf, at + 2);
        const fragmentOffset = field & IPV6_FRAG_OFFSET_MASK;
        if (fragmentOffset !== 0 || (field & IPV6_FRAG_M) !== 0) out.isFragment = true;
        if (fragmentOffset !== 0) {
          out.protocol = buf[at];
          return opaque(out, at + IPV6_FRAG_HEADER, ipEnd);
        }
        length = IPV6_FRAG_HEADER;
        break;
      }
      default:
        out.protocol = next;
        // ESP (encrypted) and No Next Header have no L4 header; parseL4 treats them as opaque.
        return parseL4(buf, at, ipEnd, out);
    }
    if (length > ipEnd - at) return DropReason.INNER_MALFORMED;
    next = buf[at];
    at += length;
  }
}

/**
 * Parses the IP packet `buf[offset, offset + length)` into `out`. `expectedVersion` (4, 6, or 0 for
 * either) is checked against the version nibble: GENEVE's Protocol Type must agree with the packet.
 * Returns DropReason.NONE or DropReason.INNER_MALFORMED. Never throws.
 */
export function parseIpPacket(buf: Buffer, offset: number, length: number, out: ParsedPacket, expectedVersion = 0): DropReasonCode {
  reset(out, offset);
  if (!(offset >= 0 && length > 0 && offset + length <= buf.length)) return DropReason.INNER_MALFORMED;
  const version = buf[offset] >>> 4;
  if (expectedVersion !== 0 && version !== expectedVersion) return DropReason.INNER_MALFORMED;
  if (version === 4) return parseIPv4(buf, offset, offset + length, out);
  if (version === 6) return parseIPv6(buf, offset, offset + length, out);
  return DropReason.INNER_MALFORMED;
}
