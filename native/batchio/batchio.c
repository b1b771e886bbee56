/*
 * batchio, the JavaScript API: open() a watch on a UDP socket, close(), sweep() failed reply binds,
 * ref(). What it does and the reply contract: batchio.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "batchio.h"

static const char *COUNTER_NAMES[C_COUNT] = {
  "packetsOut", "bytesOut", "sendErrors", "portsNotKept",
  "probePacketsOut", "probeBytesOut", "probeSendErrors", "probePortsNotKept",
  "replyBindFailures", "replySocketEvictions", "socketErrors", "openReplySockets",
  "lastSendErrno", "lastBindErrno", "lastBindAddress", "lastBindPort",
  "lastRecvErrno", "batches", "packetsIn", "callbackErrors",
};

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
  napi_value argv[1], cb, handle;
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
  s->listen_port = (uint16_t)lport;
  s->bound_port = bound != 0;
  s->cache.listen_addr = laddr;
  s->cache.listen_port = (uint16_t)lport;
  s->cache.reuse_port = reuse != 0;
  s->cache.counters = s->counters;
  io_prepare(s);
  int err = cache_init(&s->cache, (int32_t)max_sockets);
  if (err == 0) {
    s->recv_fd = fcntl((int)recv_fd, F_DUPFD_CLOEXEC, 0); /* ours to close: the caller keeps its descriptors */
    if (s->recv_fd < 0) err = errno;
  }
  if (err == 0) {
    s->send_fd = fcntl((int)send_fd, F_DUPFD_CLOEXEC, 0);
    if (s->send_fd < 0) err = errno;
  }
  if (err == 0) err = io_start(s);
  if (err != 0) {
    if (s->recv_fd >= 0) close(s->recv_fd);
    if (s->send_fd >= 0) close(s->send_fd);
    for (int i = 0; i < 5; i++) if (s->refs[i]) napi_delete_reference(env, s->refs[i]);
    io_free(s);
    char msg[128];
    snprintf(msg, sizeof msg, "batchio.open: cannot watch the socket (%s)", strerror(err));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  CHECK(napi_create_external(env, s, io_finalize, NULL, &handle), "batchio.open: cannot create the handle");
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
  if (s != NULL) io_close(s);
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
  uint32_t n = s->closing ? 0 : cache_sweep(&s->cache, age);
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
