/*
 * batchio: batched UDP receive and reply for the gwlb-agent data plane (Linux, N-API).
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
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#define BATCH 64
#define SLOT 65536
#define META_FIELDS 4 /* address (host order), port, length, flags */
#define FLAG_TRUNCATED 1
#define MAX_ROUNDS 8 /* batches per readable event before yielding to the event loop */
#define SEND_WAIT_MS 10

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
static const char *COUNTER_NAMES[C_COUNT] = {
  "packetsOut", "bytesOut", "sendErrors", "portsNotKept",
  "probePacketsOut", "probeBytesOut", "probeSendErrors", "probePortsNotKept",
  "replyBindFailures", "replySocketEvictions", "socketErrors", "openReplySockets",
  "lastSendErrno", "lastBindErrno", "lastBindAddress", "lastBindPort",
  "lastRecvErrno", "batches", "packetsIn", "callbackErrors",
};

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

typedef struct io {
  napi_env env;
  uv_poll_t poll;
  int recv_fd, send_fd;
  uint32_t listen_addr; /* host order; 0 = wildcard */
  uint16_t listen_port;
  int bound_port, reuse_port;
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
  /* bound-port reply sockets */
  entry_t *entries;
  int32_t *buckets;
  uint32_t nbuckets;
  int32_t cap, used, head, tail, free_list;
} io_t;

