/*
 * BENCHMARK TOOL - NOT PRODUCT CODE.
 * Part of the cdk-gwlb-inspection benchmark (bench/). Compiled at bench time with the system
 * cc into bench/out/ by bench/run.ts.
 *
 * gwlb-loadgen: plays the Gateway Load Balancer on loopback. It sends valid GWLB GENEVE packets
 * (three AWS options, 40-byte header, inner IPv4 TCP/UDP) over N flows from --src (127.0.0.2)
 * with an outer source port per flow, and receives the appliance's replies on
 * --src:--reply-port (the appliance replies from GWLB's source port to the GENEVE port, as
 * GENEVE.md requires) and, with --src-sockets, on each per-flow source port too.
 *
 * Sending uses sendmmsg on an IPPROTO_RAW socket (IP_HDRINCL) so one syscall can send a batch
 * from many outer source ports; --send sockets uses one bound UDP socket per source port.
 * Receiving uses epoll + recvmmsg. Single-threaded: pacing with epoll_pwait2 timeouts.
 *
 * Modes: --rate PPS (open loop, paced) or --window N (closed loop: at most N packets in flight;
 * measures capacity). Duration: --warmup S --duration S, or --count N (send N packets once).
 * Each packet carries a run id, a sequence number and a CLOCK_MONOTONIC send time in the inner
 * payload (replies to an earlier run are counted as "stale" and ignored);
 * the RTT of every reply goes into a log-linear histogram.
 *
 * Output: JSON lines on stdout: {"event":"ready"}, {"event":"progress",...} every
 * --progress seconds, and one {"event":"result",...} at the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gwlbpkt.h"
#include "hist.h"
#include "procstat.h"

#define BATCH 64
#define MAX_PORTS 16384

typedef struct {
  const char *target, *src;
  int port, reply_port, port_base, nports, flows, inner_size, window, src_sockets, send_raw, pid;
  double rate, warmup, duration, progress, drain_ms;
  long long count;
  unsigned seed;
} opts_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void usage(const char *msg) {
  fprintf(stderr, "loadgen: %s\n"
    "usage: loadgen --target IP --port P [--src IP] [--reply-port P] [--port-base N] [--ports N]\n"
    "  [--flows N] [--inner-size BYTES] (--rate PPS | --window N) [--warmup S] [--duration S]\n"
    "  [--count N] [--pid PID] [--src-sockets] [--send raw|sockets] [--progress S] [--drain-ms MS]\n", msg);
  exit(2);
}

static void parse_opts(opts_t *o, int argc, char **argv) {
  *o = (opts_t){ .target = "127.0.0.1", .src = "127.0.0.2", .port = 6081, .reply_port = -1, .port_base = 20000,
                 .nports = 4096, .flows = 4096, .inner_size = 200, .window = 0, .src_sockets = 0, .send_raw = 1,
                 .pid = 0, .rate = 0, .warmup = 1, .duration = 5, .progress = 1, .drain_ms = 300, .count = 0,
                 .seed = 0x5eed };
  static const struct option lo[] = {
    {"target", 1, 0, 't'}, {"port", 1, 0, 'p'}, {"src", 1, 0, 's'}, {"reply-port", 1, 0, 'r'},
    {"port-base", 1, 0, 'b'}, {"ports", 1, 0, 'n'}, {"flows", 1, 0, 'f'}, {"inner-size", 1, 0, 'i'},
    {"rate", 1, 0, 'R'}, {"window", 1, 0, 'w'}, {"warmup", 1, 0, 'W'}, {"duration", 1, 0, 'd'},
    {"count", 1, 0, 'c'}, {"pid", 1, 0, 'P'}, {"src-sockets", 0, 0, 'S'}, {"send", 1, 0, 'm'},
    {"progress", 1, 0, 'g'}, {"drain-ms", 1, 0, 'D'}, {"seed", 1, 0, 'e'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    switch (c) {
      case 't': o->target = optarg; break;
      case 'p': o->port = atoi(optarg); break;
      case 's': o->src = optarg; break;
      case 'r': o->reply_port = atoi(optarg); break;
      case 'b': o->port_base = atoi(optarg); break;
      case 'n': o->nports = atoi(optarg); break;
      case 'f': o->flows = atoi(optarg); break;
      case 'i': o->inner_size = atoi(optarg); break;
      case 'R': o->rate = atof(optarg); break;
      case 'w': o->window = atoi(optarg); break;
      case 'W': o->warmup = atof(optarg); break;
      case 'd': o->duration = atof(optarg); break;
      case 'c': o->count = atoll(optarg); break;
      case 'P': o->pid = atoi(optarg); break;
      case 'S': o->src_sockets = 1; break;
      case 'm': o->send_raw = strcmp(optarg, "sockets") != 0; break;
      case 'g': o->progress = atof(optarg); break;
      case 'D': o->drain_ms = atof(optarg); break;
      case 'e': o->seed = (unsigned)strtoul(optarg, NULL, 0); break;
      default: usage("unknown option");
    }
  }
  if (o->reply_port < 0) o->reply_port = o->port;
  if ((o->rate > 0) == (o->window > 0)) usage("give exactly one of --rate and --window");
  if (o->inner_size < 20 + 20 + BENCH_HDR || o->inner_size > 8500) usage("--inner-size must be 72..8500");
  if (o->nports < 1 || o->nports > MAX_PORTS || o->port_base + o->nports > 65536) usage("bad --ports/--port-base");
  if (o->flows < 1) usage("--flows must be >= 1");
  if (o->nports > o->flows) o->nports = o->flows;
  if (!o->send_raw) o->src_sockets = 1;
}

static int udp_socket(uint32_t addr, int port, int bufsize) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  if (bufsize > 0) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof bufsize) < 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
  }
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = { htonl(addr) } };
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    fprintf(stderr, "loadgen: bind %u.%u.%u.%u:%d: %s\n", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
            addr & 255, port, strerror(errno));
    exit(2);
  }
  return fd;
}

typedef struct {
  opts_t o;
  uint32_t target_ip, src_ip;
  int raw_fd, reply_fd, epfd, *src_fds;
  uint8_t *slots[2][BATCH]; /* [0] TCP, [1] UDP slot buffers: outer header + GENEVE + inner */
  uint64_t psum[2];
  size_t pkt_len; /* UDP payload length */
  /* counters */
  uint64_t seq;              /* next sequence number to send */
  uint32_t run_id;           /* in every packet: replies to earlier runs are ignored */
  uint64_t recv_total, written_off, stalls, bad, mismatch, bad_size, send_errors, stale;
  uint64_t m_seq_start, m_seq_end; /* measured sequence range [start, end) */
  int measuring;             /* 1 while replies with seq >= m_seq_start count */
  uint64_t m_recv;
  uint64_t last_recv_ns;
  hist_t hist;
} lg_t;

