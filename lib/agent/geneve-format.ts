/**
 * GENEVE (RFC 8926) wire format: named offsets, masks and AWS option values.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Variable-Length Options                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Option (Opt Len and Length count 4-byte words, excluding the 8-byte base / 4-byte option header):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Option Class         |      Type     |R|R|R| Length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Variable-Length Option Data                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * AWS GWLB sends three non-critical options of class 0x0108: type 1 endpoint ENI id (u64),
 * type 2 attachment id (u64), type 3 flow cookie (u32).
 */

/** UDP port GWLB sends GENEVE to. */
export const GENEVE_PORT = 6081;
/** Length of the fixed header before the options. */
export const GENEVE_BASE_LENGTH = 8;
/** Length of an option header before its data. */
export const GENEVE_OPTION_HEADER_LENGTH = 4;
/** Largest Opt Len / option Length values (6 and 5 bits, in 4-byte words). */
export const GENEVE_MAX_OPT_LEN_WORDS = 0x3f;
export const GENEVE_MAX_OPTION_DATA_WORDS = 0x1f;

// Byte offsets in the base header.
export const OFF_VER_OPTLEN = 0;
export const OFF_FLAGS = 1;
export const OFF_PROTOCOL = 2;
export const OFF_VNI = 4;
// Byte 0.
export const VER_SHIFT = 6;
export const OPT_LEN_MASK = 0x3f;
// Byte 1.
export const GENEVE_FLAG_OAM = 0x80;
export const GENEVE_FLAG_CRITICAL = 0x40;
// Option header byte offsets and masks.
export const OPT_OFF_CLASS = 0;
export const OPT_OFF_TYPE = 2;
export const OPT_OFF_LENGTH = 3;
export const OPT_LENGTH_MASK = 0x1f;
/** Type bit marking an option the receiver must understand. */
export const GENEVE_OPTION_CRITICAL = 0x80;

/** Protocol Type values (EtherType). */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_ETHERNET = 0x6558;

/** AWS option class and types. */
export const AWS_OPTION_CLASS = 0x0108;
export const AWS_OPTION_ENI_ID = 0x01;
export const AWS_OPTION_ATTACHMENT_ID = 0x02;
export const AWS_OPTION_FLOW_COOKIE = 0x03;
/** Data lengths (bytes) of the AWS options. */
export const AWS_ENI_ID_DATA = 8;
export const AWS_ATTACHMENT_ID_DATA = 8;
export const AWS_FLOW_COOKIE_DATA = 4;
/** Bits recording which AWS options were seen. */
export const SEEN_ENI = 1;
export const SEEN_ATTACHMENT = 2;
export const SEEN_COOKIE = 4;
export const SEEN_ALL = SEEN_ENI | SEEN_ATTACHMENT | SEEN_COOKIE;

/** GENEVE header length GWLB produces: 8 base + 12 + 12 + 8 option bytes. */
export const GWLB_GENEVE_HEADER_LENGTH = 40;
