/*
 * BENCHMARK TOOL - NOT PRODUCT CODE.
 * Part of the cdk-gwlb-inspection benchmark (bench/). Compiled at bench time with the system
 * cc into bench/out/ by bench/run.ts.
 *
 * gwlb-reflector: the reference for the user-space limit. It returns every datagram it
 * receives byte-for-byte, with no inspection, using recvmmsg/sendmmsg in batches of up to 64
 * (MSG_WAITFORONE: a batch is whatever is queued, at least one datagram).
 *
 * Reply modes (how the reply leaves; the payload is always unchanged):
 *   --reply raw (default): exactly the GENEVE.md semantics, as the AWS reference appliance
 *     (gwlbtun) does it: an IPPROTO_RAW (IP_HDRINCL) socket sends an outer IPv4/UDP header
 *     with the addresses swapped and both UDP ports kept: source = the port GWLB sent from,
 *     destination = the listening (GENEVE) port. The reply arrives at the same place as the
 *     agent's bound-port replies (GWLB address : GENEVE port). UDP checksum 0 (allowed, IPv4).
 *   --reply listen: the simplest equivalent: sendmmsg from the listening socket back to the
 *     sender's address and port (the ports are swapped, not kept, like the agent's `dgram` mode).
 *
 * Usage: reflector --listen 127.0.0.1 --port P [--reply raw|listen] [--rcvbuf BYTES]
 * (--rcvbuf: SO_RCVBUF request, capped by the kernel at net.core.rmem_max, as for the agent)
 * Prints {"event":"ready",...} on stdout once bound; runs until SIGTERM/SIGINT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUFSZ 9216
#define OUTER 28

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void die(const char *what) {
  fprintf(stderr, "reflector: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

int main(int argc, char **argv) {
  const char *listen_ip = "127.0.0.1";
  int port = 6081, raw = 1, rcvbuf = 0;
  static const struct option lo[] = {
    {"listen", 1, 0, 'l'}, {"port", 1, 0, 'p'}, {"reply", 1, 0, 'r'}, {"rcvbuf", 1, 0, 'b'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    switch (c) {
      case 'l': listen_ip = optarg; break;
      case 'p': port = atoi(optarg); break;
      case 'r':
        if (strcmp(optarg, "raw") == 0) raw = 1;
        else if (strcmp(optarg, "listen") == 0) raw = 0;
        else { fprintf(stderr, "reflector: --reply must be raw or listen, got %s\n", optarg); return 2; }
        break;
      case 'b': rcvbuf = atoi(optarg); break;
      default: fprintf(stderr, "usage: reflector --listen IP --port P [--reply raw|listen] [--rcvbuf BYTES]\n"); return 2;
    }
  }
  struct in_addr local;
  if (inet_pton(AF_INET, listen_ip, &local) != 1) { fprintf(stderr, "reflector: bad --listen %s\n", listen_ip); return 2; }
  if (raw && local.s_addr == htonl(INADDR_ANY)) {
    fprintf(stderr, "reflector: --reply raw needs a specific --listen address (the reply source)\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  /* like the agent: ask for --rcvbuf, the kernel caps it at net.core.rmem_max */
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = local };
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
  int rawfd = -1;
  if (raw) {
    rawfd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (rawfd < 0) die("raw socket (needs CAP_NET_RAW; use --reply listen)");
  }
  struct sigaction act = { .sa_handler = on_signal };
  sigaction(SIGTERM, &act, NULL);
  sigaction(SIGINT, &act, NULL);

  static uint8_t bufs[BATCH][BUFSZ];
  static uint8_t hdrs[BATCH][OUTER];
  static struct sockaddr_in peers[BATCH], dsts[BATCH];
  static struct iovec riov[BATCH], siov[BATCH][2];
  static struct mmsghdr rmsg[BATCH], smsg[BATCH];
  for (int i = 0; i < BATCH; i++) {
    riov[i] = (struct iovec){ bufs[i], BUFSZ };
    rmsg[i].msg_hdr = (struct msghdr){ .msg_name = &peers[i], .msg_namelen = sizeof peers[i], .msg_iov = &riov[i], .msg_iovlen = 1 };
  }
  printf("{\"event\":\"ready\",\"pid\":%d,\"reply\":\"%s\"}\n", getpid(), raw ? "raw" : "listen");
  fflush(stdout);
  unsigned long long packets = 0;
  while (!stop) {
    for (int i = 0; i < BATCH; i++) rmsg[i].msg_hdr.msg_namelen = sizeof peers[i];
    int n = recvmmsg(fd, rmsg, BATCH, MSG_WAITFORONE, NULL);
    if (n < 0) { if (errno == EINTR) continue; die("recvmmsg"); }
    for (int i = 0; i < n; i++) {
      size_t len = rmsg[i].msg_len;
      if (raw) {
        uint8_t *o = hdrs[i];
        o[0] = 0x45; o[1] = 0; put16(o + 2, (uint16_t)(OUTER + len)); put16(o + 4, 0); put16(o + 6, 0x4000);
        o[8] = 64; o[9] = 17; put16(o + 10, 0);
        memcpy(o + 12, &local.s_addr, 4);            /* source: our address */
        memcpy(o + 16, &peers[i].sin_addr.s_addr, 4); /* destination: GWLB */
        memcpy(o + 20, &peers[i].sin_port, 2);        /* source port: the port GWLB sent from */
        put16(o + 22, (uint16_t)port);                /* destination port: GENEVE port */
        put16(o + 24, (uint16_t)(8 + len)); put16(o + 26, 0);
        dsts[i] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = peers[i].sin_addr };
        siov[i][0] = (struct iovec){ o, OUTER };
        siov[i][1] = (struct iovec){ bufs[i], len };
        smsg[i].msg_hdr = (struct msghdr){ .msg_name = &dsts[i], .msg_namelen = sizeof dsts[i], .msg_iov = siov[i], .msg_iovlen = 2 };
      } else {
        siov[i][0] = (struct iovec){ bufs[i], len };
        smsg[i].msg_hdr = (struct msghdr){ .msg_name = &peers[i], .msg_namelen = sizeof peers[i], .msg_iov = siov[i], .msg_iovlen = 1 };
      }
    }
    int off = 0;
    while (off < n) {
      int s = sendmmsg(raw ? rawfd : fd, smsg + off, (unsigned)(n - off), 0);
      if (s < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED || errno == EPERM) { off++; continue; }
        die("sendmmsg");
      }
      off += s;
    }
    packets += (unsigned long long)n;
  }
  fprintf(stderr, "reflector: %llu packets reflected\n", packets);
  return 0;
}
