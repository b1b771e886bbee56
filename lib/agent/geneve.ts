/**
 * GENEVE (RFC 8926) codec with the AWS Gateway Load Balancer options. The header diagram, named
 * offsets and masks are in geneve-format.ts (public constants re-exported here).
 *
 * Two decoders share one implementation ({@link decodeInto}):
 * - {@link decodeInto}: hot path, writes into a reusable {@link GeneveView}, returns a drop reason, never
 *   throws, never allocates.
 * - {@link decode}: allocating and throwing ({@link GeneveDecodeError}) for tests and tools.
 * Both apply every receive rule: Ver 0, O bit clear, options adding up exactly to Opt Len, no unknown
 * critical option, the three AWS options present once each with the right length, inner protocol
 * IPv4 or IPv6. VNI is not checked; reserved bits are ignored on receive and sent as zero.
 */
import { u16, u24, u32 } from './bytes';
import { DropReason, DropReasonCode } from './drop-reasons';
import {
  AWS_ATTACHMENT_ID_DATA, AWS_ENI_ID_DATA, AWS_FLOW_COOKIE_DATA, AWS_OPTION_ATTACHMENT_ID, AWS_OPTION_CLASS,
  AWS_OPTION_ENI_ID, AWS_OPTION_FLOW_COOKIE, ETHERTYPE_IPV4, ETHERTYPE_IPV6, GENEVE_BASE_LENGTH,
  GENEVE_FLAG_CRITICAL, GENEVE_FLAG_OAM, GENEVE_MAX_OPTION_DATA_WORDS, GENEVE_MAX_OPT_LEN_WORDS,
  GENEVE_OPTION_CRITICAL, GENEVE_OPTION_HEADER_LENGTH, OFF_FLAGS, OFF_PROTOCOL, OFF_VER_OPTLEN, OFF_VNI,
  OPT_LENGTH_MASK, OPT_LEN_MASK, OPT_OFF_CLASS, OPT_OFF_LENGTH, OPT_OFF_TYPE, SEEN_ALL, SEEN_ATTACHMENT,
  SEEN_COOKIE, SEEN_ENI, VER_SHIFT,
} from './geneve-format';

export {
  GENEVE_PORT, GENEVE_BASE_LENGTH, GENEVE_OPTION_HEADER_LENGTH, GENEVE_MAX_OPT_LEN_WORDS,
  GENEVE_MAX_OPTION_DATA_WORDS, GENEVE_FLAG_OAM, GENEVE_FLAG_CRITICAL, GENEVE_OPTION_CRITICAL,
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_ETHERNET, AWS_OPTION_CLASS, AWS_OPTION_ENI_ID,
  AWS_OPTION_ATTACHMENT_ID, AWS_OPTION_FLOW_COOKIE, GWLB_GENEVE_HEADER_LENGTH,
} from './geneve-format';

/**
 * Reusable result of {@link decodeInto}. Fields are only meaningful when decodeInto returned
 * DropReason.NONE, except `errorOffset` / `errorValue`, which describe the failure otherwise.
 * The u64 ids are kept as two u32 halves so decoding never allocates a BigInt.
 */
export class GeneveView {
  /** Offset of the GENEVE header in the buffer. */
  offset = 0;
  /** Base header plus options, in bytes. */
  headerLength = 0;
  version = 0;
  oam = false;
  critical = false;
  protocolType = 0;
  vni = 0;
  eniIdHigh = 0;
  eniIdLow = 0;
  attachmentIdHigh = 0;
  attachmentIdLow = 0;
  flowCookie = 0;
  /** Absolute offset and length of the encapsulated (inner) packet. */
  payloadOffset = 0;
  payloadLength = 0;
  /** On failure: absolute offset of the offending field (for an option: the option header). */
  errorOffset = 0;
  /** On failure: the offending value (version, option type, length, protocol type, ...). */
  errorValue = 0;
  /** On failure inside an option: the option's class (-1 otherwise). */
  errorOptionClass = -1;
}

