/*
 * batchio: batched UDP receive and reply for the gwlb-agent data plane (Linux, N-API).
 *
 * batchio.h: shared definitions; reply_cache.c: the bound-port reply sockets; io.c: receiving,
 * sending and the watch's lifetime; batchio.c: the JavaScript API.
 *
 * One instance watches one UDP socket with a libuv poll handle on the worker's own event loop.
 * When it is readable, recvmmsg() takes up to BATCH datagrams into a buffer JavaScript shares
 * (slot i at i * SLOT), the JavaScript callback inspects the whole batch and writes one verdict
 * per datagram (0 drop, 1 reply, 2 reply counted as the self-probe's), then the replies leave in
 * order with sendmmsg(), one call per run of datagrams that leave through the same socket.
 *
 * Replies keep the JavaScript path's contract (lib/agent/reply-*.ts):
 *   - dgram mode: from the listening socket to (GWLB address, listening port).
 *   - bound-port mode: from a socket bound to (listen address, the GWLB's source port P) and
 *     connected to (GWLB address, listening port): addresses swapped, both ports kept. Sockets
 *     are cached per (address, P) in a bounded LRU; a bind that fails falls back to the listening
 *     socket (counted as a port not kept) and is retried once sweep() forgot it. With a wildcard
 *     listen address, loopback peers (the self-probe) get 127.0.0.1 as bind address.
 * The datagram's bytes are never changed. Nothing is allocated per packet; the JavaScript side
 * reads the counters from a shared Float64Array (COUNTER_NAMES gives the layout).
 */
#ifndef GWLB_BATCHIO_H
#define GWLB_BATCHIO_H
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <node_api.h>
#include <uv.h>

#define BATCH 64
#define SLOT 65536
#define META_FIELDS 4 /* address (host order), port, length, flags */
#define FLAG_TRUNCATED 1

enum { V_DROP = 0, V_REPLY = 1, V_PROBE = 2 };
enum { CUSTOMER = 0, PROBE = 4 };

/* Counters shared with JavaScript; CUSTOMER and PROBE classes are 4 apart. */
enum {
  C_PACKETS_OUT, C_BYTES_OUT, C_SEND_ERRORS, C_PORTS_NOT_KEPT,
  C_PROBE_PACKETS_OUT, C_PROBE_BYTES_OUT, C_PROBE_SEND_ERRORS, C_PROBE_PORTS_NOT_KEPT,
  C_REPLY_BIND_FAILURES, C_REPLY_SOCKET_EVICTIONS, C_SOCKET_ERRORS, C_OPEN_REPLY_SOCKETS,
  C_LAST_SEND_ERRNO, C_LAST_BIND_ERRNO, C_LAST_BIND_ADDRESS, C_LAST_BIND_PORT,
  C_LAST_RECV_ERRNO, C_BATCHES, C_PACKETS_IN, C_CALLBACK_ERRORS,
  C_COUNT
};

/* ---- reply_cache.c: sockets bound to (listen address, GWLB source port), connected to (GWLB, listen port) ---- */

enum { E_FREE = 0, E_READY = 1, E_FAILED = 2 };

typedef struct {
  uint32_t addr; /* host order */
  uint16_t port;
  uint8_t state;
  int fd;
  double failed_at;
  int32_t prev, next; /* LRU, most recent at head */
  int32_t chain;      /* hash bucket chain */
} entry_t;

typedef struct {
  uint32_t listen_addr; /* host order; 0 = wildcard */
  uint16_t listen_port;
  int reuse_port;
  double *counters; /* bind failures, evictions, open sockets */
  entry_t *entries;
  int32_t *buckets;
  uint32_t nbuckets;
  int32_t cap, used, head, tail, free_list;
} reply_cache_t;

/* 0, or ENOMEM. */
int cache_init(reply_cache_t *c, int32_t cap);
void cache_free(reply_cache_t *c);
/* The entry for (addr, port), its socket opened on first use; state E_FAILED when the bind failed. */
entry_t *cache_get(reply_cache_t *c, uint32_t addr, uint16_t port);
/* Forget failed binds at least age_ms old; returns how many. */
uint32_t cache_sweep(reply_cache_t *c, double age_ms);
void cache_close_all(reply_cache_t *c);
double now_ms(void);

/* ---- io.c ---- */

typedef struct io {
  napi_env env;
  uv_poll_t poll;
  int recv_fd, send_fd;
  uint16_t listen_port;
  int bound_port;
  uint8_t *data;
  uint32_t *meta;
  uint8_t *verdicts;
  double *counters;
  napi_ref refs[5]; /* data, meta, verdicts, counters, callback */
  napi_async_context actx;
  napi_async_cleanup_hook_handle cleanup;
  int closing, handle_closed, finalized;
  struct mmsghdr rmsg[BATCH];
  struct iovec riov[BATCH];
  struct sockaddr_in raddr[BATCH];
  struct mmsghdr smsg[BATCH];
  struct iovec siov[BATCH];
  struct sockaddr_in saddr[BATCH];
  int sfd[BATCH];
  int scls[BATCH];
  reply_cache_t cache; /* bound-port reply sockets */
} io_t;

/* Point the receive headers at the slots of s->data. */
void io_prepare(io_t *s);
/* Start watching s->recv_fd on the env's loop; 0 or an errno. */
int io_start(io_t *s);
/* Stop watching, close every descriptor; the memory goes once the handle closed and JS dropped it. Idempotent. */
void io_close(io_t *s);
/* napi_create_external's finalizer. */
void io_finalize(napi_env env, void *data, void *hint);
void io_free(io_t *s);

#endif
