/* Receiving in batches, calling JavaScript, sending the replies; the watch's lifetime (batchio.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "batchio.h"

#define MAX_ROUNDS 8 /* batches per readable event before yielding to the event loop */
#define SEND_WAIT_MS 10

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
      entry_t *e = cache_get(&s->cache, addr, port);
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

void io_free(io_t *s) {
  cache_free(&s->cache);
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
  if (s->finalized) io_free(s);
}

void io_close(io_t *s) {
  if (s->closing) return;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  cache_close_all(&s->cache);
  close(s->recv_fd);
  close(s->send_fd);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
}

static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  io_close((io_t *)arg);
}

void io_finalize(napi_env env, void *data, void *hint) {
  io_t *s = (io_t *)data;
  (void)env;
  (void)hint;
  s->finalized = 1;
  if (!s->closing) io_close(s); /* the handle was dropped without close(): stop watching */
  else if (s->handle_closed) io_free(s);
}

void io_prepare(io_t *s) {
  for (int i = 0; i < BATCH; i++) {
    s->riov[i].iov_base = s->data + (size_t)i * SLOT;
    s->riov[i].iov_len = SLOT;
    s->rmsg[i].msg_hdr.msg_name = &s->raddr[i];
    s->rmsg[i].msg_hdr.msg_iov = &s->riov[i];
    s->rmsg[i].msg_hdr.msg_iovlen = 1;
  }
}

int io_start(io_t *s) {
  uv_loop_t *loop = NULL;
  napi_value name;
  if (napi_get_uv_event_loop(s->env, &loop) != napi_ok) return EINVAL;
  if (uv_poll_init(loop, &s->poll, s->recv_fd) != 0) return EINVAL;
  s->poll.data = s;
  napi_create_string_utf8(s->env, "gwlb-agent:batchio", NAPI_AUTO_LENGTH, &name);
  napi_async_init(s->env, NULL, name, &s->actx);
  napi_add_async_cleanup_hook(s->env, on_env_cleanup, s, &s->cleanup);
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  return 0;
}