function fail(out: GeneveView, reason: DropReasonCode, at: number, value: number, optionClass = -1): DropReasonCode {
  out.errorOffset = at;
  out.errorValue = value;
  out.errorOptionClass = optionClass;
  return reason;
}

/** Applies one AWS option; returns the updated seen-mask, or -1 when its length is wrong or it repeats. */
function readAwsOption(buf: Buffer, type: number, dataAt: number, dataLen: number, seen: number, out: GeneveView): number {
  switch (type) {
    case AWS_OPTION_ENI_ID:
      if (dataLen !== AWS_ENI_ID_DATA || (seen & SEEN_ENI) !== 0) return -1;
      out.eniIdHigh = u32(buf, dataAt);
      out.eniIdLow = u32(buf, dataAt + 4);
      return seen | SEEN_ENI;
    case AWS_OPTION_ATTACHMENT_ID:
      if (dataLen !== AWS_ATTACHMENT_ID_DATA || (seen & SEEN_ATTACHMENT) !== 0) return -1;
      out.attachmentIdHigh = u32(buf, dataAt);
      out.attachmentIdLow = u32(buf, dataAt + 4);
      return seen | SEEN_ATTACHMENT;
    case AWS_OPTION_FLOW_COOKIE:
      if (dataLen !== AWS_FLOW_COOKIE_DATA || (seen & SEEN_COOKIE) !== 0) return -1;
      out.flowCookie = u32(buf, dataAt);
      return seen | SEEN_COOKIE;
    default:
      return seen; // not an AWS option we know (caller handled the critical bit)
  }
}

function isKnownOption(optionClass: number, type: number): boolean {
  return optionClass === AWS_OPTION_CLASS &&
    (type === AWS_OPTION_ENI_ID || type === AWS_OPTION_ATTACHMENT_ID || type === AWS_OPTION_FLOW_COOKIE);
}

/**
 * Hot-path decode of the GENEVE datagram `buf[offset, offset + length)` into `out`.
 * Returns DropReason.NONE or the first receive rule broken. Never throws, never allocates.
 */
export function decodeInto(buf: Buffer, offset: number, length: number, out: GeneveView): DropReasonCode {
  out.offset = offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= buf.length)) return fail(out, DropReason.TRUNCATED, offset, length);
  const end = offset + length;
  if (length < GENEVE_BASE_LENGTH) return fail(out, DropReason.TRUNCATED, offset, length);
  const b0 = buf[offset + OFF_VER_OPTLEN];
  out.version = b0 >>> VER_SHIFT;
  if (out.version !== 0) return fail(out, DropReason.BAD_VERSION, offset + OFF_VER_OPTLEN, out.version);
  const flags = buf[offset + OFF_FLAGS];
  out.oam = (flags & GENEVE_FLAG_OAM) !== 0;
  out.critical = (flags & GENEVE_FLAG_CRITICAL) !== 0;
  if (out.oam) return fail(out, DropReason.OAM, offset + OFF_FLAGS, flags);
  out.protocolType = u16(buf, offset + OFF_PROTOCOL);
  out.vni = u24(buf, offset + OFF_VNI);
  const headerLength = GENEVE_BASE_LENGTH + (b0 & OPT_LEN_MASK) * 4;
  out.headerLength = headerLength;
  const optionsEnd = offset + headerLength;
  if (optionsEnd > end) return fail(out, DropReason.TRUNCATED, offset + OFF_VER_OPTLEN, headerLength);

  let seen = 0;
  let at = offset + GENEVE_BASE_LENGTH;
  // `at` and `optionsEnd` are both 4-byte aligned from `offset`, so an option header always fits.
  while (at < optionsEnd) {
    const optionClass = u16(buf, at + OPT_OFF_CLASS);
    const type = buf[at + OPT_OFF_TYPE];
    const dataLen = (buf[at + OPT_OFF_LENGTH] & OPT_LENGTH_MASK) * 4;
    const dataAt = at + GENEVE_OPTION_HEADER_LENGTH;
    if (dataAt + dataLen > optionsEnd) {
      return fail(out, DropReason.OPTION_LENGTH_MISMATCH, at, dataLen, optionClass);
    }
    if (isKnownOption(optionClass, type)) {
      const next = readAwsOption(buf, type, dataAt, dataLen, seen, out);
      if (next < 0) return fail(out, DropReason.BAD_AWS_OPTION, at, type, optionClass);
      seen = next;
    } else if ((type & GENEVE_OPTION_CRITICAL) !== 0) {
      return fail(out, DropReason.UNKNOWN_CRITICAL_OPTION, at, type, optionClass);
    }
    at = dataAt + dataLen;
  }
  if (seen !== SEEN_ALL) return fail(out, DropReason.MISSING_AWS_OPTIONS, offset + GENEVE_BASE_LENGTH, seen);
  if (out.protocolType !== ETHERTYPE_IPV4 && out.protocolType !== ETHERTYPE_IPV6) {
    return fail(out, DropReason.UNSUPPORTED_PROTOCOL_TYPE, offset + OFF_PROTOCOL, out.protocolType);
  }
  out.payloadOffset = optionsEnd;
  out.payloadLength = end - optionsEnd;
  out.errorOffset = 0;
  out.errorValue = 0;
  out.errorOptionClass = -1;
  return DropReason.NONE;
}

