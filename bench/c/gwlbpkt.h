/*
 * BENCHMARK TOOL - NOT PRODUCT CODE.
 * Part of the cdk-gwlb-inspection benchmark (bench/). Compiled at bench time into bench/out/.
 *
 * Builds the packets a Gateway Load Balancer would send (see /work/shared/GENEVE.md):
 *
 *   [outer IPv4 20][outer UDP 8][GENEVE 40 = 8 base + 3 AWS options][inner IPv4 20][TCP 20 | UDP 8][payload]
 *
 * GENEVE: ver 0, opt len 8 (32 bytes of options), protocol 0x0800, VNI 0, then three
 * non-critical options of class 0x0108: type 1 ENI id (u64), type 2 attachment id (u64),
 * type 3 flow cookie (u32).
 *
 * The inner payload starts with a 32-byte bench header (magic, run id, flow index, sequence
 * number, send timestamp) used to measure round-trip latency; the rest is a constant text pattern.
 * Inner IPv4 header checksum and the TCP/UDP checksum are valid: the L4 checksum is built
 * from a precomputed sum of the constant pattern plus the per-packet fields.
 */
#ifndef BENCH_GWLBPKT_H
#define BENCH_GWLBPKT_H

#include <stdint.h>
#include <string.h>

#define OUTER_HDR 28     /* IPv4 20 + UDP 8 (only present when sending through a raw socket) */
#define GENEVE_HDR 40
#define BENCH_MAGIC 0x474c5742u /* "GLWB" */
#define BENCH_HDR 32     /* magic u32, run id u32, flow u32, reserved u32, seq u64, send time ns u64 */
#define ENI_ID 0x2b8ee1d4db0c51c4ull
#define ATTACHMENT_ID 0x0123456789abcdefull

static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t get64(const uint8_t *p) { return ((uint64_t)get32(p) << 32) | get32(p + 4); }

/* Stateless 32-bit mixer (lowbias32) so flow attributes derive from the flow index. */
static inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16; x *= 0x7feb352dU; x ^= x >> 15; x *= 0x846ca68bU; x ^= x >> 16;
  return x;
}

/* One's-complement sum of a byte range (big-endian 16-bit words), not folded. Callers keep
 * ranges 16-bit aligned relative to the start of the checksummed region. */
static inline uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len) {
  while (len > 1) { sum += (uint32_t)((p[0] << 8) | p[1]); p += 2; len -= 2; }
  if (len) sum += (uint32_t)(p[0] << 8);
  return sum;
}
static inline uint16_t csum_fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

typedef struct {
  uint32_t index;
  uint32_t cookie;
  uint16_t outer_sport;
  uint8_t proto; /* 6 TCP, 17 UDP */
  uint32_t inner_src;
  uint32_t inner_dst;
  uint16_t inner_sport;
  uint16_t inner_dport;
} flow_t;

/* Flow f: TCP for even f, UDP for odd f; distinct inner source address per flow (10.16.0.0/12),
 * per-flow cookie and inner source port, outer source port = base + f % nports. */
static inline void flow_make(flow_t *fl, uint32_t f, uint16_t port_base, uint32_t nports, uint32_t seed) {
  uint32_t h = mix32(f ^ seed);
  fl->index = f;
  fl->cookie = mix32(h + 0x9e3779b9u) | 1u;
  fl->outer_sport = (uint16_t)(port_base + f % nports);
  fl->proto = (f & 1) ? 17 : 6;
  fl->inner_src = (10u << 24) | ((16u + ((f >> 16) & 0x0f)) << 16) | (f & 0xffff);
  fl->inner_dst = (172u << 24) | (16u << 16) | 10u;          /* 172.16.0.10 */
  fl->inner_sport = (uint16_t)(1024u + h % 60000u);
  fl->inner_dport = fl->proto == 6 ? 80 : 5000;
}

static inline size_t l4_hdr_len(uint8_t proto) { return proto == 6 ? 20 : 8; }

/* Fill the constant text pattern of a packet slot: bytes after the bench header. */
static inline void fill_pattern(uint8_t *payload, size_t len) {
  static const char txt[] = "GET /index.html HTTP/1.1 host: app.example.com accept: */* benign bench traffic ";
  for (size_t i = 0; i < len; i++) payload[i] = (uint8_t)txt[i % (sizeof(txt) - 1)];
}

/* Sum of the constant pattern region for an L4 payload of `payload_len` bytes. The pattern
 * starts at payload offset BENCH_HDR (even) so it is aligned within the L4 checksum region. */
