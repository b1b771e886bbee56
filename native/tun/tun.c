/*
 * Minimal Linux tun addon for gwlb-sim. Uses only node_api.h (N-API 8).
 *
 *   open(name)                 -> { fd, name }  open /dev/net/tun O_NONBLOCK, TUNSETIFF (IFF_TUN | IFF_NO_PI)
 *   setUp(name, mtu)           -> undefined     SIOCSIFMTU + SIOCSIFFLAGS (IFF_UP) on the device
 *   pollReadable(fd, ms, cb)   -> undefined     poll(POLLIN) on a libuv threadpool thread, then
 *                                               cb(null, readable: boolean) or cb(Error)
 *   close(fd)                  -> undefined
 *
 * JavaScript reads and writes packets with fs.readSync / fs.writeSync on the non-blocking fd and
 * waits for more with pollReadable, so neither the event loop nor a threadpool thread ever blocks
 * for longer than the poll timeout (a thread parked in read() forever would keep the process
 * from exiting: libuv joins its threadpool at exit).
 * Errors throw with the operation, the device name and strerror(errno).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "N-API call failed: " #call); \
      return NULL;                                         \
    }                                                      \
  } while (0)

static napi_value throw_errno(napi_env env, const char *op, const char *name, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s: %s (errno %d)", op, name, strerror(err), err);
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* Reads argument `index` as an interface name (1..IFNAMSIZ-1 bytes) into `out`. */
static int get_ifname(napi_env env, napi_value value, char out[IFNAMSIZ]) {
  size_t len = 0;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
    napi_throw_type_error(env, NULL, "tun: interface name must be a string");
    return -1;
  }
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok || len == 0 || len >= IFNAMSIZ) {
    napi_throw_range_error(env, NULL, "tun: interface name must be 1 to 15 bytes");
    return -1;
  }
  napi_get_value_string_utf8(env, value, out, IFNAMSIZ, &len);
  return 0;
}

static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[IFNAMSIZ] = {0};
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "tun.open(name): name is required");
    return NULL;
  }
  if (get_ifname(env, argv[0], name) != 0) return NULL;

  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun for", name, errno);

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "ioctl(TUNSETIFF)", name, err);
  }

  napi_value result, jsfd, jsname;
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_create_int32(env, fd, &jsfd));
  CHECK(env, napi_create_string_utf8(env, ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ), &jsname));
  CHECK(env, napi_set_named_property(env, result, "fd", jsfd));
  CHECK(env, napi_set_named_property(env, result, "name", jsname));
  return result;
}

static napi_value tun_set_up(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char name[IFNAMSIZ] = {0};
  int32_t mtu = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "tun.setUp(name, mtu): name and mtu are required");
    return NULL;
  }
  if (get_ifname(env, argv[0], name) != 0) return NULL;
  if (napi_get_value_int32(env, argv[1], &mtu) != napi_ok || mtu < 68 || mtu > 65535) {
    napi_throw_range_error(env, NULL, "tun.setUp: mtu must be an integer 68..65535");
    return NULL;
  }

  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return throw_errno(env, "socket(AF_INET) for", name, errno);

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  ifr.ifr_mtu = mtu;
  if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
    int err = errno;
    close(sock);
    return throw_errno(env, "ioctl(SIOCSIFMTU)", name, err);
  }
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
    int err = errno;
    close(sock);
    return throw_errno(env, "ioctl(SIOCGIFFLAGS)", name, err);
  }
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
    int err = errno;
    close(sock);
    return throw_errno(env, "ioctl(SIOCSIFFLAGS)", name, err);
  }
  close(sock);
  return NULL;
}

static napi_value tun_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "tun.close(fd): fd must be a non-negative integer");
    return NULL;
  }
  if (close(fd) < 0) return throw_errno(env, "close", "tun fd", errno);
  return NULL;
}

typedef struct {
  napi_async_work work;
  napi_ref callback;
  int fd;
  int timeout_ms;
  int result; /* poll() return value */
  int err;    /* errno when result < 0 */
  short revents;
} poll_request;

static void poll_execute(napi_env env, void *data) {
  (void)env;
  poll_request *req = data;
  struct pollfd pfd = {.fd = req->fd, .events = POLLIN, .revents = 0};
  do {
    req->result = poll(&pfd, 1, req->timeout_ms);
  } while (req->result < 0 && errno == EINTR);
  req->err = req->result < 0 ? errno : 0;
  req->revents = pfd.revents;
}

static void poll_complete(napi_env env, napi_status status, void *data) {
  poll_request *req = data;
  napi_value cb, global, argv[2];
  napi_get_reference_value(env, req->callback, &cb);
  napi_get_global(env, &global);
  napi_get_undefined(env, &argv[1]);
  if (status != napi_ok) {
    napi_value msg;
    napi_create_string_utf8(env, "pollReadable: async work cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &argv[0]);
  } else if (req->result < 0 || (req->revents & (POLLERR | POLLNVAL))) {
    char text[160];
    if (req->result < 0) snprintf(text, sizeof text, "poll tun fd %d: %s (errno %d)", req->fd, strerror(req->err), req->err);
    else snprintf(text, sizeof text, "poll tun fd %d: revents 0x%x", req->fd, (unsigned)req->revents);
    napi_value msg;
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &argv[0]);
  } else {
    napi_get_null(env, &argv[0]);
    napi_get_boolean(env, (req->revents & POLLIN) != 0, &argv[1]);
  }
  napi_delete_reference(env, req->callback);
  napi_delete_async_work(env, req->work);
  free(req);
  napi_call_function(env, global, cb, 2, argv, NULL);
}

static napi_value tun_poll_readable(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name;
  int32_t fd = -1, timeout_ms = 0;
  napi_valuetype cbtype = napi_undefined;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_value_int32(env, argv[1], &timeout_ms) != napi_ok || timeout_ms < 0 ||
      napi_typeof(env, argv[2], &cbtype) != napi_ok || cbtype != napi_function) {
    napi_throw_type_error(env, NULL, "tun.pollReadable(fd, timeoutMs, callback): fd and timeoutMs must be non-negative integers");
    return NULL;
  }
  poll_request *req = calloc(1, sizeof *req);
  if (!req) {
    napi_throw_error(env, NULL, "tun.pollReadable: out of memory");
    return NULL;
  }
  req->fd = fd;
  req->timeout_ms = timeout_ms;
  CHECK(env, napi_create_reference(env, argv[2], 1, &req->callback));
  CHECK(env, napi_create_string_utf8(env, "tun.pollReadable", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, poll_execute, poll_complete, req, &req->work));
  CHECK(env, napi_queue_async_work(env, req->work));
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setUp", NULL, tun_set_up, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pollReadable", NULL, tun_poll_readable, NULL, NULL, NULL, napi_enumerable, NULL},
    {"close", NULL, tun_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