static void lg_setup(lg_t *g) {
  opts_t *o = &g->o;
  struct in_addr a;
  if (inet_pton(AF_INET, o->target, &a) != 1) usage("bad --target");
  g->target_ip = ntohl(a.s_addr);
  if (inet_pton(AF_INET, o->src, &a) != 1) usage("bad --src");
  g->src_ip = ntohl(a.s_addr);
  g->epfd = epoll_create1(0);
  if (g->epfd < 0) die("epoll_create1");
  g->reply_fd = udp_socket(g->src_ip, o->reply_port, 32 << 20);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0xffffffffu };
  if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->reply_fd, &ev) < 0) die("epoll_ctl");
  g->src_fds = NULL;
  if (o->src_sockets) {
    g->src_fds = calloc((size_t)o->nports, sizeof(int));
    for (int i = 0; i < o->nports; i++) {
      g->src_fds[i] = udp_socket(g->src_ip, o->port_base + i, 1 << 20);
      ev.data.u32 = (uint32_t)i;
      if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->src_fds[i], &ev) < 0) die("epoll_ctl");
    }
  }
  g->raw_fd = -1;
  if (o->send_raw) {
    g->raw_fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (g->raw_fd < 0) die("raw socket (needs CAP_NET_RAW; use --send sockets)");
    int sb = 8 << 20;
    if (setsockopt(g->raw_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof sb) < 0)
      setsockopt(g->raw_fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
  }
  g->pkt_len = GENEVE_HDR + (size_t)o->inner_size;
  for (int p = 0; p < 2; p++) {
    size_t hl = l4_hdr_len(p == 0 ? 6 : 17);
    size_t payload_len = (size_t)o->inner_size - 20 - hl;
    g->psum[p] = pattern_sum(payload_len);
    for (int i = 0; i < BATCH; i++) {
      g->slots[p][i] = calloc(1, OUTER_HDR + g->pkt_len);
      uint8_t *pl = g->slots[p][i] + OUTER_HDR + GENEVE_HDR + 20 + hl;
      fill_pattern(pl + BENCH_HDR, payload_len - BENCH_HDR);
    }
  }
  hist_reset(&g->hist);
}