static int fcntl_dup(uint32_t fd) {
  return fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- reply socket cache ---- */

static uint32_t bucket_of(io_t *s, uint32_t addr, uint16_t port) {
  uint32_t h = addr * 2654435761u ^ ((uint32_t)port * 40503u);
  h ^= h >> 15;
  return h & (s->nbuckets - 1);
}

static void lru_unlink(io_t *s, int32_t i) {
  entry_t *e = &s->entries[i];
  if (e->prev >= 0) s->entries[e->prev].next = e->next; else s->head = e->next;
  if (e->next >= 0) s->entries[e->next].prev = e->prev; else s->tail = e->prev;
  e->prev = e->next = -1;
}

static void lru_push_front(io_t *s, int32_t i) {
  entry_t *e = &s->entries[i];
  e->prev = -1;
  e->next = s->head;
  if (s->head >= 0) s->entries[s->head].prev = i;
  s->head = i;
  if (s->tail < 0) s->tail = i;
}

static void close_entry_fd(io_t *s, entry_t *e) {
  if (e->fd >= 0) {
    close(e->fd);
    e->fd = -1;
    s->counters[C_OPEN_REPLY_SOCKETS]--;
  }
}

static void remove_entry(io_t *s, int32_t i) {
  entry_t *e = &s->entries[i];
  int32_t *p = &s->buckets[bucket_of(s, e->addr, e->port)];
  while (*p >= 0 && *p != i) p = &s->entries[*p].chain;
  if (*p == i) *p = e->chain;
  lru_unlink(s, i);
  close_entry_fd(s, e);
  e->state = E_FREE;
  e->chain = s->free_list;
  s->free_list = i;
  s->used--;
}

/* Bind (listen address or 127.0.0.1 for loopback peers on a wildcard listen) port P, connect to the peer. */
static void open_entry(io_t *s, entry_t *e) {
  uint32_t bind_addr = (s->listen_addr == 0 && (e->addr >> 24) == 127) ? 0x7f000001u : s->listen_addr;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = 0;
  if (fd < 0) {
    err = errno;
  } else {
    int one = 1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    if (s->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) err = errno;
    a.sin_addr.s_addr = htonl(bind_addr);
    a.sin_port = htons(e->port);
    if (err == 0 && bind(fd, (struct sockaddr *)&a, sizeof a) != 0) err = errno;
    a.sin_addr.s_addr = htonl(e->addr);
    a.sin_port = htons(s->listen_port);
    if (err == 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) err = errno;
  }
  if (err != 0) {
    if (fd >= 0) close(fd);
    e->fd = -1;
    e->state = E_FAILED;
    e->failed_at = now_ms();
    s->counters[C_REPLY_BIND_FAILURES]++;
    s->counters[C_LAST_BIND_ERRNO] = err;
    s->counters[C_LAST_BIND_ADDRESS] = e->addr;
    s->counters[C_LAST_BIND_PORT] = e->port;
    return;
  }
  e->fd = fd;
  e->state = E_READY;
  s->counters[C_OPEN_REPLY_SOCKETS]++;
}

/* The reply socket for (addr, port), opened on first use; NULL-free: always returns an entry. */
static entry_t *reply_entry(io_t *s, uint32_t addr, uint16_t port) {
  uint32_t b = bucket_of(s, addr, port);
  for (int32_t i = s->buckets[b]; i >= 0; i = s->entries[i].chain) {
    entry_t *e = &s->entries[i];
    if (e->addr == addr && e->port == port) {
      if (s->head != i) {
        lru_unlink(s, i);
        lru_push_front(s, i);
      }
      return e; /* a failed bind stays failed until sweep() forgets it, as in reply-bound-port.ts */
    }
  }
  if (s->used >= s->cap) {
    s->counters[C_REPLY_SOCKET_EVICTIONS]++;
    remove_entry(s, s->tail);
  }
  int32_t i = s->free_list;
  entry_t *e = &s->entries[i];
  s->free_list = e->chain;
  s->used++;
  e->addr = addr;
  e->port = port;
  e->fd = -1;
  e->chain = s->buckets[b];
  s->buckets[b] = i;
  lru_push_front(s, i);
  open_entry(s, e);
  return e;
}

/* ---- sending ---- */

static void send_run(io_t *s, int from, int to) {
  int fd = s->sfd[from];
  int waited = 0;
  while (from < to) {
    int r;
    if (to - from == 1) { /* the common case with one socket per GWLB source port: plain sendmsg is cheaper */
      ssize_t b = sendmsg(fd, &s->smsg[from].msg_hdr, MSG_DONTWAIT);
      if (b >= 0) s->smsg[from].msg_len = (unsigned)b;
      r = b >= 0 ? 1 : -1;
    } else {
      r = sendmmsg(fd, &s->smsg[from], (unsigned)(to - from), MSG_DONTWAIT);
    }
    if (r > 0) {
      for (int t = from; t < from + r; t++) {
        s->counters[s->scls[t] + C_PACKETS_OUT]++;
        s->counters[s->scls[t] + C_BYTES_OUT] += s->smsg[t].msg_len;
      }
      from += r;
      waited = 0;
      continue;
    }
    int err = r < 0 ? errno : EIO;
    if (err == EINTR) continue;
    if ((err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) && !waited) {
      struct pollfd p = { fd, POLLOUT, 0 };
      poll(&p, 1, SEND_WAIT_MS); /* the socket buffer is full: wait briefly, once per datagram */
      waited = 1;
      continue;
    }
    s->counters[s->scls[from] + C_SEND_ERRORS]++;
    s->counters[C_LAST_SEND_ERRNO] = err;
    from++;
    waited = 0;
  }
}

static void send_replies(io_t *s, int n) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    uint8_t v = s->verdicts[i];
    if (v != V_REPLY && v != V_PROBE) continue;
    if (s->meta[i * META_FIELDS + 3] & FLAG_TRUNCATED) continue; /* never send part of a datagram */
    int cls = v == V_PROBE ? PROBE : CUSTOMER;
    uint32_t addr = ntohl(s->raddr[i].sin_addr.s_addr);
    uint16_t port = ntohs(s->raddr[i].sin_port);
    int fd = s->send_fd;
    int connected = 0;
    if (s->bound_port && port != s->listen_port) {
      entry_t *e = reply_entry(s, addr, port);
      if (e->state == E_READY) {
        fd = e->fd;
        connected = 1;
      }
    }
    if (!connected && port != s->listen_port) s->counters[cls + C_PORTS_NOT_KEPT]++;
    struct msghdr *h = &s->smsg[m].msg_hdr;
    memset(h, 0, sizeof *h);
    s->siov[m].iov_base = s->data + (size_t)i * SLOT;
    s->siov[m].iov_len = s->rmsg[i].msg_len;
    h->msg_iov = &s->siov[m];
    h->msg_iovlen = 1;
    if (!connected) {
      s->saddr[m].sin_family = AF_INET;
      s->saddr[m].sin_addr = s->raddr[i].sin_addr;
      s->saddr[m].sin_port = htons(s->listen_port);
      h->msg_name = &s->saddr[m];
      h->msg_namelen = sizeof s->saddr[m];
    }
    s->smsg[m].msg_len = 0;
    s->sfd[m] = fd;
    s->scls[m] = cls;
    m++;
  }
  for (int j = 0; j < m;) {
    int k = j + 1;
    while (k < m && s->sfd[k] == s->sfd[j]) k++;
    send_run(s, j, k);
    j = k;
  }
}

/* ---- receiving ---- */