// ---------------------------------------------------------------------------------------------
// Allocating API (tests, tools): dns-packet style decode / encode / encodingLength.

/** One GENEVE option. `data` length must be a multiple of 4, at most 124 bytes. */
export interface GeneveOption {
  readonly optionClass: number;
  /** Includes the critical bit 0x80. */
  readonly type: number;
  readonly data: Buffer;
}

/** The AWS GWLB option values. */
export interface AwsGeneveOptions {
  readonly eniId: bigint;
  readonly attachmentId: bigint;
  readonly flowCookie: number;
}

/** Input of {@link encode}. Options are written in the given order; reserved bits are written as 0. */
export interface GenevePacket {
  /** @default 0 */
  readonly version?: number;
  /** O bit. @default false */
  readonly oam?: boolean;
  /** C bit. @default false */
  readonly critical?: boolean;
  readonly protocolType: number;
  /** @default 0 */
  readonly vni?: number;
  /** @default [] */
  readonly options?: readonly GeneveOption[];
  /** Inner packet appended after the header. @default - header only */
  readonly payload?: Buffer;
}

/** Result of {@link decode}: option data and payload are views into the decoded buffer. */
export interface DecodedGenevePacket {
  readonly version: number;
  readonly oam: boolean;
  readonly critical: boolean;
  readonly protocolType: number;
  readonly vni: number;
  readonly options: GeneveOption[];
  readonly aws: AwsGeneveOptions;
  readonly headerLength: number;
  readonly payload: Buffer;
}

/** Thrown by {@link decode}; `reason` is the drop reason the hot path would return. */
export class GeneveDecodeError extends Error {
  constructor(message: string, readonly reason: DropReasonCode, readonly offset: number) {
    super(message);
    this.name = 'GeneveDecodeError';
  }
}

const hex = (v: number, digits: number): string => '0x' + v.toString(16).padStart(digits, '0');