/* Flow for sequence number s: s * g_mult mod flows, a permutation of the flows when g_mult is
 * coprime with the flow count (checked at startup; otherwise plain round robin). */
static uint64_t g_mult = 2654435761ull;
static inline uint32_t flow_of(const lg_t *g, uint64_t s) {
  return (uint32_t)((s * g_mult) % (uint64_t)g->o.flows);
}

static uint64_t gcd(uint64_t a, uint64_t b) { while (b) { uint64_t t = a % b; a = b; b = t; } return a; }

/* Send up to n packets (n <= BATCH). Returns the number sent. */
static int send_batch(lg_t *g, int n) {
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static struct sockaddr_in dst;
  dst.sin_family = AF_INET;
  dst.sin_addr.s_addr = htonl(g->target_ip);
  dst.sin_port = htons((uint16_t)g->o.port);
  uint64_t t = now_ns();
  uint32_t flows[BATCH];
  for (int i = 0; i < n; i++) {
    uint64_t s = g->seq + (uint64_t)i;
    flow_t fl;
    uint32_t f = flow_of(g, s);
    flow_make(&fl, f, (uint16_t)g->o.port_base, (uint32_t)g->o.nports, g->o.seed);
    flows[i] = f;
    int p = fl.proto == 6 ? 0 : 1;
    uint8_t *buf = g->slots[p][i];
    size_t payload_len = (size_t)g->o.inner_size - 20 - l4_hdr_len(fl.proto);
    uint32_t tcp_seq = mix32(f) + (uint32_t)(s / (uint64_t)g->o.flows) * (uint32_t)payload_len;
    build_gwlb_packet(buf + OUTER_HDR, &fl, (size_t)g->o.inner_size, g->psum[p], g->run_id, s, t, tcp_seq);
    if (g->o.send_raw) {
      build_outer(buf, g->src_ip, g->target_ip, fl.outer_sport, (uint16_t)g->o.port, g->pkt_len);
      iov[i].iov_base = buf;
      iov[i].iov_len = OUTER_HDR + g->pkt_len;
      msgs[i].msg_hdr = (struct msghdr){ .msg_name = &dst, .msg_namelen = sizeof dst, .msg_iov = &iov[i], .msg_iovlen = 1 };
    } else {
      iov[i].iov_base = buf + OUTER_HDR;
      iov[i].iov_len = g->pkt_len;
    }
  }
  int sent = 0;
  if (g->o.send_raw) {
    int r = sendmmsg(g->raw_fd, msgs, (unsigned)n, 0);
    if (r < 0) { if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) die("sendmmsg"); g->send_errors++; r = 0; }
    sent = r;
  } else {
    for (int i = 0; i < n; i++) {
      int fd = g->src_fds[flows[i] % (uint32_t)g->o.nports];
      if (sendto(fd, iov[i].iov_base, iov[i].iov_len, 0, (struct sockaddr *)&dst, sizeof dst) < 0) {
        if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) die("sendto");
        g->send_errors++;
        break;
      }
      sent++;
    }
  }
  g->seq += (uint64_t)sent;
  return sent;
}

static void handle_reply(lg_t *g, const uint8_t *p, size_t len, uint64_t t) {
  if (len < GENEVE_HDR + 20 + 8 + BENCH_HDR) { g->bad++; return; }
  const uint8_t *ip = p + GENEVE_HDR;
  size_t ihl = (size_t)(ip[0] & 15) * 4;
  size_t hl = ip[9] == 6 ? 20 : 8;
  if (GENEVE_HDR + ihl + hl + BENCH_HDR > len) { g->bad++; return; }
  const uint8_t *pl = ip + ihl + hl;
  if (get32(pl) != BENCH_MAGIC) { g->bad++; return; }
  if (get32(pl + 4) != g->run_id) { g->stale++; return; } /* a late reply to an earlier run */
  uint32_t f = get32(pl + 8);
  uint64_t s = get64(pl + 16), ts = get64(pl + 24);
  g->recv_total++;
  g->last_recv_ns = t;
  if (len != g->pkt_len) g->bad_size++;
  flow_t fl;
  flow_make(&fl, f, (uint16_t)g->o.port_base, (uint32_t)g->o.nports, g->o.seed);
  if (get32(p + 36) != fl.cookie) g->mismatch++;
  if (g->measuring && s >= g->m_seq_start && s < g->m_seq_end) {
    g->m_recv++;
    hist_add(&g->hist, t > ts ? t - ts : 0);
  }
}