static int call_js(io_t *s, int n) {
  napi_env env = s->env;
  napi_value cb, recv, arg, result;
  if (napi_get_reference_value(env, s->refs[4], &cb) != napi_ok || cb == NULL) return 0;
  napi_get_global(env, &recv); /* napi_make_callback needs an object as `this` */
  napi_create_int32(env, n, &arg);
  napi_status st = napi_make_callback(env, s->actx, recv, cb, 1, &arg, &result);
  if (st != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
    }
    s->counters[C_CALLBACK_ERRORS]++;
    return 0;
  }
  return 1;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  io_t *s = (io_t *)handle->data;
  (void)events;
  if (s->closing) return;
  if (status < 0) {
    s->counters[C_SOCKET_ERRORS]++;
    s->counters[C_LAST_RECV_ERRNO] = -status;
    return;
  }
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  for (int round = 0; round < MAX_ROUNDS && !s->closing; round++) {
    for (int i = 0; i < BATCH; i++) {
      s->rmsg[i].msg_hdr.msg_namelen = sizeof s->raddr[i];
      s->rmsg[i].msg_hdr.msg_flags = 0;
      s->rmsg[i].msg_len = 0;
    }
    int n = recvmmsg(s->recv_fd, s->rmsg, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        s->counters[C_SOCKET_ERRORS]++; /* e.g. ECONNREFUSED after an ICMP error */
        s->counters[C_LAST_RECV_ERRNO] = errno;
        continue;
      }
      break;
    }
    if (n == 0) break;
    for (int i = 0; i < n; i++) {
      uint32_t *m = &s->meta[i * META_FIELDS];
      m[0] = ntohl(s->raddr[i].sin_addr.s_addr);
      m[1] = ntohs(s->raddr[i].sin_port);
      m[2] = s->rmsg[i].msg_len;
      m[3] = (s->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) ? FLAG_TRUNCATED : 0;
      s->verdicts[i] = V_DROP;
    }
    s->counters[C_BATCHES]++;
    s->counters[C_PACKETS_IN] += n;
    int ok = call_js(s, n);
    if (s->closing) break; /* closed from the callback */
    if (ok) send_replies(s, n); /* a failed callback sends nothing: nothing leaves uninspected */
    if (n < BATCH) break;
  }
  napi_close_handle_scope(s->env, scope);
}

/* ---- lifetime ---- */

static void free_io(io_t *s) {
  free(s->entries);
  free(s->buckets);
  free(s);
}

static void on_handle_closed(uv_handle_t *handle) {
  io_t *s = (io_t *)handle->data;
  napi_env env = s->env;
  for (int i = 0; i < 5; i++) {
    if (s->refs[i] != NULL) napi_delete_reference(env, s->refs[i]);
    s->refs[i] = NULL;
  }
  if (s->actx != NULL) napi_async_destroy(env, s->actx);
  s->actx = NULL;
  if (s->cleanup != NULL) napi_remove_async_cleanup_hook(s->cleanup);
  s->cleanup = NULL;
  s->handle_closed = 1;
  if (s->finalized) free_io(s);
}

static void begin_close(io_t *s) {
  if (s->closing) return;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  for (int32_t i = s->head; i >= 0; i = s->entries[i].next) close_entry_fd(s, &s->entries[i]);
  close(s->recv_fd);
  close(s->send_fd);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
}

static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  begin_close((io_t *)arg);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  io_t *s = (io_t *)data;
  (void)env;
  (void)hint;
  s->finalized = 1;
  if (!s->closing) begin_close(s); /* the handle was dropped without close(): stop watching */
  else if (s->handle_closed) free_io(s);
}

/* ---- JavaScript API ---- */

#define CHECK(call, msg) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, msg); return NULL; } } while (0)

static int get_prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  return napi_get_named_property(env, obj, name, out) == napi_ok;
}

static int get_u32(napi_env env, napi_value obj, const char *name, uint32_t *out) {
  napi_value v;
  return get_prop(env, obj, name, &v) && napi_get_value_uint32(env, v, out) == napi_ok;
}

/* A typed array of `type` with at least `min_bytes` bytes; stores its data pointer and a reference. */
static int get_array(napi_env env, napi_value obj, const char *name, napi_typedarray_type type, size_t min_bytes,
                     void **data, napi_ref *ref) {
  napi_value v;
  bool is = false;
  napi_typedarray_type t;
  size_t length, offset;
  napi_value ab;
  if (!get_prop(env, obj, name, &v) || napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &t, &length, data, &ab, &offset) != napi_ok || t != type) return 0;
  size_t elem = type == napi_float64_array ? 8 : type == napi_uint32_array ? 4 : 1;
  if (length * elem < min_bytes) return 0;
  return napi_create_reference(env, v, 1, ref) == napi_ok;
}