static inline uint64_t pattern_sum(size_t payload_len) {
  if (payload_len <= BENCH_HDR) return 0;
  size_t n = payload_len - BENCH_HDR;
  uint8_t buf[9000];
  if (n > sizeof(buf)) n = sizeof(buf);
  fill_pattern(buf, n);
  return csum_add(0, buf, n);
}

/*
 * Write GENEVE header + inner packet at `p` (the UDP payload). The pattern bytes after the
 * bench header must already be in place (fill_pattern) - they are not rewritten per packet.
 * `inner_len` is the inner IPv4 total length; `psum` = pattern_sum(payload length) for
 * this flow's protocol. Returns the UDP payload length (GENEVE_HDR + inner_len).
 */
static inline size_t build_gwlb_packet(uint8_t *p, const flow_t *fl, size_t inner_len, uint64_t psum,
                                       uint32_t run_id, uint64_t seq, uint64_t now_ns, uint32_t tcp_seq) {
  /* GENEVE base header */
  p[0] = 8; p[1] = 0; put16(p + 2, 0x0800); put32(p + 4, 0);
  /* option 1: ENI id */
  put16(p + 8, 0x0108); p[10] = 0x01; p[11] = 2; put64(p + 12, ENI_ID);
  /* option 2: attachment id */
  put16(p + 20, 0x0108); p[22] = 0x02; p[23] = 2; put64(p + 24, ATTACHMENT_ID);
  /* option 3: flow cookie */
  put16(p + 32, 0x0108); p[34] = 0x03; p[35] = 1; put32(p + 36, fl->cookie);

  uint8_t *ip = p + GENEVE_HDR;
  size_t l4len = inner_len - 20;
  ip[0] = 0x45; ip[1] = 0; put16(ip + 2, (uint16_t)inner_len);
  put16(ip + 4, (uint16_t)seq); put16(ip + 6, 0x4000); ip[8] = 64; ip[9] = fl->proto;
  put16(ip + 10, 0); put32(ip + 12, fl->inner_src); put32(ip + 16, fl->inner_dst);
  put16(ip + 10, csum_fold(csum_add(0, ip, 20)));

  uint8_t *l4 = ip + 20;
  size_t hl = l4_hdr_len(fl->proto);
  uint8_t *pl = l4 + hl;
  put32(pl, BENCH_MAGIC); put32(pl + 4, run_id); put32(pl + 8, fl->index); put32(pl + 12, 0);
  put64(pl + 16, seq); put64(pl + 24, now_ns);
  put16(l4, fl->inner_sport); put16(l4 + 2, fl->inner_dport);
  if (fl->proto == 6) {
    put32(l4 + 4, tcp_seq); put32(l4 + 8, 1u);
    l4[12] = 5 << 4; l4[13] = 0x18; /* PSH|ACK */
    put16(l4 + 14, 65535); put16(l4 + 16, 0); put16(l4 + 18, 0);
  } else {
    put16(l4 + 4, (uint16_t)l4len); put16(l4 + 6, 0);
  }
  /* pseudo header + L4 header + bench header + pattern */
  uint64_t sum = psum;
  sum += (fl->inner_src >> 16) + (fl->inner_src & 0xffff) + (fl->inner_dst >> 16) + (fl->inner_dst & 0xffff);
  sum += fl->proto + (uint32_t)l4len;
  sum = csum_add(sum, l4, hl + BENCH_HDR);
  uint16_t c = csum_fold(sum);
  if (fl->proto == 17 && c == 0) c = 0xffff;
  put16(l4 + (fl->proto == 6 ? 16 : 6), c);
  return GENEVE_HDR + inner_len;
}

/* Outer IPv4 + UDP header for raw (IP_HDRINCL) sending. Addresses in host order.
 * The kernel fills the IPv4 checksum and id; UDP checksum 0 (allowed for IPv4). */
static inline void build_outer(uint8_t *o, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                               size_t udp_payload_len) {
  o[0] = 0x45; o[1] = 0; put16(o + 2, (uint16_t)(OUTER_HDR + udp_payload_len));
  put16(o + 4, 0); put16(o + 6, 0x4000); o[8] = 64; o[9] = 17; put16(o + 10, 0);
  put32(o + 12, src); put32(o + 16, dst);
  put16(o + 20, sport); put16(o + 22, dport); put16(o + 24, (uint16_t)(8 + udp_payload_len)); put16(o + 26, 0);
}

#endif
