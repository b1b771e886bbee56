/**
 * Why the agent did not return a GENEVE packet to the Gateway Load Balancer.
 *
 * A code is a small integer so that per-reason counters can live in a typed array indexed by code,
 * and so that the hot path returns a number instead of allocating. `NONE` (0) means "forward".
 */
export const DropReason = {
  /** Not dropped: forward the packet unchanged. */
  NONE: 0,
  /** The datagram ends before a header, option or inner packet it announces. */
  TRUNCATED: 1,
  /** GENEVE Ver field is not 0 (RFC 8926 section 3.4: MUST drop). */
  BAD_VERSION: 2,
  /** O bit set: a control (OAM) message, whose payload must not be forwarded. */
  OAM: 3,
  /** The options do not add up exactly to Opt Len (RFC 8926 section 3.5: silently drop). */
  OPTION_LENGTH_MISMATCH: 4,
  /** An option this agent does not understand has the critical bit (type & 0x80) set. */
  UNKNOWN_CRITICAL_OPTION: 5,
  /** One of the three AWS options (class 0x0108, types 1, 2, 3) is missing. */
  MISSING_AWS_OPTIONS: 6,
  /** Protocol Type is neither IPv4 (0x0800) nor IPv6 (0x86DD), so it cannot be inspected. */
  UNSUPPORTED_PROTOCOL_TYPE: 7,
  /** The inner IPv4/IPv6/TCP/UDP/ICMP headers are inconsistent or truncated. */
  INNER_MALFORMED: 8,
  /** A policy rule with action `drop` matched the packet. */
  POLICY: 9,
  /** The flow was blocked earlier by a payload rule and stays blocked until it idles out. */
  FLOW_BLOCKED: 10,
  /** An AWS option (class 0x0108, type 1..3) has the wrong length or appears twice. */
  BAD_AWS_OPTION: 11,
  /** An unexpected exception while inspecting (a bug); the packet is dropped and the error kept. */
  INTERNAL_ERROR: 12,
} as const;

/** One of the values of {@link DropReason}. */
export type DropReasonCode = (typeof DropReason)[keyof typeof DropReason];

/** Number of drop reasons; size of counter arrays indexed by {@link DropReasonCode}. */
export const DROP_REASON_COUNT = 13;

/** snake_case names for metric labels, indexed by code. */
export const DROP_REASON_NAMES: readonly string[] = Object.freeze([
  'none',
  'truncated',
  'bad_version',
  'oam',
  'option_length_mismatch',
  'unknown_critical_option',
  'missing_aws_options',
  'unsupported_protocol_type',
  'inner_malformed',
  'policy',
  'flow_blocked',
  'bad_aws_option',
  'internal_error',
]);

/** True when `code` is an integer that names a drop reason (including NONE). */
export function isDropReasonCode(code: number): code is DropReasonCode {
  return Number.isInteger(code) && code >= 0 && code < DROP_REASON_COUNT;
}