function describeFailure(reason: DropReasonCode, v: GeneveView, buf: Buffer, start: number, length: number): string {
  const at = `at byte ${v.errorOffset - start}`;
  switch (reason) {
    case DropReason.TRUNCATED:
      return v.errorOffset === start + OFF_VER_OPTLEN && length >= GENEVE_BASE_LENGTH
        ? `GENEVE truncated: Opt Len announces a ${v.errorValue}-byte header but only ${length} bytes are available`
        : `GENEVE truncated: ${length} bytes available, the base header needs ${GENEVE_BASE_LENGTH}`;
    case DropReason.BAD_VERSION:
      return `GENEVE version ${v.errorValue} is not supported (must be 0)`;
    case DropReason.OAM:
      return `GENEVE O bit is set (control packet, flags ${hex(v.errorValue, 2)}); its payload must not be forwarded`;
    case DropReason.OPTION_LENGTH_MISMATCH:
      return `GENEVE options do not add up to Opt Len: option class ${hex(v.errorOptionClass, 4)} ${at} has ` +
        `${v.errorValue} data bytes, overrunning the ${v.headerLength}-byte header`;
    case DropReason.UNKNOWN_CRITICAL_OPTION:
      return `GENEVE unknown critical option class ${hex(v.errorOptionClass, 4)} type ${hex(v.errorValue, 2)} ${at}`;
    case DropReason.BAD_AWS_OPTION: {
      const dataLen = (buf[v.errorOffset + OPT_OFF_LENGTH] & OPT_LENGTH_MASK) * 4;
      const expected = v.errorValue === AWS_OPTION_FLOW_COOKIE ? AWS_FLOW_COOKIE_DATA : AWS_ENI_ID_DATA;
      return dataLen !== expected
        ? `GENEVE AWS option type ${hex(v.errorValue, 2)} ${at} has ${dataLen} data bytes, expected ${expected}`
        : `GENEVE AWS option type ${hex(v.errorValue, 2)} ${at} is repeated`;
    }
    case DropReason.MISSING_AWS_OPTIONS: {
      const missing = [[SEEN_ENI, 'ENI id (type 0x01)'], [SEEN_ATTACHMENT, 'attachment id (type 0x02)'], [SEEN_COOKIE, 'flow cookie (type 0x03)']]
        .filter(([bit]) => (v.errorValue & (bit as number)) === 0).map(([, name]) => name);
      return `GENEVE AWS options missing: ${missing.join(', ')}`;
    }
    case DropReason.UNSUPPORTED_PROTOCOL_TYPE:
      return `GENEVE protocol type ${hex(v.errorValue, 4)} is not IPv4 (0x0800) or IPv6 (0x86dd)`;
    default:
      return `GENEVE decode failed (reason ${reason})`;
  }
}

const readU64 = (high: number, low: number): bigint => (BigInt(high) << 32n) | BigInt(low);

/**
 * Decodes a GENEVE datagram starting at `offset` and running to `end` (default: buffer end).
 * Throws {@link GeneveDecodeError} naming the broken rule and byte offset. `decode.bytes` is set to
 * the number of bytes consumed (header and payload).
 */