/*
 * open({ recvFd, sendFd, listenAddress, listenPort, boundPort, reusePort, maxSockets,
 *        data: Uint8Array(BATCH * SLOT), meta: Uint32Array(BATCH * 4), verdicts: Uint8Array(BATCH),
 *        counters: Float64Array(COUNTER_NAMES.length), onBatch(count) }) -> handle
 * recvFd and sendFd are duplicated: the caller keeps its own descriptors.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], cb, name, handle;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "batchio.open: bad arguments");
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "batchio.open: an options object is required");
    return NULL;
  }
  uint32_t recv_fd, send_fd, laddr, lport, bound, reuse, max_sockets;
  if (!get_u32(env, argv[0], "recvFd", &recv_fd) || !get_u32(env, argv[0], "sendFd", &send_fd) ||
      !get_u32(env, argv[0], "listenAddress", &laddr) || !get_u32(env, argv[0], "listenPort", &lport) ||
      !get_u32(env, argv[0], "boundPort", &bound) || !get_u32(env, argv[0], "reusePort", &reuse) ||
      !get_u32(env, argv[0], "maxSockets", &max_sockets) || lport == 0 || lport > 65535 || max_sockets == 0) {
    napi_throw_type_error(env, NULL, "batchio.open: recvFd, sendFd, listenAddress, listenPort (1-65535), boundPort, "
                                     "reusePort and maxSockets (> 0) must be unsigned integers");
    return NULL;
  }
  napi_valuetype cbt;
  if (!get_prop(env, argv[0], "onBatch", &cb) || napi_typeof(env, cb, &cbt) != napi_ok || cbt != napi_function) {
    napi_throw_type_error(env, NULL, "batchio.open: onBatch must be a function");
    return NULL;
  }
  io_t *s = calloc(1, sizeof(io_t));
  if (s == NULL) {
    napi_throw_error(env, NULL, "batchio.open: out of memory");
    return NULL;
  }
  s->env = env;
  s->recv_fd = s->send_fd = -1;
  if (!get_array(env, argv[0], "data", napi_uint8_array, (size_t)BATCH * SLOT, (void **)&s->data, &s->refs[0]) ||
      !get_array(env, argv[0], "meta", napi_uint32_array, BATCH * META_FIELDS * 4, (void **)&s->meta, &s->refs[1]) ||
      !get_array(env, argv[0], "verdicts", napi_uint8_array, BATCH, (void **)&s->verdicts, &s->refs[2]) ||
      !get_array(env, argv[0], "counters", napi_float64_array, C_COUNT * 8, (void **)&s->counters, &s->refs[3])) {
    for (int i = 0; i < 4; i++) if (s->refs[i]) napi_delete_reference(env, s->refs[i]);
    free(s);
    napi_throw_type_error(env, NULL, "batchio.open: data (Uint8Array of BATCH*SLOT bytes), meta (Uint32Array of BATCH*4), "
                                     "verdicts (Uint8Array of BATCH) and counters (Float64Array of COUNTER_NAMES.length) are required");
    return NULL;
  }
  napi_create_reference(env, cb, 1, &s->refs[4]);
  s->listen_addr = laddr;
  s->listen_port = (uint16_t)lport;
  s->bound_port = bound != 0;
  s->reuse_port = reuse != 0;
  s->cap = (int32_t)max_sockets;
  s->nbuckets = 16;
  while (s->nbuckets < (uint32_t)s->cap * 2 && s->nbuckets < (1u << 30)) s->nbuckets <<= 1;
  s->entries = calloc((size_t)s->cap, sizeof(entry_t));
  s->buckets = malloc(sizeof(int32_t) * s->nbuckets);
  int err = 0;
  if (s->entries == NULL || s->buckets == NULL) err = ENOMEM;
  if (err == 0) {
    for (uint32_t i = 0; i < s->nbuckets; i++) s->buckets[i] = -1;
    for (int32_t i = 0; i < s->cap; i++) {
      s->entries[i].chain = i + 1 < s->cap ? i + 1 : -1;
      s->entries[i].fd = -1;
      s->entries[i].prev = s->entries[i].next = -1;
    }
    s->head = s->tail = -1;
    s->free_list = 0;
    for (int i = 0; i < BATCH; i++) {
      s->riov[i].iov_base = s->data + (size_t)i * SLOT;
      s->riov[i].iov_len = SLOT;
      s->rmsg[i].msg_hdr.msg_name = &s->raddr[i];
      s->rmsg[i].msg_hdr.msg_iov = &s->riov[i];
      s->rmsg[i].msg_hdr.msg_iovlen = 1;
    }
    s->recv_fd = fcntl_dup(recv_fd);
  }
  if (err == 0 && s->recv_fd < 0) err = errno;
  if (err == 0) {
    s->send_fd = fcntl_dup(send_fd);
    if (s->send_fd < 0) err = errno;
  }
  uv_loop_t *loop = NULL;
  if (err == 0 && napi_get_uv_event_loop(env, &loop) != napi_ok) err = EINVAL;
  if (err == 0 && uv_poll_init(loop, &s->poll, s->recv_fd) != 0) err = EINVAL;
  if (err != 0) {
    if (s->recv_fd >= 0) close(s->recv_fd);
    if (s->send_fd >= 0) close(s->send_fd);
    for (int i = 0; i < 5; i++) if (s->refs[i]) napi_delete_reference(env, s->refs[i]);
    free_io(s);
    char msg[128];
    snprintf(msg, sizeof msg, "batchio.open: cannot watch the socket (%s)", strerror(err));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  s->poll.data = s;
  napi_create_string_utf8(env, "gwlb-agent:batchio", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &s->actx);
  napi_add_async_cleanup_hook(env, on_env_cleanup, s, &s->cleanup);
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  CHECK(napi_create_external(env, s, on_finalize, NULL, &handle), "batchio.open: cannot create the handle");
  return handle;
}

static io_t *unwrap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype t;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external || napi_get_value_external(env, argv[0], &p) != napi_ok) {
    napi_throw_type_error(env, NULL, "batchio: expected a handle from open()");
    return NULL;
  }
  return (io_t *)p;
}

/* close(handle): stop watching, close the duplicated descriptors and every reply socket. Idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  io_t *s = unwrap(env, info);
  if (s != NULL) begin_close(s);
  return NULL;
}

/* sweep(handle, ageMs): forget failed binds at least ageMs old, so the next datagram binds again. Returns how many. */
static napi_value js_sweep(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  double age = 0;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_external(env, argv[0], &p) != napi_ok || napi_get_value_double(env, argv[1], &age) != napi_ok) {
    napi_throw_type_error(env, NULL, "batchio.sweep: expected (handle, ageMs)");
    return NULL;
  }
  io_t *s = (io_t *)p;
  uint32_t n = 0;
  if (!s->closing) {
    double now = now_ms();
    for (int32_t i = s->head; i >= 0;) {
      int32_t next = s->entries[i].next;
      if (s->entries[i].state == E_FAILED && now - s->entries[i].failed_at >= age) {
        remove_entry(s, i);
        n++;
      }
      i = next;
    }
  }
  napi_create_uint32(env, n, &out);
  return out;
}