static void drain_fd(lg_t *g, int fd) {
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static uint8_t *bufs[BATCH];
  if (!bufs[0]) for (int i = 0; i < BATCH; i++) bufs[i] = malloc(9216);
  for (int round = 0; round < 16; round++) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = 9216;
      msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
    }
    int r = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (r <= 0) { if (r < 0 && errno != EAGAIN && errno != EINTR) die("recvmmsg"); return; }
    uint64_t t = now_ns();
    for (int i = 0; i < r; i++) handle_reply(g, bufs[i], msgs[i].msg_len, t);
    if (r < BATCH) return;
  }
}

static void poll_replies(lg_t *g, int64_t timeout_ns) {
  struct epoll_event evs[64];
  struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
  int n = epoll_pwait2(g->epfd, evs, 64, timeout_ns < 0 ? NULL : &ts, NULL);
  if (n < 0) { if (errno == EINTR) return; die("epoll_pwait2"); }
  for (int i = 0; i < n; i++) {
    uint32_t id = evs[i].data.u32;
    drain_fd(g, id == 0xffffffffu ? g->reply_fd : g->src_fds[id]);
  }
}

static double cpu_seconds_self(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  static lg_t g;
  parse_opts(&g.o, argc, argv);
  opts_t *o = &g.o;
  if (gcd(g_mult % (uint64_t)o->flows, (uint64_t)o->flows) != 1) g_mult = 1;
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  g.run_id = mix32((uint32_t)now_ns() ^ ((uint32_t)getpid() << 16));
  lg_setup(&g);
  printf("{\"event\":\"ready\"}\n");
  fflush(stdout);

  const int count_mode = o->count > 0;
  const uint64_t t0 = now_ns();
  const uint64_t warm_end = count_mode ? t0 : t0 + (uint64_t)(o->warmup * 1e9);
  const uint64_t meas_end = warm_end + (uint64_t)(o->duration * 1e9);
  uint64_t m_start_ns = 0, m_stop_ns = 0, drain_start = 0;
  double cpu_target_start = 0, cpu_self_start = 0;
  uint64_t next_progress = t0 + (uint64_t)(o->progress * 1e9), prog_sent = 0, prog_recv = 0, prog_t = t0;
  int phase = count_mode ? 1 : 0; /* 0 warmup, 1 measure, 2 drain */
  if (count_mode) {
    g.measuring = 1; g.m_seq_start = 0; g.m_seq_end = UINT64_MAX;
    m_start_ns = t0; cpu_target_start = proc_cpu_seconds(o->pid); cpu_self_start = cpu_seconds_self();
  }
  uint64_t rate_base_seq = 0, rate_base_ns = t0;
  g.last_recv_ns = t0;
  for (;;) {
    uint64_t t = now_ns();
    if (phase == 0 && t >= warm_end) {
      phase = 1; g.measuring = 1; g.m_seq_start = g.seq; g.m_seq_end = UINT64_MAX; m_start_ns = t;
      cpu_target_start = proc_cpu_seconds(o->pid); cpu_self_start = cpu_seconds_self();
    }
    if (phase == 1 && ((count_mode && g.seq >= (uint64_t)o->count) || (!count_mode && t >= meas_end))) {
      phase = 2; g.m_seq_end = g.seq; m_stop_ns = t; drain_start = t;
    }
    if (phase == 2) {
      uint64_t expected = g.m_seq_end - g.m_seq_start;
      if (g.m_recv >= expected || t - drain_start >= (uint64_t)(o->drain_ms * 1e6)) break;
      poll_replies(&g, 2000000);
      continue;
    }
    int64_t timeout = 0;
    if (o->rate > 0) {
      uint64_t due = rate_base_seq + (uint64_t)((double)(t - rate_base_ns) * o->rate / 1e9);
      int rounds = 0;
      while (g.seq < due && rounds++ < 4) {
        uint64_t n = due - g.seq;
        if (count_mode && g.seq + n > (uint64_t)o->count) n = (uint64_t)o->count - g.seq;
        if (n == 0) break;
        if (send_batch(&g, (int)(n > BATCH ? BATCH : n)) == 0) break;
      }
      /* If far behind (sender cannot keep up), do not try to catch up with a huge burst later. */
      if (due > g.seq + 16 * BATCH) { rate_base_seq = g.seq; rate_base_ns = t; }
      uint64_t next_due_ns = rate_base_ns + (uint64_t)((double)(g.seq + 1 - rate_base_seq) * 1e9 / o->rate);
      t = now_ns();
      timeout = next_due_ns > t ? (int64_t)(next_due_ns - t) : 0;
    } else {
      uint64_t inflight = g.seq - g.recv_total - g.written_off;
      if (g.recv_total + g.written_off > g.seq) inflight = 0;
      if (inflight < (uint64_t)o->window) {
        uint64_t n = (uint64_t)o->window - inflight;
        if (count_mode && g.seq + n > (uint64_t)o->count) n = (uint64_t)o->count - g.seq;
        while (n > 0) {
          int s = send_batch(&g, (int)(n > BATCH ? BATCH : n));
          if (s == 0) break;
          n -= (uint64_t)s;
        }
        timeout = 0;
      } else {
        /* window full: wait for replies; after 20 ms without any, write the window off as lost */
        if (t - g.last_recv_ns > 20000000ull) { g.written_off += inflight; g.stalls++; g.last_recv_ns = t; }
        timeout = 1000000;
      }
    }
    poll_replies(&g, timeout);
    t = now_ns();
    if (o->progress > 0 && t >= next_progress) {
      double dt = (double)(t - prog_t) / 1e9;
      printf("{\"event\":\"progress\",\"phase\":\"%s\",\"elapsed_s\":%.2f,\"sent\":%llu,\"received\":%llu,"
             "\"send_pps\":%.0f,\"recv_pps\":%.0f}\n",
             phase == 0 ? "warmup" : "measure", (double)(t - t0) / 1e9, (unsigned long long)g.seq,
             (unsigned long long)g.recv_total, (double)(g.seq - prog_sent) / dt, (double)(g.recv_total - prog_recv) / dt);
      fflush(stdout);
      prog_sent = g.seq; prog_recv = g.recv_total; prog_t = t;
      next_progress = t + (uint64_t)(o->progress * 1e9);
    }
  }
  double cpu_target = o->pid ? proc_cpu_seconds(o->pid) - cpu_target_start : 0;
  double cpu_self = cpu_seconds_self() - cpu_self_start;
  long rss_kb = o->pid ? proc_rss_kb(o->pid) : 0;
  double dur = (double)(m_stop_ns - m_start_ns) / 1e9;
  uint64_t sent = g.m_seq_end - g.m_seq_start;
  hist_t *h = &g.hist;
  printf("{\"event\":\"result\",\"mode\":\"%s\",\"rate\":%.0f,\"window\":%d,\"inner_size\":%d,\"flows\":%d,"
         "\"ports\":%d,\"duration_s\":%.4f,\"sent\":%llu,\"received\":%llu,\"offered_pps\":%.1f,\"pps\":%.1f,"
         "\"loss_pct\":%.4f,\"stalls\":%llu,\"written_off\":%llu,\"bad\":%llu,\"stale\":%llu,\"bad_size\":%llu,\"cookie_mismatch\":%llu,"
         "\"send_errors\":%llu,\"lat_us\":{\"min\":%.2f,\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,\"p999\":%.2f,"
         "\"max\":%.2f,\"mean\":%.2f},\"target_cpu_s\":%.4f,\"target_ns_per_packet\":%.1f,\"target_cpu_pct\":%.1f,"
         "\"loadgen_cpu_pct\":%.1f,\"target_rss_kb\":%ld}\n",
         o->rate > 0 ? "rate" : "window", o->rate, o->window, o->inner_size, o->flows, o->nports, dur,
         (unsigned long long)sent, (unsigned long long)g.m_recv, dur > 0 ? (double)sent / dur : 0,
         dur > 0 ? (double)g.m_recv / dur : 0, sent ? 100.0 * (double)(sent - (g.m_recv > sent ? sent : g.m_recv)) / (double)sent : 0,
         (unsigned long long)g.stalls, (unsigned long long)g.written_off, (unsigned long long)g.bad, (unsigned long long)g.stale,
         (unsigned long long)g.bad_size, (unsigned long long)g.mismatch, (unsigned long long)g.send_errors,
         h->total ? (double)h->min / 1e3 : 0, hist_quantile(h, 0.5) / 1e3, hist_quantile(h, 0.9) / 1e3,
         hist_quantile(h, 0.99) / 1e3, hist_quantile(h, 0.999) / 1e3, (double)h->max / 1e3,
         h->total ? h->sum / (double)h->total / 1e3 : 0, cpu_target,
         g.m_recv ? cpu_target * 1e9 / (double)g.m_recv : 0, dur > 0 ? 100.0 * cpu_target / dur : 0,
         dur > 0 ? 100.0 * cpu_self / dur : 0, rss_kb);
  fflush(stdout);
  return 0;
}