export function decode(buf: Buffer, offset = 0, end = buf.length): DecodedGenevePacket {
  if (!Number.isInteger(offset) || !Number.isInteger(end) || offset < 0 || end < offset || end > buf.length) {
    throw new RangeError(`offset/end: [${offset}, ${end}) is not a range within the ${buf.length}-byte buffer`);
  }
  const v = new GeneveView();
  const length = end - offset;
  const reason = decodeInto(buf, offset, length, v);
  if (reason !== DropReason.NONE) {
    throw new GeneveDecodeError(describeFailure(reason, v, buf, offset, length), reason, v.errorOffset - offset);
  }
  const options: GeneveOption[] = [];
  for (let at = offset + GENEVE_BASE_LENGTH; at < offset + v.headerLength;) {
    const dataLen = (buf[at + OPT_OFF_LENGTH] & OPT_LENGTH_MASK) * 4;
    options.push({
      optionClass: buf.readUInt16BE(at + OPT_OFF_CLASS),
      type: buf[at + OPT_OFF_TYPE],
      data: buf.subarray(at + GENEVE_OPTION_HEADER_LENGTH, at + GENEVE_OPTION_HEADER_LENGTH + dataLen),
    });
    at += GENEVE_OPTION_HEADER_LENGTH + dataLen;
  }
  decode.bytes = length;
  return {
    version: v.version,
    oam: v.oam,
    critical: v.critical,
    protocolType: v.protocolType,
    vni: v.vni,
    options,
    aws: {
      eniId: readU64(v.eniIdHigh, v.eniIdLow),
      attachmentId: readU64(v.attachmentIdHigh, v.attachmentIdLow),
      flowCookie: v.flowCookie,
    },
    headerLength: v.headerLength,
    payload: buf.subarray(v.payloadOffset, end),
  };
}
decode.bytes = 0;

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name}: ${value} is not an integer 0-${max}`);
  }
}

/** Bytes {@link encode} writes for `pkt`; validates it (RangeError naming the field). */
export function encodingLength(pkt: GenevePacket): number {
  checkUint('version', pkt.version ?? 0, 3);
  checkUint('protocolType', pkt.protocolType, 0xffff);
  checkUint('vni', pkt.vni ?? 0, 0xffffff);
  let optionBytes = 0;
  (pkt.options ?? []).forEach((o, i) => {
    checkUint(`options[${i}].optionClass`, o.optionClass, 0xffff);
    checkUint(`options[${i}].type`, o.type, 0xff);
    const n = o.data.length;
    if (n % 4 !== 0 || n > GENEVE_MAX_OPTION_DATA_WORDS * 4) {
      throw new RangeError(`options[${i}].data: length ${n} is not a multiple of 4 up to ${GENEVE_MAX_OPTION_DATA_WORDS * 4}`);
    }
    optionBytes += GENEVE_OPTION_HEADER_LENGTH + n;
  });
  if (optionBytes > GENEVE_MAX_OPT_LEN_WORDS * 4) {
    throw new RangeError(`options: ${optionBytes} bytes exceed the GENEVE maximum of ${GENEVE_MAX_OPT_LEN_WORDS * 4}`);
  }
  return GENEVE_BASE_LENGTH + optionBytes + (pkt.payload?.length ?? 0);
}

/**
 * Encodes `pkt` into `buf` at `offset` (allocating a buffer when none is given) and returns the
 * buffer; `encode.bytes` is set to the number of bytes written.
 */
export function encode(pkt: GenevePacket, buf?: Buffer, offset = 0): Buffer {
  const length = encodingLength(pkt);
  if (!buf) buf = Buffer.alloc(length + offset);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > buf.length) {
    throw new RangeError(`offset: ${offset} + ${length} bytes does not fit a ${buf.length}-byte buffer`);
  }
  const options = pkt.options ?? [];
  const optionBytes = length - GENEVE_BASE_LENGTH - (pkt.payload?.length ?? 0);
  buf[offset + OFF_VER_OPTLEN] = ((pkt.version ?? 0) << VER_SHIFT) | (optionBytes / 4);
  buf[offset + OFF_FLAGS] = (pkt.oam ? GENEVE_FLAG_OAM : 0) | (pkt.critical ? GENEVE_FLAG_CRITICAL : 0);
  buf.writeUInt16BE(pkt.protocolType, offset + OFF_PROTOCOL);
  buf.writeUIntBE(pkt.vni ?? 0, offset + OFF_VNI, 3);
  buf[offset + OFF_VNI + 3] = 0;
  let at = offset + GENEVE_BASE_LENGTH;
  for (const o of options) {
    buf.writeUInt16BE(o.optionClass, at + OPT_OFF_CLASS);
    buf[at + OPT_OFF_TYPE] = o.type;
    buf[at + OPT_OFF_LENGTH] = o.data.length / 4;
    o.data.copy(buf, at + GENEVE_OPTION_HEADER_LENGTH);
    at += GENEVE_OPTION_HEADER_LENGTH + o.data.length;
  }
  if (pkt.payload) pkt.payload.copy(buf, at);
  encode.bytes = length;
  return buf;
}
encode.bytes = 0;

/** The three AWS options in the order GWLB sends them. */
export function awsOptions(aws: AwsGeneveOptions): GeneveOption[] {
  checkUint('flowCookie', aws.flowCookie, 0xffffffff);
  const u64 = (name: string, v: bigint): Buffer => {
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`${name}: ${v} is not a u64`);
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    return b;
  };
  const cookie = Buffer.alloc(4);
  cookie.writeUInt32BE(aws.flowCookie);
  return [
    { optionClass: AWS_OPTION_CLASS, type: AWS_OPTION_ENI_ID, data: u64('eniId', aws.eniId) },
    { optionClass: AWS_OPTION_CLASS, type: AWS_OPTION_ATTACHMENT_ID, data: u64('attachmentId', aws.attachmentId) },
    { optionClass: AWS_OPTION_CLASS, type: AWS_OPTION_FLOW_COOKIE, data: cookie },
  ];
}