/* ref(handle, bool): whether the watched socket keeps the event loop alive. */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool on = true;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_external(env, argv[0], &p) != napi_ok || napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "batchio.ref: expected (handle, boolean)");
    return NULL;
  }
  io_t *s = (io_t *)p;
  if (!s->closing) {
    if (on) uv_ref((uv_handle_t *)&s->poll);
    else uv_unref((uv_handle_t *)&s->poll);
  }
  return NULL;
}

static void set_u32(napi_env env, napi_value obj, const char *name, uint32_t v) {
  napi_value x;
  napi_create_uint32(env, v, &x);
  napi_set_named_property(env, obj, name, x);
}

static void set_fn(napi_env env, napi_value obj, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, obj, name, f);
}

NAPI_MODULE_INIT() {
  napi_value names;
  napi_create_array_with_length(env, C_COUNT, &names);
  for (uint32_t i = 0; i < C_COUNT; i++) {
    napi_value n;
    napi_create_string_utf8(env, COUNTER_NAMES[i], NAPI_AUTO_LENGTH, &n);
    napi_set_element(env, names, i, n);
  }
  napi_set_named_property(env, exports, "COUNTER_NAMES", names);
  set_u32(env, exports, "BATCH", BATCH);
  set_u32(env, exports, "SLOT", SLOT);
  set_u32(env, exports, "META_FIELDS", META_FIELDS);
  set_u32(env, exports, "FLAG_TRUNCATED", FLAG_TRUNCATED);
  set_u32(env, exports, "VERSION", 1);
  set_fn(env, exports, "open", js_open);
  set_fn(env, exports, "close", js_close);
  set_fn(env, exports, "ref", js_ref);
  set_fn(env, exports, "sweep", js_sweep);
  return exports;
}
